import type { RecycleReason } from '../protocol.js';
import { isLive, replaceReason, type SlotRecord, type WorkerRecord } from './worker-table.js';

/** What manageWorkers should do this turn. */
export interface WorkerPlan {
  /** slots that get a new worker now */
  spawn: SlotRecord[];
  /** workers to drain gracefully, each with its reason */
  retire: { worker: WorkerRecord; reason: RecycleReason }[];
  /** workers to end at once (brutal reload) */
  end: WorkerRecord[];
}

export interface PlanInput {
  slots: readonly SlotRecord[];
  workers: readonly WorkerRecord[];
  generation: number;
  /** a brutal reload is under way: old workers end at once */
  brutal: boolean;
  now: number;
  /** at most this many successors start at once while the workers they replace serve (surgeLimit); absent: no limit */
  surge?: number;
}

/**
 * `reload-surge`: successors that may start at once beside the workers they replace. A
 * start keeps a core busy for a fifth of a second or more (Node's own start-up, the app's
 * modules); with every successor starting at once, the old workers serving the load wait
 * for the cores. The default, half the CPUs, leaves the other half to them.
 */
export function surgeLimit(setting: number, cpus: number): number {
  return setting > 0 ? setting : Math.max(1, Math.floor(cpus / 2));
}

/**
 * The worker that serves a slot for the current generation, if any (not one being
 * replaced). A worker killed by a policy holds its slot until it is reaped, so that
 * its death is logged and throttled before the respawn.
 */
function current(workers: readonly WorkerRecord[], slot: number, generation: number, readyOnly: boolean): WorkerRecord | undefined {
  return workers.find(
    (w) =>
      w.slot === slot &&
      w.generation === generation &&
      !replaceReason(w) &&
      (readyOnly ? w.state.kind === 'ready' : isLive(w) || w.state.kind === 'killed'),
  );
}

/**
 * The reconcile step, pure: wanted state in, actions out (docs/conventions.md,
 * "Desired state vs actual state" and "Pure decisions, thin effects").
 * Every active slot gets a worker of the current generation once its
 * crash-loop delay has passed. A worker of an older generation, or one the
 * master wants replaced, is retired only when its slot's successor is ready
 * (capacity never dips); a worker of a slot no longer wanted is retired at
 * once; in a brutal reload old workers end without waiting. Successors of workers that
 * still serve start at most `surge` at a time (surgeLimit).
 */
export function planWorkers(p: PlanInput): WorkerPlan {
  const plan: WorkerPlan = { spawn: [], retire: [], end: [] };
  // a slot whose old worker still serves can wait for its successor; an empty one cannot
  const served = (slot: number): boolean => p.workers.some((o) => o.slot === slot && o.state.kind === 'ready' && (o.generation !== p.generation || replaceReason(o) !== undefined));
  const surge = p.brutal ? Infinity : (p.surge ?? Infinity);
  let surging = p.workers.filter((w) => w.generation === p.generation && w.state.kind === 'starting' && !replaceReason(w) && served(w.slot)).length;
  for (const slot of p.slots) {
    if (!slot.active || current(p.workers, slot.id, p.generation, false) || p.now < slot.nextSpawnAt) continue;
    if (served(slot.id)) {
      if (surging >= surge) continue;
      surging++;
    }
    plan.spawn.push(slot);
  }
  for (const w of p.workers) {
    if (!isLive(w)) continue;
    const slot = p.slots[w.slot - 1];
    const wanted = slot?.active === true;
    const replace = replaceReason(w);
    if (w.generation === p.generation && wanted && !replace) continue;
    const successor = current(p.workers, w.slot, p.generation, true);
    if (p.brutal && w.generation !== p.generation) plan.end.push(w);
    else if (!wanted) plan.retire.push({ worker: w, reason: slot?.lastReason === 'cheap' ? 'cheap' : 'scale-down' });
    else if ((successor && successor !== w) || w.state.kind === 'starting') plan.retire.push({ worker: w, reason: replace ?? 'reload' });
  }
  return plan;
}
