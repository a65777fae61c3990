import type { TsgiConfig } from '@tsgi/config';
import type { Logger } from '../log/logger.js';
import { checkIdle, cheaperSettings, createCheaper, initialIdleState, type Cheaper, type CheaperState, type IdleState } from '../cheaper/index.js';
import { cheaperInput } from './adapt.js';
import type { WorkerPool } from './worker-pool.js';
import type { SlotRecord } from './worker-table.js';
import type { MasterParts } from './parts.js';

/**
 * How many workers are wanted: the cheaper algorithm and the idle check once
 * a second, SIGTTIN/SIGTTOU and the fifo on demand. They only change which
 * slots are active (the desired state); the manage step spawns or retires to
 * meet it, and the algorithms only ever pick idle workers to retire.
 */
export class Scaling {
  /** `cheaper`: the algorithm and its state (none without `cheaper`) */
  private cheaper: { algo: Cheaper; state: CheaperState } | undefined;
  private idleState: IdleState = initialIdleState();

  constructor(
    private readonly logger: Logger,
    private readonly pool: WorkerPool,
  ) {}

  /** Picks up `cheaper` / `cheaper-algo` (at boot and on reload; a changed algorithm starts afresh). */
  configure(c: TsgiConfig): void {
    if (c.cheaper <= 0) {
      this.cheaper = undefined;
    } else if (this.cheaper?.algo.name !== c.cheaperAlgo) {
      const algo = createCheaper(c.cheaperAlgo);
      this.cheaper = { algo, state: algo.initialState() };
    }
  }

  /** At boot: with `cheaper`, only `cheaper-initial` (at least `cheaper`) slots are wanted. */
  boot(c: TsgiConfig): void {
    if (c.cheaper <= 0) return;
    const initial = Math.max(c.cheaperInitial, c.cheaper);
    for (const s of this.pool.slots) s.active = s.id <= initial;
    this.logger.log(`cheaper mode: ${c.cheaperAlgo}, ${c.cheaper}..${c.processes} workers, ${initial} at start`);
  }

  /** On reload: slots wanted under the new config (none while cheap). */
  reconfigure(next: TsgiConfig, cheap: boolean): void {
    this.pool.ensureSlots(next.processes);
    const active = this.pool.slots.filter((s) => s.active).length;
    const wanted = next.cheaper > 0 ? Math.max(next.cheaper, next.cheaperInitial, active) : next.processes;
    for (const s of this.pool.slots) s.active = !cheap && s.id <= Math.min(wanted, next.processes);
    this.configure(next);
  }

  /**
   * The cheaper algorithm and the idle check see the workers; returns true when
   * `idle` says the server should go cheap (or die, with `die-on-idle`).
   */
  adapt(c: TsgiConfig, listenQueue: number, now: number): boolean {
    if (!this.cheaper && c.idle <= 0) return false;
    const total = this.pool.slots.reduce((n, s) => n + this.pool.slotRequests(s), 0);
    const input = cheaperInput(this.pool.slots, this.pool.workers, total, listenQueue, now);
    if (this.cheaper) {
      const r = this.cheaper.algo.step(this.cheaper.state, input, cheaperSettings(c));
      this.cheaper.state = r.state;
      for (const line of r.decision.log) this.logger.verbose(line);
      this.activate(r.decision.spawn, c, 'load');
      for (const id of r.decision.retire) this.deactivate(id, 'scale-down');
    }
    if (c.idle <= 0) return false;
    const r = checkIdle(this.idleState, input, { idle: c.idle });
    this.idleState = r.state;
    for (const line of r.decision.log) this.logger.verbose(line);
    return r.decision.goCheap;
  }

  /** SIGTTIN / SIGTTOU / fifo `+` `-`: one worker more or fewer, within cheaper/processes. */
  scale(delta: number, c: TsgiConfig): boolean {
    if (delta > 0) {
      if (!this.pool.slots.some((s) => !s.active && s.id <= c.processes)) {
        this.logger.log(`cannot add a worker: already at processes = ${c.processes}`);
        return false;
      }
      this.activate(1, c, 'SIGTTIN');
      return true;
    }
    const active = this.pool.slots.filter((s) => s.active);
    const min = Math.max(1, c.cheaper);
    if (active.length <= min) return (this.logger.log(`cannot remove a worker: already at ${min}`), false);
    const victim = this.oldestIdleSlot(active);
    if (!victim) return (this.logger.log('cannot remove a worker now: every worker has a request in flight'), false);
    this.deactivate(victim.id, 'scale-down');
    return true;
  }

  /** Cheap mode: no slot wanted. */
  sleepAll(): void {
    for (const s of this.pool.slots) this.deactivate(s.id, 'cheap');
  }

  /** The first connection after an idle period: uWSGI spawns `cheaper` workers, or all. */
  wakeUp(c: TsgiConfig): void {
    this.idleState = initialIdleState();
    const n = c.cheaper > 0 ? Math.max(c.cheaper, c.cheaperInitial) : c.processes;
    this.logger.log(`cheap mode ended by a connection: spawning ${n} worker(s)`);
    this.activate(n, c);
  }

  /** Wants `n` more slots, the lowest free ones whose old process is gone; `why` names the cheaper or signal cause. */
  private activate(n: number, c: TsgiConfig, why?: string): void {
    for (let i = 0; i < n; i++) {
      const slot = this.pool.slots.find((s) => !s.active && s.id <= c.processes && !this.pool.workers.some((w) => w.slot === s.id));
      if (!slot) return;
      slot.active = true;
      if (why) this.logger.log(`cheaper: spawning worker ${slot.id} (${why})`);
    }
  }

  private deactivate(id: number, reason: 'scale-down' | 'cheap'): void {
    const slot = this.pool.slots[id - 1];
    if (!slot?.active) return;
    slot.active = false;
    slot.lastReason = reason;
    if (reason === 'scale-down') this.logger.log(`cheaper: retiring worker ${id} (idle)`);
  }

  private oldestIdleSlot(active: SlotRecord[]): SlotRecord | undefined {
    let best: { slot: SlotRecord; at: number } | undefined;
    for (const s of active) {
      const w = this.pool.workers.find((x) => x.slot === s.id && x.state.kind === 'ready');
      if (w && (w.counters?.inFlight ?? 0) > 0) continue;
      const at = w?.spawnedAt ?? 0;
      if (!best || at < best.at) best = { slot: s, at };
    }
    return best?.slot;
  }
}

/** `idle` / `cheap` / fifo `C`: stop every worker; the waker keeps watching the sockets. */
export function enterCheap(p: MasterParts, why: string): void {
  const run = p.state.when('running');
  if (!run) return;
  p.log.log(why);
  p.state.move({ ...run, cheap: true }, why);
  p.scaling.sleepAll();
}

/** Cheap mode ends (a connection, SIGTTIN); false when the master was not cheap. */
export function leaveCheap(p: MasterParts, why: string): boolean {
  const s = p.state.state;
  if ((s.phase !== 'running' && s.phase !== 'reloading') || !s.cheap) return false;
  return p.state.move({ ...s, cheap: false }, `cheap mode ends: ${why}`);
}

/** The doorbell rang: the first connection after an idle period wakes the workers. */
export function wakeUp(p: MasterParts): void {
  if (leaveCheap(p, 'a connection arrived')) p.scaling.wakeUp(p.cfg);
}
