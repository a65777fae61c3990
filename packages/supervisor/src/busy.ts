import type { WorkerCounters } from './protocol.js';

/** A worker with a request in flight for at least this share of its last report interval reads busy. */
export const BUSY_SHARE = 0.5;

/**
 * Whether a worker reads `busy`: its last report shows a request in flight, or a
 * request in flight for at least half of the report interval it covers. One rule
 * for the stats' `status`, `/metrics`' `tsgi_worker_busy` and the cheaper
 * algorithms (README, "Stats").
 *
 * uWSGI's master reads a worker's status at an arbitrary moment, so a worker busy
 * 90 % of the time reads busy in about 9 readings of 10. A worker's own report
 * never comes at an arbitrary moment: it runs on the event loop, so for an app
 * that computes its answer it comes only between two requests, and the in-flight
 * count alone would read `idle` however saturated the worker is. The share of
 * the interval is what a random reading would have seen most of the time.
 */
export function readsBusy(c: Pick<WorkerCounters, 'inFlight' | 'busy'> | undefined): boolean {
  if (!c) return false;
  return c.inFlight > 0 || (c.busy ?? 0) >= BUSY_SHARE;
}
