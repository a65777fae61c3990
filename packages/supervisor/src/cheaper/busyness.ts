import { overloadOf, stepOf, type AlgoResult, type CheaperAlgorithm, type CheaperSettings, type TickView } from './types.js';

/** uWSGI's `uwsgi_cheaper_busyness_global`, as a plain serialisable record. */
export interface BusynessState {
  kind: 'busyness';
  /** false until the first tick, which logs the settings and starts the timers */
  started: boolean;
  /** ms, start of the current measurement window (uWSGI's `tcheck`) */
  windowStart: number;
  /** ticks sampled in the current window */
  windowTicks: number;
  /** per slot id: sum of the ELU samples of this window (uWSGI's `running_time` delta) */
  eluSum: Record<number, number>;
  /** ms, no cheap before this (uWSGI's `next_cheap`) */
  nextCheap: number;
  /** ms of the last cheap, null if none yet */
  lastCheaped: number | null;
  /** the current multiplier (`cheap_multi`); never below `cheaper-busyness-multiplier` */
  multiplier: number;
  lastAction: 'none' | 'spawn' | 'cheap';
  /** windows in a row with min <= busyness <= max */
  tolerance: number;
  /** workers spawned by a backlog alert and not yet cheaped */
  emergencyWorkers: number;
  /** ms since when the listen queue has been non-empty, null when empty */
  backlogNonzeroSince: number | null;
}

/**
 * `cheaper-algo = busyness`, uWSGI 2.0 `plugins/cheaper_busyness`, with
 * Node's event-loop utilisation standing in for uWSGI's `running_time`:
 *
 * - Each `cheaper-overload` seconds closes a window; a worker's busyness is
 *   the mean of its ELU samples over the window's ticks (0 while booting),
 *   and the average runs over present workers.
 * - average > max: spawn up to `cheaper-step`; if within `multiplier ×
 *   overload` seconds of the last cheap, `multiplier += penalty` (flapping),
 *   else it decays by one towards its configured value.
 * - else listen queue > backlog-alert: emergency spawn of `backlog-step`.
 * - average < min: above `cheaper`, cheap one once `next_cheap` has passed
 *   (`overload × multiplier` seconds after the last action).
 * - in between: three windows in a row reset the cheap timer, fewer push it
 *   back by one window.
 * - Every tick between windows: emergency spawn when the listen queue exceeds
 *   backlog-alert, or has been non-empty for backlog-nonzero seconds.
 */
export const busyness: CheaperAlgorithm<BusynessState> = {
  name: 'busyness',
  init: () => ({
    kind: 'busyness',
    started: false,
    windowStart: 0,
    windowTicks: 0,
    eluSum: {},
    nextCheap: 0,
    lastCheaped: null,
    multiplier: 0,
    lastAction: 'none',
    tolerance: 0,
    emergencyWorkers: 0,
    backlogNonzeroSince: null,
  }),
  decide,
};

const DEFAULT_BACKLOG_MULTIPLIER = 3;
const DEFAULT_BACKLOG_NONZERO = 60;

/** Mutable scratch for one tick; `decide` copies the state first, so the caller's never changes. */
interface Tick {
  s: BusynessState;
  view: TickView;
  cfg: CheaperSettings;
  log: string[];
}

function decide(prev: BusynessState, view: TickView, cfg: CheaperSettings): AlgoResult<BusynessState> {
  const t: Tick = { s: { ...prev, eluSum: { ...prev.eluSum } }, view, cfg, log: [] };
  if (!t.s.started) start(t);
  else sample(t);
  const delta = t.view.now - t.s.windowStart >= overloadOf(cfg) * 1000 ? closeWindow(t) : betweenWindows(t);
  return { state: t.s, delta, log: t.log };
}

/** Plugin init: log the settings, start the window and the cheap timer. */
function start(t: Tick): void {
  const { s, cfg } = t;
  s.started = true;
  s.multiplier = cfg.multiplier;
  s.windowStart = t.view.now;
  setNextCheap(t);
  t.log.push(
    `[busyness] settings: min=${cfg.busynessMin}%, max=${cfg.busynessMax}%, overload=${cfg.overload}, multiplier=${cfg.multiplier}, respawn penalty=${cfg.penalty}`,
    `[busyness] backlog alert is set to ${cfg.backlogAlert} request(s), step is ${cfg.backlogStep}`,
    `[busyness] backlog non-zero alert is set to ${cfg.backlogNonzero ?? DEFAULT_BACKLOG_NONZERO} second(s)`,
  );
}

/** Adds this tick's ELU of each ready worker; a slot that left forgets its samples. */
function sample(t: Tick): void {
  t.s.windowTicks++;
  for (const w of t.view.workers) {
    if (!w.active) delete t.s.eluSum[w.id];
    else if (w.running) t.s.eluSum[w.id] = (t.s.eluSum[w.id] ?? 0) + clamp01(w.elu);
  }
}

function closeWindow(t: Tick): number {
  const { s, view, cfg } = t;
  const overload = overloadOf(cfg);
  const avg = averageBusyness(t);
  s.windowStart = view.now;
  s.windowTicks = 0;
  s.eluSum = {};
  if (cfg.verbose) t.log.push(`[busyness] ${overload}s average busyness of ${view.active} worker(s) is at ${avg}%`);

  if (avg > cfg.busynessMax) return spawnBusy(t, avg);
  if (backlogAlert(t)) return spawnEmergency(t);
  if (avg < cfg.busynessMin) return cheapIdle(t, avg);
  tolerate(t, avg);
  return 0;
}

/** Integer percent per present worker (ELU sum over the window's ticks), then the integer average. */
function averageBusyness(t: Tick): number {
  const { s, view, cfg } = t;
  let total = 0;
  for (const w of view.workers) {
    if (!w.active) continue;
    const percent = s.windowTicks > 0 ? Math.min(100, Math.round(((s.eluSum[w.id] ?? 0) * 100) / s.windowTicks)) : 0;
    total += percent;
    if (cfg.verbose && view.active > 1) {
      t.log.push(`[busyness] worker nr ${w.id} ${overloadOf(cfg)}s average busyness is at ${percent}%`);
    }
  }
  return view.active > 0 ? Math.floor(total / view.active) : 0;
}

/** average > max: spawn `cheaper-step`, with the respawn penalty against flapping. */
function spawnBusy(t: Tick, avg: number): number {
  const { s, view, cfg } = t;
  const overload = overloadOf(cfg);
  s.tolerance = 0;
  const n = view.canSpawn ? Math.min(stepOf(cfg), view.free) : 0;
  if (n === 0) {
    t.log.push(
      `[busyness] ${overload}s average busyness is at ${avg}% but we already started maximum number of workers available with current limits (${view.active})`,
    );
    return 0;
  }
  s.lastAction = 'spawn';
  const sinceCheap = s.lastCheaped === null ? Infinity : Math.floor((view.now - s.lastCheaped) / 1000 / overload);
  if (sinceCheap <= s.multiplier) {
    s.multiplier += cfg.penalty;
    t.log.push(`[busyness] worker(s) respawned too fast, increasing cheaper multiplier to ${s.multiplier} (+${cfg.penalty})`);
  } else {
    decreaseMultiplier(t);
  }
  setNextCheap(t);
  t.log.push(`[busyness] ${overload}s average busyness is at ${avg}%, will spawn ${n} new worker(s)`);
  return n;
}

/** average < min: cheap one once the timer allows it. */
function cheapIdle(t: Tick, avg: number): number {
  const { s, view, cfg } = t;
  // with only 1 worker running there is no point in doing all that magic
  if (view.active === 1) return 0;
  s.tolerance = 0;
  if (view.active <= cfg.cheaper) return 0;
  if (view.now < s.nextCheap) {
    if (cfg.verbose) t.log.push(`[busyness] need to wait ${Math.floor((s.nextCheap - view.now) / 1000)} more second(s) to cheap worker`);
    return 0;
  }
  if (s.lastAction === 'cheap') decreaseMultiplier(t);
  setNextCheap(t);
  t.log.push(`[busyness] ${overloadOf(cfg)}s average busyness is at ${avg}%, cheap one of ${view.active} running workers`);
  s.lastCheaped = view.now;
  s.lastAction = 'cheap';
  if (s.emergencyWorkers > 0) s.emergencyWorkers--;
  return -1;
}

/** min <= average <= max: a non-idle window delays the next cheap. */
function tolerate(t: Tick, avg: number): void {
  const { s, view, cfg } = t;
  if (view.active === 1) return;
  const overload = overloadOf(cfg);
  if (s.emergencyWorkers > 0) s.emergencyWorkers--;
  s.tolerance++;
  if (s.tolerance >= 3) {
    if (cfg.verbose) t.log.push(`[busyness] ${overload}s average busyness is at ${avg}%, ${s.tolerance} non-idle cycle(s), resetting cheaper timer`);
    setNextCheap(t);
  } else {
    if (cfg.verbose) t.log.push(`[busyness] ${overload}s average busyness is at ${avg}%, ${s.tolerance} non-idle cycle(s), adjusting cheaper timer`);
    s.nextCheap += overload * 1000;
  }
}

/** Between windows: the backlog alert every tick, and the backlog-nonzero timer. */
function betweenWindows(t: Tick): number {
  const { s, view, cfg } = t;
  if (backlogAlert(t)) return spawnEmergency(t);
  if (view.listenQueue > 0) {
    if (s.backlogNonzeroSince === null) {
      if (cfg.verbose) t.log.push(`[busyness] backlog is starting to fill (${view.listenQueue})`);
      s.backlogNonzeroSince = view.now;
      return 0;
    }
    const secs = Math.floor((view.now - s.backlogNonzeroSince) / 1000);
    if (view.canSpawn && secs >= (cfg.backlogNonzero ?? DEFAULT_BACKLOG_NONZERO)) {
      t.log.push(`[busyness] backlog was non-zero for ${secs} second(s), spawning new worker(s)`);
      s.backlogNonzeroSince = view.now;
      return spawnEmergency(t);
    }
    return 0;
  }
  if (s.backlogNonzeroSince !== null) {
    if (cfg.verbose) t.log.push('[busyness] backlog is now empty');
    s.backlogNonzeroSince = null;
  }
  return 0;
}

function backlogAlert(t: Tick): boolean {
  const { view, cfg } = t;
  return view.canSpawn && view.listenQueue > cfg.backlogAlert && view.active < cfg.processes;
}

/** `spawn_emergency_worker()`: reset the multiplier, spawn `backlog-step`, cheap them back sooner. */
function spawnEmergency(t: Tick): number {
  const { s, view, cfg } = t;
  s.multiplier = cfg.multiplier;
  s.lastAction = 'spawn';
  const n = Math.min(Math.max(1, cfg.backlogStep), view.free);
  // uWSGI resets the timer before counting the new emergency workers
  setNextCheap(t);
  if (n > 0) {
    s.emergencyWorkers += n;
    t.log.push(`[busyness] ${view.listenQueue} requests in listen queue, spawning ${n} emergency worker(s) (${s.emergencyWorkers})!`);
  } else {
    t.log.push(`[busyness] ${view.listenQueue} requests in listen queue but we are already started maximum number of workers (${cfg.processes})`);
  }
  return n;
}

/** `set_next_cheap_time()`: overload × multiplier, or × backlog-multiplier while emergency workers run. */
function setNextCheap(t: Tick): void {
  const { s, view, cfg } = t;
  const overload = overloadOf(cfg);
  if (s.emergencyWorkers > 0) {
    const secs = overload * (cfg.backlogMultiplier ?? DEFAULT_BACKLOG_MULTIPLIER);
    if (cfg.verbose) t.log.push(`[busyness] ${s.emergencyWorkers} emergency worker(s) running, using ${secs} seconds cheaper timer`);
    s.nextCheap = view.now + secs * 1000;
  } else {
    s.nextCheap = view.now + overload * s.multiplier * 1000;
  }
}

/** `decrease_multi()`: back towards the configured multiplier, one at a time. */
function decreaseMultiplier(t: Tick): void {
  if (t.s.multiplier > t.cfg.multiplier) {
    t.s.multiplier--;
    t.log.push(`[busyness] decreasing cheaper multiplier to ${t.s.multiplier}`);
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
