/**
 * The one file that knows about widgets. A blessed-contrib grid splits the screen: the
 * uwsgitop area (header, table, status line) on top, requests/s and memory charts below.
 * The charts give their room back on small screens (under 60×20) or when hidden with `c`.
 * `draw` copies a `Frame` into the widgets and renders once; no decision is made here.
 *
 * blessed-contrib's line chart sizes its canvas only when attached, so a resize rebuilds
 * the widgets rather than stretching a stale canvas.
 */
import blessed from 'blessed';
import Grid from 'blessed-contrib/lib/layout/grid.js';
import line from 'blessed-contrib/lib/widget/charts/line.js';
import type { Widgets } from 'blessed';
import type { Frame } from './views/frame.js';
import type { ChartSeries } from './views/charts.js';
import type { StatusLine } from './views/status.js';
import type { RowColour } from './views/rows.js';

const GRID_ROWS = 12;
/** Grid rows given to the uwsgitop area when the charts are shown. */
const MAIN_ROWS = 8;
const MIN_CHART_WIDTH = 60;
const MIN_CHART_HEIGHT = 20;
/** The help's longest line, its border and a space each side. */
const HELP_WIDTH = 78;

interface Widgetry {
  main: Widgets.BoxElement;
  header: Widgets.BoxElement;
  tableHeader: Widgets.BoxElement;
  body: Widgets.BoxElement;
  status: Widgets.BoxElement;
  help: Widgets.BoxElement;
  charts: { rps: ReturnType<typeof line>; memory: ReturnType<typeof line> } | undefined;
}

export interface AreaSize {
  width: number;
  height: number;
  /** Points per chart, undefined when no charts are shown. */
  chartPoints: number | undefined;
}

export class Layout {
  private widgets: Widgetry;
  private wantCharts: boolean;

  constructor(
    private readonly screen: Widgets.Screen,
    charts: boolean,
  ) {
    this.wantCharts = charts;
    this.widgets = this.build();
  }

  /** Rebuilds for a new screen size or a charts toggle. */
  rebuild(charts: boolean = this.wantCharts): void {
    this.wantCharts = charts;
    for (const child of [...this.screen.children]) child.destroy();
    this.widgets = this.build();
  }

  /** The uwsgitop area's size, what frames are built for. */
  size(): AreaSize {
    const { main, charts } = this.widgets;
    const chartWidth = charts ? Number(charts.rps.width) : 0;
    return {
      width: Number(main.width),
      height: Number(main.height),
      chartPoints: charts ? Math.max(10, chartWidth - 12) : undefined,
    };
  }

  draw(frame: Frame): void {
    const { header, tableHeader, body, status, help, charts } = this.widgets;
    const width = Number(this.widgets.main.width);
    header.height = frame.header.length;
    header.setContent(frame.header.map(blessed.escape).join('\n'));
    tableHeader.top = frame.header.length;
    tableHeader.setContent(frame.tableHeader === undefined ? '' : titles(frame.tableHeader, frame.sortSpan, width));
    body.top = frame.header.length + 1;
    body.height = frame.pageRows;
    body.setContent(frame.message ? statusMarkup(frame.message, width) : frame.rows.map((row) => coloured(row.text, row.colour)).join('\n'));
    status.setContent(statusMarkup(frame.status, width));
    if (frame.help) {
      help.width = Math.min(HELP_WIDTH, Number(this.screen.width));
      help.height = Math.min(frame.help.length + 2, Number(this.screen.height));
      help.setContent(frame.help.map(blessed.escape).join('\n'));
      help.show();
      help.setFront();
    } else help.hide();
    if (charts && frame.charts) {
      plot(charts.rps, frame.charts.rps, 'green');
      plot(charts.memory, frame.charts.memory, 'cyan');
    }
    this.screen.render();
  }

  private build(): Widgetry {
    const screen = this.screen;
    const showCharts = this.wantCharts && Number(screen.width) >= MIN_CHART_WIDTH && Number(screen.height) >= MIN_CHART_HEIGHT;
    const grid = new Grid({ screen, rows: GRID_ROWS, cols: 12, hideBorder: true });
    const main = grid.set(0, 0, showCharts ? MAIN_ROWS : GRID_ROWS, 12, blessed.box, {});
    const box = (options: Widgets.BoxOptions) => blessed.box({ parent: main, left: 0, width: '100%', tags: true, wrap: false, ...options });
    const widgets: Widgetry = {
      main,
      header: box({ top: 0, height: 3 }),
      tableHeader: box({ top: 3, height: 1 }),
      body: box({ top: 4, height: 1 }),
      status: box({ bottom: 0, height: 1 }),
      help: blessed.box({
        parent: screen,
        top: 'center',
        left: 'center',
        width: HELP_WIDTH,
        height: 28,
        border: { type: 'line' },
        label: ' help ',
        tags: true,
        hidden: true,
      }),
      charts: undefined,
    };
    if (showCharts) {
      const chart = (col: number) =>
        grid.set(MAIN_ROWS, col, GRID_ROWS - MAIN_ROWS, 6, line, {
          border: { type: 'line' },
          style: { line: 'green', text: 'white', baseline: 'white', border: { fg: 'cyan' } },
          showLegend: false,
          minY: 0,
          xLabelPadding: 3,
          xPadding: 5,
          numYLabels: 4,
        });
      widgets.charts = { rps: chart(0), memory: chart(6) };
    }
    return widgets;
  }
}

/** The column titles in reverse video, as uwsgitop; the sorted column stands out in yellow. */
function titles(text: string, span: [number, number] | undefined, width: number): string {
  const padded = text.padEnd(width);
  if (!span) return `{inverse}${blessed.escape(padded)}{/inverse}`;
  const [start, end] = span;
  const part = (from: number, to?: number) => blessed.escape(padded.slice(from, to));
  return `{inverse}${part(0, start)}{/inverse}{black-fg}{yellow-bg}${part(start, end)}{/yellow-bg}{/black-fg}{inverse}${part(end)}{/inverse}`;
}

function coloured(text: string, colour: RowColour): string {
  const escaped = blessed.escape(text);
  return colour === 'default' ? escaped : `{${colour}-fg}${escaped}{/${colour}-fg}`;
}

function statusMarkup(line: StatusLine, width: number): string {
  const text = blessed.escape(line.text.padEnd(width));
  if (line.level === 'error') return `{white-fg}{red-bg}${text}{/red-bg}{/white-fg}`;
  if (line.level === 'warn') return `{black-fg}{yellow-bg}${text}{/yellow-bg}{/black-fg}`;
  return `{inverse}${text}{/inverse}`;
}

function plot(chart: ReturnType<typeof line>, series: ChartSeries, colour: string): void {
  chart.setLabel(series.label);
  chart.options.maxY = series.maxY;
  chart.setData([{ title: series.title, x: series.x, y: series.y, style: { line: colour } }]);
}
