/**
 * The key map: one table names every key, the action it sends to the UI state
 * (ui-state.ts) and its line in the help screen, so the help can never drift from the
 * bindings. uwsgitop's keys (`q`, `a`, `f`) keep their meaning; the rest are tsgitop's own.
 */
import type { Action } from './ui-state.js';

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
