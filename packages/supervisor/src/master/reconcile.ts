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
  /** how many successors (workers started while their slot's worker still serves) may be starting at once; absent: no cap */
  successorBoots?: number;
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

/** A worker still starting while its slot's worker serves: a successor in a reload or a replacement. */
function bootingSuccessor(w: WorkerRecord, workers: readonly WorkerRecord[]): boolean {
  return w.state.kind === 'starting' && workers.some((o) => o !== w && o.slot === w.slot && isLive(o));
}

/**
 * The reconcile step, pure: wanted state in, actions out (docs/conventions.md,
 * "Desired state vs actual state" and "Pure decisions, thin effects").
 * Every active slot gets a worker of the current generation once its
 * crash-loop delay has passed. A worker of an older generation, or one the
 * master wants replaced, is retired only when its slot's successor is ready
 * (capacity never dips); a worker of a slot no longer wanted is retired at
 * once; in a brutal reload old workers end without waiting. Successors start
 * at most `successorBoots` at a time, in slot order: a start-up is CPU the
 * serving workers would otherwise have (a brutal reload, whose old workers are
 * gone, and a slot left empty start at once).
 */
export function planWorkers(p: PlanInput): WorkerPlan {
  const plan: WorkerPlan = { spawn: [], retire: [], end: [] };
  let room = p.brutal ? Infinity : (p.successorBoots ?? Infinity) - p.workers.filter((w) => bootingSuccessor(w, p.workers)).length;
  for (const slot of p.slots) {
    if (!slot.active || current(p.workers, slot.id, p.generation, false) || p.now < slot.nextSpawnAt) continue;
    if (p.workers.some((w) => w.slot === slot.id && isLive(w))) {
      if (room <= 0) continue;
      room--;
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
