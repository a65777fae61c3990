/**
 * The key map and the screen state it drives. One table names every key, what it does
 * and its line in the help screen, so the help can never drift from the bindings.
 * uwsgitop's keys (`q`, `a`, `f`) keep their meaning; the rest are tsgitop's own.
 * `applyAction` is pure: the state in, the next state out.
 */
import { COLUMN_IDS, DEFAULT_SORT, type ColumnId } from './views/columns.js';
import { CORE_VIEWS, type CoreView } from './views/rows.js';

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

export interface KeyBinding {
  /** Key names as `keyName` spells them. */
  keys: readonly string[];
  /** How the help screen shows the keys. */
  label: string;
  help: string;
  action: Action | ((key: string) => Action);
}

const SCROLL_KEYS: Record<string, Extract<Action, { type: 'scroll' }>['to']> = {
  up: 'up',
  k: 'up',
  down: 'down',
  j: 'down',
  pageup: 'pageUp',
  pagedown: 'pageDown',
  home: 'top',
  g: 'top',
  end: 'bottom',
  G: 'bottom',
};

export const KEY_MAP: readonly KeyBinding[] = [
  { keys: ['q', 'C-c'], label: 'q  Ctrl-C', help: 'quit', action: { type: 'quit' } },
  { keys: ['a'], label: 'a', help: 'views: workers / one row per core / cores under workers', action: { type: 'cycleView' } },
  { keys: ['f'], label: 'f', help: 'fast refresh (every 0.1 s) on/off', action: { type: 'toggleFast' } },
  {
    keys: ['s', 'right', 'S', 'left'],
    label: 's S  Right Left',
    help: 'sort by the next / previous column',
    action: (key) => ({ type: 'sort', step: key === 's' || key === 'right' ? 1 : -1 }),
  },
  { keys: ['r'], label: 'r', help: 'reverse the sort order', action: { type: 'reverse' } },
  { keys: ['m'], label: 'm', help: 'RPS over the last interval / averaged since spawn', action: { type: 'toggleAverages' } },
  { keys: ['c'], label: 'c', help: 'charts on/off', action: { type: 'toggleCharts' } },
  {
    keys: ['tab', 'S-tab', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    label: 'Tab S-Tab 1-9',
    help: 'next / previous / Nth server',
    action: (key) =>
      key === 'tab' ? { type: 'server', step: 1 } : key === 'S-tab' ? { type: 'server', step: -1 } : { type: 'selectServer', index: Number(key) - 1 },
  },
  {
    keys: Object.keys(SCROLL_KEYS),
    label: 'Up Dn PgUp PgDn',
    help: 'scroll the table (also j k, Home End, g G)',
    action: (key) => ({ type: 'scroll', to: SCROLL_KEYS[key] ?? 'up' }),
  },
  { keys: ['space'], label: 'Space', help: 'ask the server now', action: { type: 'pollNow' } },
  {
    keys: ['h', '?', 'escape'],
    label: 'h ?  Esc',
    help: 'this help on/off; Esc closes it',
    action: (key) => (key === 'escape' ? { type: 'closeHelp' } : { type: 'toggleHelp' }),
  },
];

/**
 * A key's name from blessed's keypress: blessed spells a capital letter `S-s`; the map
 * says `S`, as people type it.
 */
export function keyName(full: string): string {
  const shifted = /^S-([a-z])$/.exec(full);
  return shifted ? shifted[1]!.toUpperCase() : full;
}

export function actionForKey(name: string): Action | undefined {
  const binding = KEY_MAP.find((candidate) => candidate.keys.includes(name));
  if (!binding) return undefined;
  return typeof binding.action === 'function' ? binding.action(name) : binding.action;
}

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
