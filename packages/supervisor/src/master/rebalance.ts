import type { MasterParts } from './parts.js';
/**
 * Keep-alive connections stay with the worker that accepted them: a worker spawned
 * for the load (cheaper mode, a respawn, SIGTTIN) gets nothing from clients that keep
 * their connections open — browsers behind no proxy, nginx's upstream keepalive pool —
 * and a saturated worker stays saturated beside an idle one. Once a second the master
 * looks at the ready workers; each hot one next to a cold one is asked to end a share of
 * its keep-alive connections after their next response (worker/serve.ts `shed`).
 * The clients reconnect, and the idle worker, waiting in accept, takes them.
 */
export interface RebalanceView {
  slot: number;
  pid: number;
  /** event-loop utilisation, 0..1 */
  elu: number;
  connections: number;
  /** when this worker was last asked to shed (ms epoch; 0 never) */
  lastShedAt: number;
}

export interface Shedding {
  slot: number;
  pid: number;
  count: number;
}

/** At or above: a worker that would serve faster with fewer connections. */
export const HOT_ELU = 0.7;
/** At or below: a worker with room to spare. */
export const COLD_ELU = 0.3;
/** A worker asked to shed is left alone this long, for the moved load to show in the readings. */
export const SHED_COOLDOWN_MS = 2000;

/**
 * Pure: who sheds how many. A hot worker with more than one connection gives up half of
 * the cold workers' share of its connections (connections x cold / all, halved so that a
 * few rounds converge without overshooting); nothing moves unless some worker is cold.
 */
export function planShedding(workers: readonly RebalanceView[], now: number): Shedding[] {
  if (workers.length < 2) return [];
  const cold = workers.filter((w) => w.elu <= COLD_ELU).length;
  if (cold === 0) return [];
  const out: Shedding[] = [];
  for (const w of workers) {
    if (w.elu < HOT_ELU || w.connections < 2 || now - w.lastShedAt < SHED_COOLDOWN_MS) continue;
    out.push({ slot: w.slot, pid: w.pid, count: Math.max(1, Math.floor((w.connections * cold) / workers.length / 2)) });
  }
  return out;
}

/** `rebalance`, once a second: hot workers beside cold ones hand over some keep-alive connections (planShedding). */
export function rebalance(p: MasterParts, now: number): void {
  const { pool, state, log } = p;
  if (!state.when('running') || state.paused) return;
  const ready = pool.workers.filter((w) => w.state.kind === 'ready' && !w.state.replace && w.generation === pool.generation && w.counters);
  const views = ready.map((w) => ({ slot: w.slot, pid: w.pid, elu: w.counters!.elu, connections: w.counters!.connections ?? 0, lastShedAt: w.lastShedAt ?? 0 }));
  const cold = views.filter((v) => v.elu <= COLD_ELU).map((v) => `${v.slot} (elu ${v.elu.toFixed(2)})`).join(', ');
  for (const s of planShedding(views, now)) {
    const w = ready.find((x) => x.pid === s.pid)!;
    w.lastShedAt = now;
    log.verbose(
      `rebalancing: worker ${w.slot} (pid: ${w.pid}, elu ${w.counters!.elu.toFixed(2)}, ${w.counters!.connections} connections) ` +
        `closes ${s.count} keep-alive connection(s) after their next response, for worker(s) ${cold}`,
    );
    pool.send(w, { t: 'shed', count: s.count });
  }
}
