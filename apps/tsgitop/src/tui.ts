/**
 * The interactive screen: pollers feed models, keys change the viewer's state, and every
 * change redraws one frame (poller → model → views → layout, keys on the side). A poll
 * answer from a server not on screen only updates its model.
 *
 * The terminal is restored by `restore()`, which is idempotent so main can call it from
 * every way out (q, Ctrl-C, signals, a crash).
 */
import blessed from 'blessed';
import type { Widgets } from 'blessed';
import { displayHost } from './address.js';
import type { Options } from './args.js';
import { actionForKey, keyName } from './keys.js';
import { Layout } from './layout.js';
import { ServerModel } from './model.js';
import { Poller } from './poller.js';
import { applyAction, INITIAL_UI, type Action, type UiState } from './ui-state.js';
import { buildFrame } from './views/frame.js';

/** uwsgitop's fast screen refreshes every 100 ms. */
const FAST_INTERVAL_S = 0.1;

export interface TuiSession {
  /** Resolves with the exit code once the user quits and the terminal is restored. */
  done: Promise<number>;
  quit(code?: number): void;
  /** Leaves the terminal as it was found; safe to call more than once. */
  restore(): void;
}

export interface TuiIo {
  hostname: string;
  /** A bug in drawing, handed back to main. */
  onFatal(error: unknown): void;
}

export function startTui(options: Options, io: TuiIo): TuiSession {
  const models = options.addresses.map((address) => new ServerModel(address, { host: displayHost(address, io.hostname) }));
  let ui: UiState = INITIAL_UI;
  const intervalSeconds = () => (ui.fast ? FAST_INTERVAL_S : options.frequency);

  const screen: Widgets.Screen = blessed.screen({ smartCSR: true, title: 'tsgitop', warnings: false, autoPadding: false });
  const layout = withScreen(screen, () => new Layout(screen, ui.charts));
  let restored = false;
  /** What the last frame held, for keys that page through the table. */
  let shown = { pageRows: 1, totalRows: 0 };
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  const draw = (): void => {
    if (restored) return;
    const size = layout.size();
    const frame = buildFrame({ models, ui, ...size, intervalSeconds: intervalSeconds(), now: Date.now() });
    ui = { ...ui, scroll: frame.scroll };
    shown = { pageRows: frame.pageRows, totalRows: frame.totalRows };
    layout.draw(frame);
  };

  const pollers = models.map(
    (model, index) =>
      new Poller(model.address, { intervalMs: intervalSeconds() * 1000, onFatal: io.onFatal }, (result) => {
        model.ingest(result);
        if (index === ui.server) guard(draw, io.onFatal);
      }),
  );

  const restore = (): void => {
    if (restored) return;
    restored = true;
    for (const poller of pollers) poller.stop();
    screen.destroy();
  };
  const quit = (code = 0): void => {
    restore();
    finish(code);
  };

  const perform = (action: Action): void => {
    if (action.type === 'quit') return quit(0);
    const before = ui;
    ui = applyAction(ui, action, { servers: models.length, ...shown });
    if (action.type === 'pollNow') pollers[ui.server]?.pollNow();
    if (ui.fast !== before.fast) for (const poller of pollers) poller.setInterval(intervalSeconds() * 1000);
    if (ui.charts !== before.charts) layout.rebuild(ui.charts);
    draw();
  };

  screen.on('keypress', (_ch: string | undefined, key: Widgets.Events.IKeyEventArg | undefined) => {
    if (!key?.full) return;
    const action = actionForKey(keyName(key.full));
    if (action) guard(() => perform(action), io.onFatal);
  });
  screen.on('resize', () =>
    guard(() => {
      if (restored) return;
      layout.rebuild();
      draw();
    }, io.onFatal),
  );

  withScreen(screen, draw);
  for (const poller of pollers) poller.start();
  return { done, quit, restore };
}

/** Builds with the screen up, taking it down again if building fails, so the terminal is never left raw. */
function withScreen<T>(screen: Widgets.Screen, build: () => T): T {
  try {
    return build();
  } catch (error) {
    screen.destroy();
    throw error;
  }
}

/** Runs a step of the event handlers, sending a thrown bug to main instead of into blessed's emitter. */
function guard(step: () => void, onFatal: (error: unknown) => void): void {
  try {
    step();
  } catch (error) {
    onFatal(error);
  }
}
