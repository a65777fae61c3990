/**
 * The worker table's columns, in tsgitop's order where they share one (uwsgitop's names),
 * each with its cell text, its sort key and the sparkline drawn beside it. One table
 * drives the header, the cells and the sorting. Pure.
 */
import * as format from './format.js';
import type { SeriesName, WorkerRow, WorkerStatus } from './model.js';

export type ColumnId =
  | 'WID' | 'PID' | 'STATUS' | 'REQ' | 'RPS' | 'EXC' | 'AVG' | 'CPU' | 'ELU' | 'RSS' | 'VSZ'
  | 'TX' | 'INFL' | 'WS' | 'ReSpwn' | 'HC' | 'LastSpwn' | 'REASON';

export interface Column {
  id: ColumnId;
  /** the header's text */
  title: string;
  /** the header's tooltip */
  hint: string;
  text(row: WorkerRow, nowMs: number): string;
  sortValue(row: WorkerRow): number | string;
  /** counters and sizes sort biggest first on the first click; identities in order */
  descending: boolean;
  /** the history drawn beside the figure */
  chart?: SeriesName;
}

/** Busiest first when sorting by status. */
const STATUS_RANK: Readonly<Record<WorkerStatus, number>> = { busy: 0, starting: 1, backoff: 2, sig: 3, pause: 4, idle: 5, cheap: 6 };

export const COLUMNS: readonly Column[] = [
  { id: 'WID', title: 'WID', hint: 'worker (slot) id', text: (r) => String(r.id || '—'), sortValue: (r) => r.id, descending: false },
  { id: 'PID', title: 'PID', hint: 'process id; 0 while the slot is empty', text: (r) => (r.pid ? String(r.pid) : '—'), sortValue: (r) => r.pid, descending: false },
  { id: 'STATUS', title: 'Status', hint: 'busy, idle, cheap, pause, starting, backoff; draining while a retired process finishes', text: statusText, sortValue: (r) => STATUS_RANK[r.status] * 2 + (r.draining ? 0 : 1), descending: false },
  { id: 'REQ', title: 'REQ', hint: 'requests served by the slot, across respawns', text: (r) => format.count(r.requests), sortValue: (r) => r.requests, descending: true },
  { id: 'RPS', title: 'RPS', hint: 'requests per second since the previous snapshot', text: (r) => format.rate(r.rps), sortValue: (r) => r.rps ?? -1, descending: true, chart: 'rps' },
  { id: 'CPU', title: 'CPU', hint: 'CPU percent (100 = one core)', text: (r) => format.cpu(r.cpu), sortValue: (r) => r.cpu, descending: true, chart: 'cpu' },
  { id: 'ELU', title: 'ELU', hint: 'event-loop utilisation', text: (r) => format.elu(r.elu), sortValue: (r) => r.elu, descending: true, chart: 'elu' },
  { id: 'RSS', title: 'RSS', hint: 'resident memory (with memory-report)', text: (r) => format.size(r.rss), sortValue: (r) => r.rss, descending: true, chart: 'rss' },
  { id: 'VSZ', title: 'VSZ', hint: 'address space (with memory-report)', text: (r) => format.size(r.vsz), sortValue: (r) => r.vsz, descending: true },
  { id: 'AVG', title: 'AVG', hint: 'average response time', text: (r) => format.responseTime(r.avgRt), sortValue: (r) => r.avgRt, descending: true },
  { id: 'INFL', title: 'InFl', hint: 'requests in flight', text: (r) => String(r.inFlight), sortValue: (r) => r.inFlight, descending: true },
  { id: 'EXC', title: 'EXC', hint: 'exceptions', text: (r) => String(r.exceptions), sortValue: (r) => r.exceptions, descending: true },
  { id: 'TX', title: 'TX', hint: 'bytes sent', text: (r) => format.size(r.tx), sortValue: (r) => r.tx, descending: true },
  { id: 'WS', title: 'WS', hint: 'open WebSockets and other upgraded connections', text: (r) => String(r.upgraded), sortValue: (r) => r.upgraded, descending: true },
  { id: 'ReSpwn', title: 'ReSpwn', hint: 'respawns of the slot', text: (r) => String(r.respawns), sortValue: (r) => r.respawns, descending: true },
  { id: 'HC', title: 'HC', hint: 'harakiri kills', text: (r) => String(r.harakiris), sortValue: (r) => r.harakiris, descending: true },
  { id: 'LastSpwn', title: 'Spawned', hint: 'when the current process was spawned', text: (r, now) => format.ago(r.lastSpawn, now), sortValue: (r) => r.lastSpawn, descending: true },
  { id: 'REASON', title: 'Last recycle', hint: 'why the slot\'s last process was retired', text: (r) => r.reason || '—', sortValue: (r) => r.reason, descending: false },
];

/** uwsgitop's default: most requests first. */
export const DEFAULT_SORT: ColumnId = 'REQ';

export function columnById(id: ColumnId): Column {
  return COLUMNS.find((c) => c.id === id) ?? COLUMNS[0]!;
}

/** The status cell: the status, `backoff 3.2s` for a waiting slot. */
function statusText(r: WorkerRow): string {
  return r.status === 'backoff' ? `backoff ${r.backoff.toFixed(1)}s` : r.status;
}

/**
 * The rows ordered by a column, in its natural direction unless `reversed`; ties keep
 * the worker id order, so rows do not swap places between snapshots.
 */
export function sortRows(rows: readonly WorkerRow[], id: ColumnId, reversed: boolean): WorkerRow[] {
  const column = columnById(id);
  const sign = column.descending !== reversed ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = column.sortValue(a);
    const y = column.sortValue(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return order !== 0 ? order * sign : a.id - b.id || a.key.localeCompare(b.key);
  });
}
