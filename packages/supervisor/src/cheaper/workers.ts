import type { CheaperInput, CheaperWorker, TickView } from './types.js';

/** A slot that counts as present: uWSGI's `cheaped == 0 && pid > 0`. */
export function isActive(w: CheaperWorker): boolean {
  return w.active;
}

/**
 * Busy in uWSGI's sense (`uwsgi_worker_is_busy`): a ready process that reads busy,
 * i.e. with requests in flight most of the time (CheaperWorker.busy).
 */
export function isBusy(w: CheaperWorker): boolean {
  return w.active && w.running && w.busy;
}

/** A slot the driver may spawn into: inactive with no process left (`cheaped == 1 && pid == 0`). */
export function isFree(w: CheaperWorker): boolean {
  return !w.active && !w.running;
}

/** Counts once per tick what every algorithm needs. */
export function tickView(input: CheaperInput): TickView {
  const { workers } = input;
  return {
    now: input.now,
    workers,
    listenQueue: input.listenQueue,
    canSpawn: input.canSpawn ?? true,
    active: workers.filter(isActive).length,
    busy: workers.filter(isBusy).length,
    free: workers.filter(isFree).length,
  };
}

/**
 * The workers to cheap, best first: among active, running, idle workers, the
 * oldest `spawnedAt`, ties to the lowest id (uWSGI `uwsgi_calc_cheaper`, which
 * never cheaps a busy worker: uWSGI issue 1702). May return fewer than `n`.
 */
export function chooseRetirees(workers: readonly CheaperWorker[], n: number): number[] {
  if (n <= 0) return [];
  return workers
    .filter((w) => w.active && w.running && !w.busy)
    .sort((a, b) => a.spawnedAt - b.spawnedAt || a.id - b.id)
    .slice(0, n)
    .map((w) => w.id);
}
