import { findOption, getOptionValue, type TsgiConfig } from '@tsgi/config';
import { resolvePath } from '../os/paths.js';
import { shutdown, togglePause } from './lifecycle.js';
import type { MasterParts } from './parts.js';
import { reload, reopenLog, startChain } from './reload.js';
import { enterCheap, leaveCheap } from './scaling.js';
import { startUpgrade } from './upgrade.js';

/**
 * The master's verbs and every way to ask for one: signals, master-fifo
 * letters, `supervise` flags and touch files. One table, read by the loop's
 * dispatch step and rendered into the README's signal table (a test fails
 * when the two drift apart).
 */
export type Control =
  | 'reload'
  | 'brutal-reload'
  | 'reload-workers'
  | 'brutal-reload-workers'
  | 'graceful-stop'
  | 'stop'
  | 'pause'
  | 'more'
  | 'fewer'
  | 'chain-reload'
  | 'cheap'
  | 'reopen-log'
  | 'stats'
  | 'status'
  | 'upgrade';

interface ControlDoc {
  control: Control | Control[];
  /** the ways to ask for it besides the signal and fifo tables below */
  also?: string[];
  effect: string;
}

/** The signals the master listens to, and what each asks for. SIGTERM depends on `die-on-term`. */
export const SIGNAL_CONTROLS = {
  SIGHUP: 'reload',
  SIGTERM: (dieOnTerm: boolean): Control => (dieOnTerm ? 'graceful-stop' : 'brutal-reload'),
  SIGINT: 'stop',
  SIGQUIT: 'stop',
  SIGUSR1: 'stats',
  SIGUSR2: 'status',
  SIGTTIN: 'more',
  SIGTTOU: 'fewer',
  SIGTSTP: 'pause',
  // `supervise --upgrade pidfile`; ignored by default, so a master that predates upgrades ignores it
  SIGURG: 'upgrade',
} as const satisfies Partial<Record<NodeJS.Signals, Control | ((dieOnTerm: boolean) => Control)>>;

export type MasterSignal = keyof typeof SIGNAL_CONTROLS;
export const MASTER_SIGNALS = Object.keys(SIGNAL_CONTROLS) as MasterSignal[];

/** uWSGI's master-fifo letters. */
export const FIFO_CONTROLS: Readonly<Record<string, Control>> = {
  r: 'reload',
  R: 'brutal-reload',
  w: 'reload-workers',
  W: 'brutal-reload-workers',
  q: 'graceful-stop',
  Q: 'stop',
  s: 'stats',
  p: 'pause',
  '+': 'more',
  '-': 'fewer',
  C: 'cheap',
  c: 'chain-reload',
  l: 'reopen-log',
  U: 'upgrade',
};

/**
 * uWSGI's touch files: when the file's mtime changes, the master does the control (as the
 * fifo letter would), and logs uWSGI's line for it.
 */
export const TOUCH_CONTROLS = {
  'touch-reload': { control: 'reload', line: 'grace them all !!!' },
  'touch-workers-reload': { control: 'reload-workers', line: 'workers reload !!!' },
  'touch-chain-reload': { control: 'chain-reload', line: 'chain reload !!!' },
} as const satisfies Record<string, { control: Control; line: string }>;

export type TouchOption = keyof typeof TOUCH_CONTROLS;
const TOUCH_OPTIONS = Object.keys(TOUCH_CONTROLS) as TouchOption[];

/** Every touch file of a config, resolved against `cwd`, with the option that names it. */
export function touchFiles(c: TsgiConfig, cwd: string): [file: string, option: TouchOption][] {
  return TOUCH_OPTIONS.flatMap((option) => (getOptionValue(c, findOption(option)!) as string[]).map((f): [string, TouchOption] => [resolvePath(cwd, f), option]));
}

/** A touch file changed: uWSGI's line, then the control it asks for. */
export function touched(p: MasterParts, file: string, option: TouchOption): void {
  const { control, line } = TOUCH_CONTROLS[option];
  if (control === 'chain-reload' && p.state.when('running')?.chain) return p.log.verbose(`*** ${file} has been touched... but chain reload is already running ***`);
  p.log.verbose(`*** ${file} has been touched... ${line} ***`);
  perform(p, control);
}

/** Listens to every signal of the table (listeners only enqueue); returns what stops listening. */
export function listenToSignals(onSignal: (signal: MasterSignal) => void): () => void {
  const handlers = MASTER_SIGNALS.map((signal) => [signal, (): void => onSignal(signal)] as const);
  for (const [signal, h] of handlers) process.on(signal, h);
  return () => {
    for (const [signal, h] of handlers) process.off(signal, h);
  };
}

/** The control a signal asks for, or undefined for a signal the master does not handle. */
export function signalControl(signal: NodeJS.Signals, dieOnTerm: boolean): Control | undefined {
  const c = (SIGNAL_CONTROLS as Partial<Record<NodeJS.Signals, Control | ((d: boolean) => Control)>>)[signal];
  return typeof c === 'function' ? c(dieOnTerm) : c;
}

/** The control a fifo letter asks for; unknown letters are ignored, as uWSGI does. */
export function fifoControl(letter: string): Control | undefined {
  return Object.hasOwn(FIFO_CONTROLS, letter) ? FIFO_CONTROLS[letter] : undefined;
}

/** The README's table: one row per verb (or pair of verbs), in this order. */
const DOCS: ControlDoc[] = [
  {
    control: 'reload',
    also: ['`supervise --reload pidfile`'],
    effect: 'graceful reload: re-read the config, start new workers, retire the old ones once their replacements are ready; no request fails',
  },
  {
    control: 'brutal-reload',
    also: ['`supervise --brutal-reload pidfile`'],
    effect:
      'brutal reload (uWSGI 2.0): workers replaced at once; with `die-on-term = true`, `SIGTERM` is a graceful shutdown instead (set it under systemd, docker, Kubernetes)',
  },
  { control: 'stop', also: ['`supervise --stop pidfile`'], effect: 'shutdown now, exit 0' },
  {
    control: ['reload-workers', 'brutal-reload-workers'],
    effect: 'graceful / brutal reload of the workers only, with the config the master has (the file is not re-read)',
  },
  { control: 'graceful-stop', effect: 'graceful shutdown: every worker finishes its requests, then the master exits' },
  { control: 'chain-reload', effect: 'chain reload: workers replaced one at a time, each successor ready before the next victim' },
  {
    control: 'reopen-log',
    effect:
      'reopen the log files (`logto`, `logger`, `req-logger`) after logrotate moved them, no `copytruncate` needed: the master opens them anew and the workers follow, no process restarted, no line lost',
  },
  { control: 'cheap', effect: 'cheap mode now: every worker stops; the next connection wakes them and is served' },
  { control: 'pause', effect: 'pause / resume every worker (status `pause`; connections wait in the backlog)' },
  { control: 'stats', effect: 'stats summary in the log' },
  { control: 'status', effect: 'what each worker is doing, in the log' },
  { control: ['more', 'fewer'], effect: 'one worker more / fewer, within `cheaper` and `processes`' },
  {
    control: 'upgrade',
    also: ['`supervise --upgrade pidfile`'],
    effect:
      'master upgrade: a new master (the supervise and Node on disk now, the config re-read) inherits the listening sockets, starts its workers, and only once they are ready does the old master drain and exit; a new master that fails leaves the old one serving',
  },
];

/** The signal / command table of the README, generated from the tables above. */
export function renderControlsTable(): string {
  const rows = ['| signal / command | effect |', '|---|---|'];
  for (const doc of DOCS) {
    const controls = Array.isArray(doc.control) ? doc.control : [doc.control];
    // SIGTERM is listed as uWSGI 2.0 has it; the effect text says what die-on-term changes
    const signals = controls.map((c) => MASTER_SIGNALS.filter((s) => signalControl(s, false) === c));
    const letters = controls.map((c) => Object.keys(FIFO_CONTROLS).filter((l) => FIFO_CONTROLS[l] === c));
    const ways: string[] = [];
    if (signals.some((s) => s.length > 0)) ways.push(signals.map((s) => s.map((x) => `\`${x}\``).join(', ')).join(' / '));
    ways.push(...(doc.also ?? []));
    ways.push(...TOUCH_OPTIONS.filter((o) => controls.includes(TOUCH_CONTROLS[o].control)).map((o) => `\`${o}\``));
    if (letters.some((l) => l.length > 0)) ways.push(`fifo ${letters.map((l) => l.map((x) => `\`${x}\``).join(' ')).join(' / ')}`);
    rows.push(`| ${ways.join(', ')} | ${doc.effect} |`);
  }
  return rows.join('\n') + '\n';
}

/** Every control has a row in the table (checked by the drift test). */
export function documentedControls(): Control[] {
  return DOCS.flatMap((d) => (Array.isArray(d.control) ? d.control : [d.control]));
}

/** One verb, whichever signal, fifo letter or touch file asked for it. */
export function perform(p: MasterParts, control: Control): void {
  switch (control) {
    case 'reload':
      return reload(p, false, true);
    case 'brutal-reload':
      return reload(p, true, true);
    case 'reload-workers':
      return reload(p, false, false);
    case 'brutal-reload-workers':
      return reload(p, true, false);
    case 'graceful-stop':
      return shutdown(p, true);
    case 'stop':
      return shutdown(p, false);
    case 'pause':
      return togglePause(p);
    case 'more':
      if (p.scaling.scale(+1, p.cfg)) leaveCheap(p, 'one worker more was asked for');
      return;
    case 'fewer':
      return void p.scaling.scale(-1, p.cfg);
    case 'chain-reload':
      return startChain(p);
    case 'cheap':
      return enterCheap(p, 'cheap mode requested on the master fifo');
    case 'reopen-log':
      return reopenLog(p);
    case 'stats':
      for (const line of p.stats?.summary(p.view()) ?? []) p.log.log(line);
      return;
    case 'status':
      return askStatus(p);
    case 'upgrade':
      return startUpgrade(p);
  }
}

/** SIGUSR2: the master's view of each worker, then each worker's own account of its requests. */
function askStatus(p: MasterParts): void {
  const workers = p.pool.workers;
  p.log.log(`*** tsgi master ${process.pid}: phase ${p.state.phase}, generation ${p.pool.generation}, ${workers.length} worker process(es) ***`);
  for (const w of workers) {
    const why = w.state.kind === 'ready' ? w.state.replace : w.state.kind === 'starting' ? undefined : w.state.reason;
    p.log.log(`worker ${w.slot} (pid: ${w.pid}) ${w.state.kind}${why ? ` (${why})` : ''}, generation ${w.generation}`);
    p.pool.send(w, { t: 'status' });
  }
}
