/**
 * The worker table as text: rows in the chosen view, sorted, cut into aligned columns that
 * fit the width. uwsgitop separates cells with tabs, which misaligns as soon as a figure
 * reaches eight characters; here every column is as wide as its widest cell, left-aligned
 * like uwsgitop's, after uwsgitop's leading space. Pure.
 */
import type { Snapshot } from '../model.js';
import { clip, sumOf } from './format.js';
import { COLUMNS, type CellContext, type Column, type ColumnId } from './columns.js';
import { mergedCoreRows, nestedCoreRows, workerRows, type CoreView, type RowColour, type TableRow } from './rows.js';

export interface SortOrder {
  column: ColumnId;
  /** Flips the column's natural direction (`r`). */
  reverse: boolean;
}

export interface TableOptions {
  view: CoreView;
  sort: SortOrder;
  /** Columns available; undefined means no limit (`--once`). */
  width?: number;
  /** Replaces each row's RPS (the `m` averages view). */
  rateOf?: (row: TableRow) => number | undefined;
}

export interface TableLine {
  text: string;
  colour: RowColour;
}

export interface Table {
  /** The column titles line, e.g. ` WID  %  PID ...`. */
  header: string;
  /** Where the sorted column's title sits in `header`, if shown: [start, end). */
  sortSpan: [number, number] | undefined;
  lines: TableLine[];
  shown: ColumnId[];
  hidden: ColumnId[];
}

const GAP = '  ';

/** Builds the whole table for one snapshot. */
export function buildTable(snapshot: Snapshot, options: TableOptions): Table {
  const context: CellContext = { totalRequests: sumOf(snapshot.doc.workers, (w) => w.requests) };
  const rows = orderedRows(snapshot, options);
  const cells = rows.map((row) => COLUMNS.map((column) => column.cell(row, context)));
  const widths = COLUMNS.map((column, i) => Math.max(column.id.length, column.minWidth, ...cells.map((line) => line[i]!.length)));
  const shownIndexes = fitColumns(widths, options.width);
  const render = (texts: readonly string[]): string => {
    const parts = shownIndexes.map((i, position) => (position === shownIndexes.length - 1 ? texts[i]! : texts[i]!.padEnd(widths[i]!)));
    const line = ` ${parts.join(GAP)}`;
    return options.width === undefined ? line : clip(line, options.width);
  };
  const header = render(COLUMNS.map((column) => column.id));
  return {
    header,
    sortSpan: sortSpan(shownIndexes, widths, options.sort.column),
    lines: rows.map((row, r) => ({ text: render(cells[r]!), colour: row.colour })),
    shown: shownIndexes.map((i) => COLUMNS[i]!.id),
    hidden: COLUMNS.filter((_, i) => !shownIndexes.includes(i)).map((column) => column.id),
  };
}

/** Rows of the chosen view with the chosen order; in the nested view cores follow their worker. */
export function orderedRows(snapshot: Snapshot, options: Pick<TableOptions, 'view' | 'sort' | 'rateOf'>): TableRow[] {
  const withRates = (rows: TableRow[]): TableRow[] =>
    options.rateOf ? rows.map((row) => ({ ...row, rps: options.rateOf!(row) })) : rows;
  if (options.view === 'cores') return sortRows(withRates(mergedCoreRows(snapshot)), options.sort);
  const workers = sortRows(withRates(workerRows(snapshot)), options.sort);
  if (options.view === 'workers') return workers;
  return workers.flatMap((row) => [row, ...withRates(nestedCoreRows(snapshot, row))]);
}

/** Stable sort by one column; rows without a value go last, ties keep document order. */
export function sortRows(rows: TableRow[], sort: SortOrder): TableRow[] {
  const column = COLUMNS.find((candidate) => candidate.id === sort.column) ?? COLUMNS[3]!;
  const ascending = column.ascending !== sort.reverse;
  return [...rows].sort((a, b) => {
    const byValue = compareValues(column.sortValue(a), column.sortValue(b), ascending);
    return byValue !== 0 ? byValue : a.order - b.order;
  });
}

function compareValues(a: number | string | undefined, b: number | string | undefined, ascending: boolean): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  const order = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
  return ascending ? order : -order;
}

/** Indexes of the columns that fit in `width`, dropping the least wanted first. */
function fitColumns(widths: readonly number[], width: number | undefined): number[] {
  const shown = COLUMNS.map((_, i) => i);
  if (width === undefined) return shown;
  const total = (indexes: number[]) => 1 + sumOf(indexes, (i) => widths[i]!) + GAP.length * (indexes.length - 1);
  const byKeep = [...shown].sort((a, b) => COLUMNS[a]!.keep - COLUMNS[b]!.keep);
  for (const drop of byKeep) {
    if (total(shown) <= width || shown.length === 1) break;
    if (COLUMNS[drop]!.id === 'WID') continue;
    shown.splice(shown.indexOf(drop), 1);
  }
  return shown;
}

function sortSpan(shown: readonly number[], widths: readonly number[], id: ColumnId): [number, number] | undefined {
  let start = 1;
  for (const i of shown) {
    const column: Column = COLUMNS[i]!;
    if (column.id === id) return [start, start + column.id.length];
    start += widths[i]! + GAP.length;
  }
  return undefined;
}
