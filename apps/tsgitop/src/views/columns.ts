/**
 * The worker table's columns: uwsgitop's sixteen, in its order, then tsgi's CPU and ELU.
 * One table drives the cells, the sort keys, the natural sort direction and which columns
 * give way first on a narrow terminal.
 */
import {
  formatAvg,
  formatCpu,
  formatElu,
  formatLastSpawn,
  formatPercent,
  formatRate,
  formatRunTime,
  humanSize,
} from './format.js';
import type { TableRow } from './rows.js';

export type ColumnId =
  | 'WID' | '%' | 'PID' | 'REQ' | 'RPS' | 'EXC' | 'SIG' | 'STATUS' | 'AVG'
  | 'RSS' | 'VSZ' | 'TX' | 'ReSpwn' | 'HC' | 'RunT' | 'LastSpwn' | 'CPU' | 'ELU' | 'WS';

/** What cells need besides the row. */
export interface CellContext {
  /** Sum of all workers' `requests`: the denominator of `%`. */
  totalRequests: number;
}

export interface Column {
  id: ColumnId;
  /** Cell text; core rows of the nested view fill only a few columns, `-` elsewhere. */
  cell(row: TableRow, context: CellContext): string;
  /** Sort key; undefined sorts last whatever the direction. */
  sortValue(row: TableRow): number | string | undefined;
  /** Natural direction: counters and sizes biggest first, identities in order. */
  ascending: boolean;
  /** Lower gives way first on a narrow screen; WID never does. */
  keep: number;
  /** Room kept even when the current figures are shorter, so the table does not jitter. */
  minWidth: number;
}

/** In the nested view a core row has its own %, REQ, RPS and STATUS and nothing else. */
function workerOnly(cell: (row: TableRow) => string): (row: TableRow) => string {
  return (row) => (row.kind === 'core' && row.wid.startsWith(' ') ? '-' : cell(row));
}

const widOrder = (row: TableRow): number => row.worker.id * 10_000 + (row.core?.id ?? -1);

export const COLUMNS: readonly Column[] = [
  { id: 'WID', cell: (r) => r.wid, sortValue: widOrder, ascending: true, keep: 100, minWidth: 3 },
  { id: '%', cell: (r, c) => formatPercent(r.requests, c.totalRequests), sortValue: (r) => r.requests, ascending: false, keep: 55, minWidth: 4 },
  { id: 'PID', cell: workerOnly((r) => String(r.worker.pid)), sortValue: (r) => r.worker.pid, ascending: true, keep: 95, minWidth: 5 },
  { id: 'REQ', cell: (r) => String(r.requests), sortValue: (r) => r.requests, ascending: false, keep: 98, minWidth: 5 },
  { id: 'RPS', cell: (r) => formatRate(r.rps), sortValue: (r) => r.rps, ascending: false, keep: 99, minWidth: 4 },
  { id: 'EXC', cell: workerOnly((r) => String(r.worker.exceptions)), sortValue: (r) => r.worker.exceptions, ascending: false, keep: 45, minWidth: 3 },
  { id: 'SIG', cell: workerOnly((r) => String(r.worker.signals)), sortValue: (r) => r.worker.signals, ascending: false, keep: 10, minWidth: 3 },
  { id: 'STATUS', cell: (r) => r.status, sortValue: (r) => r.status, ascending: true, keep: 97, minWidth: 6 },
  { id: 'AVG', cell: workerOnly((r) => formatAvg(r.worker.avg_rt)), sortValue: (r) => r.worker.avg_rt, ascending: false, keep: 80, minWidth: 5 },
  { id: 'RSS', cell: workerOnly((r) => humanSize(r.worker.rss)), sortValue: (r) => r.worker.rss, ascending: false, keep: 85, minWidth: 6 },
  { id: 'VSZ', cell: workerOnly((r) => humanSize(r.worker.vsz)), sortValue: (r) => r.worker.vsz, ascending: false, keep: 20, minWidth: 6 },
  { id: 'TX', cell: workerOnly((r) => humanSize(r.worker.tx)), sortValue: (r) => r.worker.tx, ascending: false, keep: 50, minWidth: 6 },
  { id: 'ReSpwn', cell: workerOnly((r) => String(r.worker.respawn_count)), sortValue: (r) => r.worker.respawn_count, ascending: false, keep: 40, minWidth: 6 },
  { id: 'HC', cell: workerOnly((r) => String(r.worker.harakiri_count)), sortValue: (r) => r.worker.harakiri_count, ascending: false, keep: 15, minWidth: 2 },
  { id: 'RunT', cell: workerOnly((r) => formatRunTime(r.worker.running_time)), sortValue: (r) => r.worker.running_time, ascending: false, keep: 25, minWidth: 8 },
  { id: 'LastSpwn', cell: workerOnly((r) => formatLastSpawn(r.worker.last_spawn)), sortValue: (r) => r.worker.last_spawn, ascending: false, keep: 30, minWidth: 8 },
  { id: 'CPU', cell: workerOnly((r) => formatCpu(r.worker.cpu)), sortValue: (r) => r.worker.cpu, ascending: false, keep: 90, minWidth: 5 },
  { id: 'ELU', cell: workerOnly((r) => formatElu(r.worker.elu)), sortValue: (r) => r.worker.elu, ascending: false, keep: 88, minWidth: 4 },
  // open WebSockets (tsgi): '-' for a uWSGI server, which has no such figure
  { id: 'WS', cell: workerOnly((r) => (r.worker.upgraded === undefined ? '-' : String(r.worker.upgraded))), sortValue: (r) => r.worker.upgraded, ascending: false, keep: 35, minWidth: 2 },
];

export const COLUMN_IDS: readonly ColumnId[] = COLUMNS.map((column) => column.id);

export function columnById(id: ColumnId): Column {
  const column = COLUMNS.find((candidate) => candidate.id === id);
  if (!column) throw new Error(`unknown column ${id}`);
  return column;
}

/** uwsgitop always sorts by REQ, most first. */
export const DEFAULT_SORT: ColumnId = 'REQ';
