import { stepOf, type AlgoResult, type CheaperAlgorithm, type CheaperSettings, type TickView } from './types.js';

/** uWSGI's backlog algorithm keeps no state between ticks. */
export interface BacklogState {
  kind: 'backlog';
}

/**
 * `cheaper-algo = backlog`, uWSGI 2.0 `uwsgi_cheaper_algo_backlog()`, one tick,
 * with `cheaper-overload` read as a queue length:
 *
 * - listen queue `> overload` and spawning allowed: spawn up to `cheaper-step`.
 * - listen queue `< overload` and more than `cheaper` present: cheap one,
 *   every tick (one per second), oldest idle first.
 * - listen queue `== overload`: nothing.
 *
 * The queue depth is the kernel's (Linux `/proc/net/tcp*`); elsewhere it reads
 * 0 and this algorithm only shrinks, as in uWSGI.
 */
export const backlog: CheaperAlgorithm<BacklogState> = {
  name: 'backlog',
  init: () => ({ kind: 'backlog' }),
  decide,
};

function decide(state: BacklogState, view: TickView, settings: CheaperSettings): AlgoResult<BacklogState> {
  const queue = view.listenQueue;
  const limit = settings.overload;
  if (view.canSpawn && queue > limit) {
    const n = Math.min(stepOf(settings), view.free);
    const log =
      n > 0
        ? [`[backlog] ${queue} request(s) in listen queue (> ${limit}), spawning ${n} worker(s)`]
        : [`[backlog] ${queue} request(s) in listen queue (> ${limit}) but no free slot left (processes = ${settings.processes})`];
    return { state, delta: n, log };
  }
  if (queue < limit && view.active > settings.cheaper) {
    return {
      state,
      delta: -1,
      log: [`[backlog] ${queue} request(s) in listen queue (< ${limit}), cheap one of ${view.active} running workers`],
    };
  }
  return { state, delta: 0, log: [] };
}
