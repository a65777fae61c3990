/**
 * The status line under the table: which server, whether it answers, the last notable
 * event, and the viewer's choices (sort, view, refresh). The connection comes first: when
 * a server is down, that is the one thing a narrow screen must still say. Pure.
 */
import type { Connection, Notice, ServerModel } from '../model.js';
import type { UiState } from '../ui-state.js';
import { columnById, type ColumnId } from './columns.js';
import { clip, clock } from './format.js';

export type StatusLevel = 'info' | 'warn' | 'error';

export interface StatusLine {
  text: string;
  level: StatusLevel;
}

/** A notice stays on screen this long. */
export const NOTICE_MS = 30_000;

const VIEW_NAMES = { workers: 'workers', cores: 'per core', nested: 'cores under workers' } as const;

export interface StatusContext {
  models: readonly Pick<ServerModel, 'address' | 'connection'>[];
  ui: UiState;
  /** Seconds between asks, as currently set. */
  intervalSeconds: number;
  hidden: readonly ColumnId[];
  now: number;
  width?: number;
}

export function statusLine(model: Pick<ServerModel, 'address' | 'connection' | 'notice' | 'latest'>, context: StatusContext): StatusLine {
  const { ui } = context;
  const direction = columnById(ui.sort).ascending !== ui.reverse ? 'asc' : 'desc';
  const parts = [
    ...serverList(context),
    ...connectionParts(model.connection, model.latest?.at, context.intervalSeconds),
    ...noticeParts(model.notice, context.now),
    `sort ${ui.sort} ${direction}`,
    VIEW_NAMES[ui.view],
    ...(ui.averages ? ['RPS avg since spawn'] : []),
    `every ${formatSeconds(context.intervalSeconds)}${ui.fast ? ' (fast)' : ''}`,
    ...(context.hidden.length > 0 ? [`${context.hidden.length} column${context.hidden.length === 1 ? '' : 's'} hidden`] : []),
    'h help',
  ];
  const text = ` ${parts.join(' | ')}`;
  return { text: context.width === undefined ? text : clip(text, context.width), level: levelOf(model.connection, model.notice, context.now) };
}

/** With several servers: `[2/3] address`, so Tab and the number keys make sense. */
function serverList(context: StatusContext): string[] {
  if (context.models.length <= 1) return [];
  const marks = context.models.map((model, i) => {
    const down = model.connection.state === 'down' ? '!' : '';
    return i === context.ui.server ? `[${i + 1}${down}]` : `${i + 1}${down}`;
  });
  return [marks.join(' ')];
}

function connectionParts(connection: Connection, lastAnswer: number | undefined, interval: number): string[] {
  const retry = `retrying every ${formatSeconds(interval)}`;
  const showing = lastAnswer === undefined ? [] : [`showing data of ${clock(new Date(lastAnswer))}`];
  switch (connection.state) {
    case 'connecting':
      return ['connecting...'];
    case 'up':
      return [];
    case 'down':
      return [`DOWN since ${clock(new Date(connection.since))}: ${connection.error}`, retry, ...showing];
    case 'malformed':
      return [`BAD ANSWER since ${clock(new Date(connection.since))}: ${connection.error}`, retry, ...showing];
  }
}

function noticeParts(notice: Notice | undefined, now: number): string[] {
  return notice && now - notice.at < NOTICE_MS ? [`${notice.text} at ${clock(new Date(notice.at))}`] : [];
}

function levelOf(connection: Connection, notice: Notice | undefined, now: number): StatusLevel {
  if (connection.state === 'down' || connection.state === 'malformed') return 'error';
  if (notice && now - notice.at < NOTICE_MS) return 'warn';
  return 'info';
}

function formatSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(2))}s`;
}
