/**
 * Draws the model into the page: the header and its connection state, the summary cards,
 * the sortable worker table with its sparklines, the recent recycles, the spoolers and
 * the sockets. Every figure of the stats document goes in as text (`textContent`), never
 * as markup: a socket name or a path is data, whatever characters it holds.
 */
import type { StatsDocument } from '@tsgi/stats-protocol';
import { COLUMNS, columnById, sortRows, type ColumnId } from './columns.js';
import * as format from './format.js';
import type { DashboardModel, SeriesName, WorkerRow, WorkerStatus } from './model.js';
import { rangeOf, sparkPoints } from './spark.js';

/** What the reader chose: the sort column and whether its direction is reversed. */
export interface UiState {
  sort: ColumnId;
  reversed: boolean;
}

const SVG = 'http://www.w3.org/2000/svg';
const SPARK = { width: 60, height: 18 } as const;
const CARD_SPARK = { width: 140, height: 28 } as const;
/** A notice stays this long. */
const NOTICE_MS = 30_000;
/** The order the workers-by-status card lists them in. */
const STATUSES: readonly WorkerStatus[] = ['busy', 'idle', 'starting', 'pause', 'backoff', 'sig', 'cheap'];

type Child = Node | string;

/** `<tag class=…>children</tag>`; strings become text nodes. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.append(...children);
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as T;
}

/** A sparkline of `values`, drawn on the range its series reads best on. */
export function sparkline(name: SeriesName, values: readonly number[], size: { width: number; height: number }): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', `spark spark-${name}`);
  svg.setAttribute('width', String(size.width));
  svg.setAttribute('height', String(size.height));
  svg.setAttribute('viewBox', `0 0 ${size.width} ${size.height}`);
  svg.setAttribute('aria-hidden', 'true');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', sparkPoints(values, rangeOf(name, values), size.width, size.height - 1));
  svg.append(line);
  return svg;
}

/** The page's parts, found once. */
export class DashboardView {
  private readonly server = byId('server');
  private readonly connection = byId('connection');
  private readonly summary = byId('summary');
  private readonly notice = byId('notice');
  private readonly headRow = byId<HTMLTableElement>('workers').tHead!.rows[0]!;
  private readonly workers = byId<HTMLTableElement>('workers').tBodies[0]!;
  private readonly recycles = byId<HTMLTableElement>('recycles').tBodies[0]!;
  private readonly recyclesEmpty = byId('recycles-empty');
  private readonly spoolers = byId<HTMLTableElement>('spoolers').tBodies[0]!;
  private readonly spoolersEmpty = byId('spoolers-empty');
  private readonly sockets = byId<HTMLTableElement>('sockets').tBodies[0]!;
  private readonly clock = byId('clock');

  constructor(onSort: (id: ColumnId) => void) {
    for (const column of COLUMNS) {
      const button = el('button', '', column.title);
      button.type = 'button';
      button.title = column.hint;
      button.addEventListener('click', () => onSort(column.id));
      const th = el('th', column.chart ? 'num chart' : isNumeric(column.id) ? 'num' : '', button);
      th.dataset.col = column.id;
      this.headRow.append(th);
    }
  }

  render(model: DashboardModel, ui: UiState, now: number): void {
    this.renderConnection(model, now);
    this.clock.textContent = format.clock(now);
    const doc = model.doc;
    if (!doc) return;
    this.renderServer(doc, now);
    this.renderSummary(model, doc);
    this.renderNotice(model, now);
    this.renderWorkers(model, ui, now);
    this.renderRecycles(model);
    this.renderSpoolers(doc);
    this.renderSockets(doc);
  }

  private renderConnection(model: DashboardModel, now: number): void {
    const c = model.connection;
    const stale = c.state === 'down';
    document.body.classList.toggle('stale', stale);
    this.connection.className = `connection ${c.state === 'up' ? 'live' : c.state === 'down' ? 'disconnected' : 'connecting'}`;
    if (c.state === 'up') this.connection.textContent = 'live';
    else if (c.state === 'connecting') this.connection.textContent = 'connecting…';
    else {
      const last = model.doc ? ` · showing data of ${format.clock(model.at)}` : '';
      this.connection.textContent = `disconnected for ${format.duration((now - c.since) / 1000)} (${c.error}) · reconnecting${last}`;
    }
  }

  private renderServer(doc: StatsDocument, now: number): void {
    const t = doc.tsgi;
    const name = t ? `tsgi ${t.version}` : `uWSGI ${doc.version}`;
    const up = t ? ` · up ${format.duration(now / 1000 - t.started_at)}` : '';
    this.server.textContent = `${name} · master ${doc.pid}${up} · ${doc.cwd}`;
  }

  private renderSummary(model: DashboardModel, doc: StatsDocument): void {
    const requests = doc.workers.reduce((n, w) => n + w.requests, 0);
    const maxQueue = doc.sockets.reduce((m, s) => Math.max(m, s.max_queue), 0);
    const counts = new Map<WorkerStatus, number>();
    let draining = doc.tsgi?.draining.length ?? 0;
    for (const row of model.rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
    const chips = STATUSES.filter((s) => counts.has(s)).map((s) => el('span', `chip status-${s}`, `${s} ${counts.get(s)}`));
    if (draining === 0) draining = model.rows.filter((r) => r.draining).length;
    if (draining > 0) chips.push(el('span', 'chip status-draining', `draining ${draining}`));
    const phase = doc.tsgi?.phase ?? '—';
    this.summary.replaceChildren(
      card('requests', 'Requests', format.count(requests)),
      card('rps', 'Requests/s', format.rate(model.rps), sparkline('rps', model.totals.rps, CARD_SPARK)),
      card('memory', 'Memory (RSS)', format.size(model.totals.rss.at(-1) ?? 0), sparkline('rss', model.totals.rss, CARD_SPARK)),
      card('queue', 'Listen queue', `${doc.listen_queue} / ${maxQueue}`),
      card('workers', `Workers (${doc.workers.length})`, el('span', 'chips', ...chips)),
      card('phase', 'Phase', el('span', `phase phase-${phase}`, phase)),
      card('reloads', 'Reloads', String(doc.tsgi?.reloads ?? 0)),
    );
  }

  private renderNotice(model: DashboardModel, now: number): void {
    const n = model.notice;
    const shown = n !== undefined && now - n.at < NOTICE_MS;
    this.notice.hidden = !shown;
    if (shown) this.notice.textContent = `${format.clock(n.at)} ${n.text}`;
  }

  private renderWorkers(model: DashboardModel, ui: UiState, now: number): void {
    for (const th of this.headRow.cells) {
      const id = th.dataset.col as ColumnId;
      const direction = columnById(id).descending !== ui.reversed ? 'descending' : 'ascending';
      if (id === ui.sort) th.setAttribute('aria-sort', direction);
      else th.removeAttribute('aria-sort');
    }
    this.workers.replaceChildren(...sortRows(model.rows, ui.sort, ui.reversed).map((row) => this.workerRow(model, row, now)));
  }

  private workerRow(model: DashboardModel, row: WorkerRow, now: number): HTMLTableRowElement {
    const tr = el('tr', `status-${row.status}${row.draining ? ' draining' : ''}`);
    tr.dataset.wid = String(row.id);
    tr.dataset.pid = String(row.pid);
    const series = model.series.get(row.key);
    for (const column of COLUMNS) {
      const td = el('td', column.chart ? 'num chart' : isNumeric(column.id) ? 'num' : '');
      td.dataset.col = column.id;
      if (column.id === 'STATUS') {
        td.append(el('span', `badge status-${row.status}`, column.text(row, now)));
        if (row.draining) td.append(' ', el('span', 'badge status-draining', 'draining'));
      } else if (column.chart) {
        td.append(el('span', 'value', column.text(row, now)), sparkline(column.chart, series?.[column.chart] ?? [], SPARK));
      } else td.textContent = column.text(row, now);
      tr.append(td);
    }
    return tr;
  }

  private renderRecycles(model: DashboardModel): void {
    this.recyclesEmpty.hidden = model.recycles.length > 0;
    this.recycles.replaceChildren(
      ...model.recycles.map((r) =>
        tableRow(format.clock(r.at), String(r.id), String(r.oldPid), r.newPid ? String(r.newPid) : '—', el('span', `reason reason-${r.reason}`, r.reason)),
      ),
    );
  }

  private renderSpoolers(doc: StatsDocument): void {
    const spoolers = doc.spoolers ?? [];
    this.spoolersEmpty.hidden = spoolers.length > 0;
    this.spoolers.replaceChildren(
      ...spoolers.map((s) => {
        const state = s.pid === 0 ? 'down' : s.running ? 'running' : 'waiting';
        return tableRow(s.dir, s.pid ? String(s.pid) : '—', format.count(s.tasks), String(s.respawns), el('span', `badge spooler-${state}`, state));
      }),
    );
  }

  private renderSockets(doc: StatsDocument): void {
    this.sockets.replaceChildren(...doc.sockets.map((s) => tableRow(s.name, s.proto, `${s.queue} / ${s.max_queue}`)));
  }
}

function card(id: string, title: string, value: Child, chart?: SVGSVGElement): HTMLElement {
  const node = el('div', 'card', el('div', 'card-title', title), el('div', 'card-value', value));
  node.dataset.card = id;
  if (chart) node.append(chart);
  return node;
}

function tableRow(...cells: Child[]): HTMLTableRowElement {
  return el('tr', '', ...cells.map((c) => el('td', '', c)));
}

function isNumeric(id: ColumnId): boolean {
  return !['STATUS', 'REASON', 'LastSpwn'].includes(id);
}
