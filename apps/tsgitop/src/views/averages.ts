/**
 * The `m` view: requests per second averaged since start instead of over the last
 * interval, for a steady figure when the per-interval rate jumps about (uwsgitop has no such
 * view).
 * A worker's average runs since its last spawn (`delta_requests` restarts there); the
 * server's since the master started (tsgi's `started_at`, else the earliest spawn).
 */
import type { StatsDocument } from '@tsgi/stats-protocol';
import type { Snapshot } from '../model.js';
import { sumOf } from './format.js';
import type { TableRow } from './rows.js';

/** Average requests/s of a worker row since the worker's spawn; core rows have none. */
export function averageRateOf(snapshot: Snapshot, row: TableRow): number | undefined {
  if (row.kind === 'core') return undefined;
  const { worker } = row;
  if (!worker.pid || !worker.last_spawn) return undefined;
  const seconds = snapshot.at / 1000 - worker.last_spawn;
  return seconds > 0 ? worker.delta_requests / seconds : undefined;
}

/** Average requests/s of the whole server since its master started. */
export function averageTotalRate(snapshot: Snapshot): number | undefined {
  const started = startedAt(snapshot.doc);
  if (started === undefined) return undefined;
  const seconds = snapshot.at / 1000 - started;
  return seconds > 0 ? sumOf(snapshot.doc.workers, (w) => w.requests) / seconds : undefined;
}

function startedAt(doc: StatsDocument): number | undefined {
  if (doc.tsgi?.started_at) return doc.tsgi.started_at;
  const spawns = doc.workers.map((w) => w.last_spawn).filter((t) => t > 0);
  return spawns.length > 0 ? Math.min(...spawns) : undefined;
}
