/**
 * The model of one stats server: its recent snapshots, the rates derived from them, a
 * bounded history for the charts, and the state of the connection. It is fed only by
 * poll results (`ingest`), so it is deterministic and tested without sockets or clocks.
 *
 * Rates come from counter deltas between two answers, as uwsgitop computes them, minus
 * uwsgitop's two artefacts: the first answer has nothing to compare with, so it has no
 * rate (uwsgitop compares with 0 and shows a spike), and a counter that went down (uWSGI
 * restarts its counters on a master reload) gives no rate for that interval instead of a
 * negative one. A new master (other pid or start time) restarts the comparison.
 */
import type { StatsDocument, StatsWorker } from '@tsgi/stats-protocol';
import type { PollResult } from './poller.js';

/** Requests per second over the interval that ended with this snapshot; undefined when unknown. */
export interface Rates {
  /** Seconds between the two answers compared; undefined for a first answer. */
  interval: number | undefined;
  /** By `workerKey`. */
  workers: ReadonlyMap<string, number | undefined>;
  /** By `coreKey`. */
  cores: ReadonlyMap<string, number | undefined>;
  /** Sum of the known worker rates; undefined when none is known. */
  total: number | undefined;
}

export interface Snapshot {
  doc: StatsDocument;
  /** Epoch ms of the answer. */
  at: number;
  /** Monotonic ms of the answer. */
  clock: number;
  rates: Rates;
}

/** One chart point per answer. */
export interface HistoryPoint {
  at: number;
  rps: number | undefined;
  /** Sum of workers' rss, bytes. */
  rss: number;
}

export type Connection =
  | { state: 'connecting' }
  | { state: 'up'; since: number }
  /** No answer: refused, timed out, reset... */
  | { state: 'down'; since: number; error: string }
  /** An answer that is not a stats document; the last good snapshot stays on screen. */
  | { state: 'malformed'; since: number; error: string };

/** A passing event worth a line on screen: a restart, a reload, a recovery. */
export interface Notice {
  at: number;
  text: string;
}

export interface ModelOptions {
  /** Shown on header line 1 as `node:`. */
  host: string;
  /** Chart points kept. Default 600. */
  historySize?: number;
  /** Snapshots kept. Default 3 (two are needed for rates). */
  snapshotsKept?: number;
}

/** A never-spawned uWSGI slot has id 0, and all of them share it: those are keyed by position. */
export function workerKey(worker: StatsWorker, index: number): string {
  return worker.id > 0 ? `w${worker.id}` : `#${index}`;
}

export function coreKey(workerKeyValue: string, coreId: number): string {
  return `${workerKeyValue}:${coreId}`;
}

export class ServerModel {
  readonly host: string;
  connection: Connection = { state: 'connecting' };
  notice: Notice | undefined;
  /** Oldest first; the newest is `latest`. */
  readonly snapshots: Snapshot[] = [];
  readonly history: HistoryPoint[] = [];
  private readonly historySize: number;
  private readonly snapshotsKept: number;

  constructor(
    readonly address: string,
    options: ModelOptions,
  ) {
    this.host = options.host;
    this.historySize = Math.max(2, options.historySize ?? 600);
    this.snapshotsKept = Math.max(2, options.snapshotsKept ?? 3);
  }

  get latest(): Snapshot | undefined {
    return this.snapshots.at(-1);
  }

  /** Folds one poll result into the model. */
  ingest(result: PollResult): void {
    const { outcome } = result;
    if (outcome.kind === 'document') this.addDocument(outcome.doc, result.at, result.clock);
    else if (outcome.kind === 'down') this.markDown(result.at, outcome.error);
    else this.markMalformed(result.at, outcome.error);
  }

  private addDocument(doc: StatsDocument, at: number, clock: number): void {
    const previous = this.latest;
    const restart = previous ? describeRestart(previous.doc, doc) : undefined;
    if (restart) this.notice = { at, text: restart };
    else if (previous) this.noteReload(previous.doc, doc, at);
    if (this.connection.state === 'down') this.notice ??= { at, text: 'stats server is back' };
    if (this.connection.state !== 'up') this.connection = { state: 'up', since: at };

    const base = previous && !restart ? previous : undefined;
    const rates = deriveRates(base, doc, clock);
    this.snapshots.push({ doc, at, clock, rates });
    if (this.snapshots.length > this.snapshotsKept) this.snapshots.shift();
    this.history.push({ at, rps: rates.total, rss: doc.workers.reduce((sum, w) => sum + w.rss, 0) });
    if (this.history.length > this.historySize) this.history.shift();
  }

  private noteReload(before: StatsDocument, after: StatsDocument, at: number): void {
    const was = before.tsgi?.reloads;
    const now = after.tsgi?.reloads;
    if (was !== undefined && now !== undefined && now > was) this.notice = { at, text: `server reloaded (reload #${now})` };
  }

  private markDown(at: number, error: string): void {
    const since = this.connection.state === 'down' ? this.connection.since : at;
    this.connection = { state: 'down', since, error };
  }

  private markMalformed(at: number, error: string): void {
    const since = this.connection.state === 'malformed' ? this.connection.since : at;
    this.connection = { state: 'malformed', since, error };
  }
}

/**
 * Rates of `doc` against `previous` (the last answer from the same master), answered at
 * monotonic `clock` ms. Pure.
 */
export function deriveRates(previous: Snapshot | undefined, doc: StatsDocument, clock: number): Rates {
  const workers = new Map<string, number | undefined>();
  const cores = new Map<string, number | undefined>();
  const interval = previous ? (clock - previous.clock) / 1000 : undefined;
  const usable = interval !== undefined && interval > 0 ? interval : undefined;
  const before = previous ? countersByKey(previous.doc) : undefined;
  let total: number | undefined;
  doc.workers.forEach((worker, index) => {
    const key = workerKey(worker, index);
    const rate = rateOf(before?.workers.get(key), worker.requests, usable);
    workers.set(key, rate);
    if (rate !== undefined) total = (total ?? 0) + rate;
    for (const core of worker.cores) {
      const id = coreKey(key, core.id);
      cores.set(id, rateOf(before?.cores.get(id), core.requests, usable));
    }
  });
  return { interval: usable, workers, cores, total };
}

/** A counter that went down was restarted: no rate for that interval, never a negative one. */
function rateOf(before: number | undefined, now: number, interval: number | undefined): number | undefined {
  if (before === undefined || interval === undefined || now < before) return undefined;
  return (now - before) / interval;
}

function countersByKey(doc: StatsDocument): { workers: Map<string, number>; cores: Map<string, number> } {
  const workers = new Map<string, number>();
  const cores = new Map<string, number>();
  doc.workers.forEach((worker, index) => {
    const key = workerKey(worker, index);
    workers.set(key, worker.requests);
    for (const core of worker.cores) cores.set(coreKey(key, core.id), core.requests);
  });
  return { workers, cores };
}

/**
 * Why `after` comes from another master than `before`, or undefined if it is the same
 * one. tsgi's `started_at` survives reloads, so it changes only on a real restart; for
 * uWSGI the master pid is the only identity there is.
 */
export function describeRestart(before: StatsDocument, after: StatsDocument): string | undefined {
  const startedBefore = before.tsgi?.started_at;
  const startedAfter = after.tsgi?.started_at;
  if (startedBefore !== undefined && startedAfter !== undefined && startedBefore !== startedAfter) {
    return `server restarted (master pid ${before.pid} -> ${after.pid})`;
  }
  if (before.pid && after.pid && before.pid !== after.pid) return `server restarted (master pid ${before.pid} -> ${after.pid})`;
  return undefined;
}
