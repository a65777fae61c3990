/**
 * The screen state that is the viewer's choice, and the actions that change it. Views read
 * it, the key map (keys.ts) produces the actions; `applyAction` is pure: the state in, the
 * next state out.
 */
import { COLUMN_IDS, DEFAULT_SORT, type ColumnId } from './views/columns.js';
import { CORE_VIEWS, type CoreView } from './views/rows.js';

/** A change the viewer asks for; `quit` and `pollNow` are effects, carried out by the caller. */
export type Action =
  | { type: 'quit' }
  | { type: 'cycleView' }
  | { type: 'toggleFast' }
  | { type: 'sort'; step: 1 | -1 }
  | { type: 'reverse' }
  | { type: 'toggleHelp' }
  | { type: 'closeHelp' }
  | { type: 'server'; step: 1 | -1 }
  | { type: 'selectServer'; index: number }
  | { type: 'toggleCharts' }
  | { type: 'toggleAverages' }
  | { type: 'scroll'; to: 'up' | 'down' | 'pageUp' | 'pageDown' | 'top' | 'bottom' }
  | { type: 'pollNow' };

/** Everything the screen shows that is the viewer's choice rather than the server's data. */
export interface UiState {
  /** Index into the addresses given. */
  server: number;
  sort: ColumnId;
  reverse: boolean;
  view: CoreView;
  fast: boolean;
  help: boolean;
  charts: boolean;
  averages: boolean;
  /** First table row shown. */
  scroll: number;
}

export const INITIAL_UI: UiState = {
  server: 0,
  sort: DEFAULT_SORT,
  reverse: false,
  view: 'workers',
  fast: false,
  help: false,
  charts: true,
  averages: false,
  scroll: 0,
};

/** What `applyAction` needs to know about the screen. */
export interface ActionContext {
  servers: number;
  /** Table rows that fit on the screen. */
  pageRows: number;
  /** Table rows there are. */
  totalRows: number;
}

/** The next state; `quit` and `pollNow` are effects, left to the caller, and change nothing. */
export function applyAction(state: UiState, action: Action, context: ActionContext): UiState {
  switch (action.type) {
    case 'quit':
    case 'pollNow':
      return state;
    case 'cycleView':
      return { ...state, view: CORE_VIEWS[(CORE_VIEWS.indexOf(state.view) + 1) % CORE_VIEWS.length]!, scroll: 0 };
    case 'toggleFast':
      return { ...state, fast: !state.fast };
    case 'sort':
      return { ...state, sort: step(COLUMN_IDS, state.sort, action.step), scroll: 0 };
    case 'reverse':
      return { ...state, reverse: !state.reverse, scroll: 0 };
    case 'toggleHelp':
      return { ...state, help: !state.help };
    case 'closeHelp':
      return { ...state, help: false };
    case 'server':
      return { ...state, server: wrap(state.server + action.step, context.servers), scroll: 0 };
    case 'selectServer':
      return action.index < context.servers ? { ...state, server: action.index, scroll: 0 } : state;
    case 'toggleCharts':
      return { ...state, charts: !state.charts };
    case 'toggleAverages':
      return { ...state, averages: !state.averages };
    case 'scroll':
      return { ...state, scroll: scrolled(state.scroll, action.to, context) };
  }
}

/** The first row to show so that the view stays within the rows there are. */
export function clampScroll(scroll: number, context: Pick<ActionContext, 'pageRows' | 'totalRows'>): number {
  return Math.max(0, Math.min(scroll, context.totalRows - Math.max(1, context.pageRows)));
}

function scrolled(scroll: number, to: Extract<Action, { type: 'scroll' }>['to'], context: ActionContext): number {
  const page = Math.max(1, context.pageRows);
  const target = {
    up: scroll - 1,
    down: scroll + 1,
    pageUp: scroll - page,
    pageDown: scroll + page,
    top: 0,
    bottom: context.totalRows,
  }[to];
  return clampScroll(target, context);
}

function step<T>(items: readonly T[], current: T, by: number): T {
  return items[wrap(items.indexOf(current) + by, items.length)]!;
}

function wrap(index: number, length: number): number {
  return length <= 0 ? 0 : ((index % length) + length) % length;
}
