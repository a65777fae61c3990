import { overloadOf, stepOf, type AlgoResult, type CheaperAlgorithm, type CheaperSettings, type TickView } from './types.js';

/** uWSGI's two `static` counters of `uwsgi_cheaper_algo_spare`. */
export interface SpareState {
  kind: 'spare';
  /** leaky count of ticks where every present worker was busy */
  overloadCount: number;
  /** ticks with more than one idle worker since the last all-busy tick */
  idleCount: number;
}

/**
 * `cheaper-algo = spare`, uWSGI 2.0 `uwsgi_cheaper_algo_spare()`, one tick:
 *
 * 1. If any present worker is idle, `overloadCount` goes down by one (floor
 *    0); otherwise it goes up and `idleCount` resets. The counter leaks rather
 *    than resets, exactly as in uWSGI.
 * 2. `overloadCount > cheaper-overload` (strictly) and spawning allowed:
 *    spawn up to `cheaper-step` free slots and reset `overloadCount`, even
 *    when no slot is free.
 * 3. Else, when `overloadCount == 0`: exactly one idle worker is the stable
 *    state (nothing, `idleCount` untouched); otherwise `idleCount++` and,
 *    above `cheaper`, cheap one every `cheaper-overload` idle ticks.
 */
export const spare: CheaperAlgorithm<SpareState> = {
  name: 'spare',
  init: () => ({ kind: 'spare', overloadCount: 0, idleCount: 0 }),
  decide,
};

function decide(prev: SpareState, view: TickView, settings: CheaperSettings): AlgoResult<SpareState> {
  const overload = overloadOf(settings);
  const anyIdle = view.active > view.busy;
  const state: SpareState = anyIdle
    ? { ...prev, overloadCount: Math.max(0, prev.overloadCount - 1) }
    : { ...prev, overloadCount: prev.overloadCount + 1, idleCount: 0 };

  if (view.canSpawn && state.overloadCount > overload) {
    const ticks = state.overloadCount;
    const n = Math.min(stepOf(settings), view.free);
    const log =
      n > 0
        ? [`[spare] all ${view.active} worker(s) busy for ${ticks} cycle(s), spawning ${n} worker(s)`]
        : [`[spare] all ${view.active} worker(s) busy but no free slot left (processes = ${settings.processes})`];
    return { state: { ...state, overloadCount: 0 }, delta: n, log };
  }
  if (state.overloadCount !== 0) return { state, delta: 0, log: [] };

  const idle = view.active - view.busy;
  // "stable status: 1 spare worker"
  if (idle === 1) return { state, delta: 0, log: [] };

  const idleCount = state.idleCount + 1;
  const next = { ...state, idleCount };
  if (view.active > settings.cheaper && idleCount % overload === 0) {
    return {
      state: next,
      delta: -1,
      log: [`[spare] ${idle} idle worker(s) for ${idleCount} cycle(s), cheap one of ${view.active} running workers`],
    };
  }
  return { state: next, delta: 0, log: [] };
}
