/**
 * One screenful, as data: the model and the viewer's choices in, every line the layout
 * will place out. The layout only copies this into widgets, so everything a user sees
 * can be tested here without a terminal.
 */
import type { ServerModel } from '../model.js';
import { clampScroll, type UiState } from '../ui-state.js';
import { averageRateOf } from './averages.js';
import { chartSeries, type Charts } from './charts.js';
import { clip, ctime } from './format.js';
import { headerLines } from './header.js';
import { helpLines } from './help.js';
import { statusLine, type StatusLine } from './status.js';
import { buildTable, type TableLine } from './table.js';

export interface FrameInput {
  models: readonly ServerModel[];
  ui: UiState;
  /** Columns and rows of the area that holds the header, the table and the status line. */
  width: number;
  height: number;
  /** Seconds between asks, as currently set. */
  intervalSeconds: number;
  /** Epoch ms, for notices' age and the waiting screen. */
  now: number;
  /** Points per chart, or undefined when the charts are not shown. */
  chartPoints?: number;
}

export interface Frame {
  header: string[];
  /** Column titles; undefined until the first answer. */
  tableHeader: string | undefined;
  sortSpan: [number, number] | undefined;
  /** The rows that fit, from `scroll` on. */
  rows: TableLine[];
  /** `ui.scroll`, kept within the rows there are. */
  scroll: number;
  pageRows: number;
  totalRows: number;
  /** Shown in place of the table when there is nothing to tabulate yet. */
  message: StatusLine | undefined;
  status: StatusLine;
  charts: Charts | undefined;
  help: string[] | undefined;
}

export function buildFrame(input: FrameInput): Frame {
  const { ui, width } = input;
  const model = input.models[Math.min(ui.server, input.models.length - 1)];
  if (!model) throw new Error('buildFrame needs at least one server');
  const snapshot = model.latest;
  const table = snapshot
    ? buildTable(snapshot, {
        view: ui.view,
        sort: { column: ui.sort, reverse: ui.reverse },
        width,
        rateOf: ui.averages ? (row) => averageRateOf(snapshot, row) : undefined,
      })
    : undefined;
  const header = snapshot
    ? headerLines(snapshot, { host: model.host, address: model.address, averages: ui.averages }, width)
    : [clip(`tsgitop - ${ctime(new Date(input.now))}`, width), clip(`stats: ${model.address}`, width)];
  const pageRows = Math.max(1, input.height - header.length - 2);
  const totalRows = table?.lines.length ?? 0;
  const scroll = clampScroll(ui.scroll, { pageRows, totalRows });
  const status = statusLine(model, {
    models: input.models,
    ui,
    intervalSeconds: input.intervalSeconds,
    hidden: table?.hidden ?? [],
    now: input.now,
    width,
  });
  return {
    header,
    tableHeader: table?.header,
    sortSpan: table?.sortSpan,
    rows: table ? table.lines.slice(scroll, scroll + pageRows) : [],
    scroll,
    pageRows,
    totalRows,
    message: snapshot ? undefined : waitingMessage(model, width),
    status,
    charts: input.chartPoints === undefined ? undefined : chartSeries(model.history, input.chartPoints),
    help: ui.help ? helpLines() : undefined,
  };
}

function waitingMessage(model: ServerModel, width: number): StatusLine {
  const { connection } = model;
  if (connection.state === 'down') return { text: clip(` no answer yet: ${connection.error}`, width), level: 'error' };
  if (connection.state === 'malformed') return { text: clip(` no stats document yet: ${connection.error}`, width), level: 'error' };
  return { text: clip(` connecting to ${model.address} ...`, width), level: 'info' };
}
