/**
 * The dashboard's model: what the page knows of one stats server, fed only by the
 * snapshots the `/ws` push delivers and by the connection's ups and downs. It keeps the
 * latest document, derives requests per second from counter deltas (as uwsgitop and
 * tsgitop do: no rate for a first snapshot, none for a counter that went down), a bounded
 * history per worker for the sparklines, and the recycles it saw happen. Pure and
 * deterministic: the caller passes the clocks, so it is tested without a browser.
 */
import type { StatsDocument, StatsWorker } from '@tsgi/stats-protocol';

/** Points each sparkline keeps: a minute at the default `stats-push` of a second. */
export const HISTORY_POINTS = 60;
/** Recycles listed, newest first. */
export const RECYCLES_KEPT = 10;

/**
 * A worker's status on the page: uWSGI's (busy, idle, cheap, pause, sig…) and what tsgi
 * adds to it: `starting` until the app is loaded, `backoff` while a crash-looping slot
 * waits for its next attempt.
 */
export type WorkerStatus = 'busy' | 'idle' | 'cheap' | 'pause' | 'sig' | 'starting' | 'backoff';

/** One row of the worker table. */
export interface WorkerRow {
  /** stable across snapshots: the slot id, or the position of a never-spawned slot */
  key: string;
  id: number;
  pid: number;
  status: WorkerStatus;
  /** a retired process of this slot is still finishing its requests */
  draining: boolean;
  /** why the slot's last process was (or is being) retired; '' if none */
  reason: string;
  /** seconds until a crash-looping slot's next attempt */
  backoff: number;
  requests: number;
  rps: number | undefined;
  exceptions: number;
  avgRt: number;
  rss: number;
  vsz: number;
  tx: number;
  cpu: number;
  elu: number;
  inFlight: number;
  respawns: number;
  harakiris: number;
  lastSpawn: number;
  upgraded: number;
}

/** The recent values of one worker, oldest first, for its sparklines. */
export interface WorkerSeries {
  rps: number[];
  cpu: number[];
  elu: number[];
  rss: number[];
}

export type SeriesName = keyof WorkerSeries;

/** A slot whose process changed: a recycle, a crash, a scale-down. */
export interface Recycle {
  /** ms epoch the page saw it */
  at: number;
  id: number;
  oldPid: number;
  /** 0 when the slot was left empty (scale-down, cheap mode) */
  newPid: number;
  reason: string;
}

export type Connection =
  | { state: 'connecting' }
  | { state: 'up'; since: number }
  /** the push stopped: refused, closed, silent too long */
  | { state: 'down'; since: number; error: string };

/** A passing event worth a line: a restart, a reload, a recovery. */
export interface Notice {
  at: number;
  text: string;
}

export class DashboardModel {
  connection: Connection = { state: 'connecting' };
  doc: StatsDocument | undefined;
  /** ms epoch of the latest document */
  at = 0;
  rows: WorkerRow[] = [];
  /** requests per second of every worker together, once two snapshots were compared */
  rps: number | undefined;
  readonly series = new Map<string, WorkerSeries>();
  /** every worker's requests/s and RSS summed, oldest first */
  readonly totals: { rps: number[]; rss: number[] } = { rps: [], rss: [] };
  readonly recycles: Recycle[] = [];
  notice: Notice | undefined;
  /** monotonic ms of the latest document, for rates */
  private clock = 0;

  /**
   * Folds in one pushed snapshot, received at epoch `at` and monotonic `clock` ms.
   * Returns false (and changes nothing) for anything that is not a stats document.
   */
  ingest(value: unknown, at: number, clock: number): boolean {
    if (!isStatsDocument(value)) return false;
    const previous = this.doc;
    const restart = previous ? describeRestart(previous, value) : undefined;
    if (restart) {
      this.notice = { at, text: restart };
      this.series.clear();
    } else if (previous && (value.tsgi?.reloads ?? 0) > (previous.tsgi?.reloads ?? 0)) {
      this.notice = { at, text: `reloaded (reload #${value.tsgi!.reloads})` };
    } else if (this.connection.state === 'down') {
      this.notice = { at, text: 'stats server is back' };
    }
    if (this.connection.state !== 'up') this.connection = { state: 'up', since: at };

    const base = previous && !restart ? previous : undefined;
    const interval = base ? (clock - this.clock) / 1000 : 0;
    const before = new Map(base?.workers.map((w, i) => [workerKey(w, i), w]));
    if (base) this.noteRecycles(base, value, before, at);
    this.rows = value.workers.map((w, i) => toRow(w, i, before.get(workerKey(w, i)), interval));
    this.rps = base && interval > 0 ? this.rows.reduce((sum, r) => sum + (r.rps ?? 0), 0) : undefined;
    this.remember(value);
    this.doc = value;
    this.at = at;
    this.clock = clock;
    return true;
  }

  /** The push is gone (closed, refused, silent): the last snapshot stays on the page, marked old. */
  disconnected(at: number, error: string): void {
    const since = this.connection.state === 'down' ? this.connection.since : at;
    this.connection = { state: 'down', since, error };
  }

  private remember(doc: StatsDocument): void {
    const live = new Set<string>();
    for (const row of this.rows) {
      live.add(row.key);
      let s = this.series.get(row.key);
      if (!s) this.series.set(row.key, (s = { rps: [], cpu: [], elu: [], rss: [] }));
      push(s.rps, row.rps ?? 0);
      push(s.cpu, row.cpu);
      push(s.elu, row.elu);
      push(s.rss, row.rss);
    }
    for (const key of [...this.series.keys()]) if (!live.has(key)) this.series.delete(key);
    push(this.totals.rps, this.rps ?? 0);
    push(
      this.totals.rss,
      doc.workers.reduce((sum, w) => sum + w.rss, 0),
    );
  }

  /**
   * A slot whose pid changed had its process replaced or stopped. The reason is the one
   * the master gave the old process while it drained (`tsgi.draining`), else the slot's
   * last recycle reason.
   */
  private noteRecycles(before: StatsDocument, after: StatsDocument, previous: Map<string, StatsWorker>, at: number): void {
    const drained = new Map<number, string>();
    for (const d of [...(before.tsgi?.draining ?? []), ...(after.tsgi?.draining ?? [])]) drained.set(d.pid, d.reason);
    const seen: Recycle[] = [];
    after.workers.forEach((w, i) => {
      const old = previous.get(workerKey(w, i));
      if (!old || old.pid === 0 || old.pid === w.pid) return;
      const reason = drained.get(old.pid) || w.recycle_reason || (w.pid === 0 ? 'stopped' : 'exited');
      seen.push({ at, id: w.id, oldPid: old.pid, newPid: w.pid, reason });
    });
    // newest first; those of one snapshot in slot order
    this.recycles.unshift(...seen);
    this.recycles.splice(RECYCLES_KEPT);
  }
}

/** A never-spawned uWSGI slot has id 0, and all of them share it: those are keyed by position. */
export function workerKey(w: StatsWorker, index: number): string {
  return w.id > 0 ? `w${w.id}` : `#${index}`;
}

/** The status a worker shows: tsgi's backoff and start-up before uWSGI's own, `sig<N>` as `sig`. */
export function statusOf(w: StatsWorker): WorkerStatus {
  if (num(w.backoff) > 0) return 'backoff';
  if (w.status === 'cheap' || w.pid === 0) return 'cheap';
  if (w.ready === 0) return 'starting';
  if (w.status.startsWith('sig')) return 'sig';
  if (w.status === 'busy') return 'busy';
  if (w.status === 'pause') return 'pause';
  return 'idle';
}

function toRow(w: StatsWorker, index: number, before: StatsWorker | undefined, interval: number): WorkerRow {
  const rps = before && interval > 0 && w.requests >= before.requests ? (w.requests - before.requests) / interval : undefined;
  return {
    key: workerKey(w, index),
    id: w.id,
    pid: w.pid,
    status: statusOf(w),
    draining: w.draining === 1,
    reason: typeof w.recycle_reason === 'string' ? w.recycle_reason : '',
    backoff: num(w.backoff),
    requests: w.requests,
    rps,
    exceptions: num(w.exceptions),
    avgRt: num(w.avg_rt),
    rss: w.rss,
    vsz: num(w.vsz),
    tx: num(w.tx),
    cpu: num(w.cpu),
    elu: num(w.elu),
    inFlight: num(w.in_flight),
    respawns: w.respawn_count,
    harakiris: num(w.harakiri_count),
    lastSpawn: num(w.last_spawn),
    upgraded: num(w.upgraded),
  };
}

/** A figure a uWSGI server, an older tsgi or a damaged push may lack: 0 rather than NaN on the page. */
function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function push(values: number[], value: number): void {
  values.push(value);
  if (values.length > HISTORY_POINTS) values.splice(0, values.length - HISTORY_POINTS);
}

/**
 * Why `after` comes from another master than `before`, or undefined. tsgi's `started_at`
 * survives reloads and changes only on a real restart; for uWSGI the pid is all there is.
 */
export function describeRestart(before: StatsDocument, after: StatsDocument): string | undefined {
  const was = before.tsgi?.started_at;
  const now = after.tsgi?.started_at;
  if ((was !== undefined && now !== undefined && was !== now) || before.pid !== after.pid) {
    return `master restarted (pid ${before.pid} → ${after.pid})`;
  }
  return undefined;
}

/**
 * Just enough of the document's shape for the page to draw it: a push is trusted no more
 * than any input, and a malformed one must not take the page down.
 */
export function isStatsDocument(value: unknown): value is StatsDocument {
  if (typeof value !== 'object' || value === null) return false;
  const doc = value as Partial<StatsDocument>;
  if (typeof doc.pid !== 'number' || !Array.isArray(doc.workers) || !Array.isArray(doc.sockets)) return false;
  return doc.workers.every(
    (w: unknown) =>
      typeof w === 'object' &&
      w !== null &&
      ['id', 'pid', 'requests', 'rss', 'respawn_count'].every((k) => typeof (w as Record<string, unknown>)[k] === 'number') &&
      typeof (w as Record<string, unknown>).status === 'string',
  );
}
