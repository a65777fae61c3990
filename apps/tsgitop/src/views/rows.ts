/**
 * The rows of the worker table for one snapshot, in uwsgitop's three `a` views:
 *
 * - `workers` (0): one row per slot.
 * - `cores` (1): one row per *used* core (requests > 0), `wid:cid`, carrying its worker's
 *   other figures; a busy worker's idle core shows status `-`. Unused cores and
 *   never-spawned slots vanish, as in uwsgitop.
 * - `nested` (2): each worker row followed by ` :cid` rows for its used cores, fewest
 *   requests first, with only %, REQ, RPS and STATUS filled.
 *
 * Pure: a snapshot in, plain records out.
 */
import type { StatsCore, StatsWorker } from '@tsgi/stats-protocol';
import { coreKey, workerKey, type Snapshot } from '../model.js';

export type CoreView = 'workers' | 'cores' | 'nested';
export const CORE_VIEWS: readonly CoreView[] = ['workers', 'cores', 'nested'];

/** uwsgitop's colour pairs; red is its unused pair, given to a slot waiting out a crash backoff. */
export type RowColour = 'default' | 'green' | 'magenta' | 'yellow' | 'blue' | 'red';

export interface TableRow {
  kind: 'worker' | 'core';
  /** `3`, `3:0` (cores view) or ` :0` (nested view). */
  wid: string;
  worker: StatsWorker;
  core: StatsCore | undefined;
  /** The worker's, or the core's in core rows. */
  requests: number;
  rps: number | undefined;
  status: string;
  colour: RowColour;
  /** Document position, the tie-breaker that keeps sorting stable. */
  order: number;
}

/** Colour by status, as uwsgitop: busy green, cheap magenta, sig* yellow, pause blue. */
export function statusColour(status: string, worker?: StatsWorker): RowColour {
  if (worker && (worker.backoff ?? 0) > 0) return 'red';
  if (status === 'busy') return 'green';
  if (status === 'cheap') return 'magenta';
  if (status.startsWith('sig')) return 'yellow';
  if (status === 'pause') return 'blue';
  return 'default';
}

/** One row per slot, in document order. */
export function workerRows(snapshot: Snapshot): TableRow[] {
  return snapshot.doc.workers.map((worker, index) => ({
    kind: 'worker',
    wid: String(worker.id),
    worker,
    core: undefined,
    requests: worker.requests,
    rps: snapshot.rates.workers.get(workerKey(worker, index)),
    status: worker.status,
    colour: statusColour(worker.status, worker),
    order: index,
  }));
}

/** uwsgitop's cores view: used cores merged with their worker's figures. */
export function mergedCoreRows(snapshot: Snapshot): TableRow[] {
  const rows: TableRow[] = [];
  snapshot.doc.workers.forEach((worker, index) => {
    const key = workerKey(worker, index);
    for (const core of usedCores(worker)) {
      const status = worker.status === 'busy' && !core.in_request ? '-' : worker.status;
      rows.push({
        kind: 'core',
        wid: `${worker.id}:${core.id}`,
        worker,
        core,
        requests: core.requests,
        rps: snapshot.rates.cores.get(coreKey(key, core.id)),
        status,
        colour: statusColour(status, worker),
        order: rows.length,
      });
    }
  });
  return rows;
}

/** The ` :cid` rows shown under a worker in the nested view. */
export function nestedCoreRows(snapshot: Snapshot, workerRow: TableRow): TableRow[] {
  const key = workerKey(workerRow.worker, workerRow.order);
  return usedCores(workerRow.worker).map((core, position) => {
    const status = core.in_request ? 'busy' : 'idle';
    return {
      kind: 'core',
      wid: ` :${core.id}`,
      worker: workerRow.worker,
      core,
      requests: core.requests,
      rps: snapshot.rates.cores.get(coreKey(key, core.id)),
      status,
      colour: core.in_request ? 'green' : 'default',
      order: position,
    };
  });
}

/** Cores that served anything, fewest requests first (uwsgitop sorts them so). */
function usedCores(worker: StatsWorker): StatsCore[] {
  return worker.cores.filter((core) => core.requests > 0).sort((a, b) => a.requests - b.requests);
}
