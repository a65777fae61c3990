import { backlog, type BacklogState } from './backlog.js';
import { busyness, type BusynessState } from './busyness.js';
import { spare, type SpareState } from './spare.js';
import {
  noDecision,
  type CheaperAlgoName,
  type CheaperAlgorithm,
  type CheaperDecision,
  type CheaperInput,
  type CheaperSettings,
  type TickView,
} from './types.js';
import { chooseRetirees, tickView } from './workers.js';

export type AlgoState = SpareState | BacklogState | BusynessState;

/** Everything the cheaper subsystem remembers between ticks: plain data, safe to JSON. */
export interface CheaperState {
  /** the clock second (`floor(now / 1000)`) of the last tick, null before the first */
  lastTick: number | null;
  algo: AlgoState;
}

export interface CheaperStep {
  state: CheaperState;
  decision: CheaperDecision;
}

/** A cheaper algorithm behind uWSGI's driver. `step` is pure: same arguments, same result. */
export interface Cheaper {
  readonly name: CheaperAlgoName;
  initialState(): CheaperState;
  step(state: CheaperState, input: CheaperInput, settings: CheaperSettings): CheaperStep;
}

/** `cheaper-algo`: the algorithm by name, wrapped in the driver. */
export function createCheaper(name: CheaperAlgoName): Cheaper {
  switch (name) {
    case 'spare':
      return driven(spare);
    case 'backlog':
      return driven(backlog);
    case 'busyness':
      return driven(busyness);
  }
}

/**
 * uWSGI's `uwsgi_calc_cheaper()` around one algorithm:
 *
 * - at most one tick per clock second (uWSGI's `check_interval`, 1 s):
 *   calls in the same second return no decision and the same state, so a
 *   faster master loop does not advance the counters;
 * - a state left by another algorithm (`cheaper-algo` changed by a reload)
 *   is replaced by a fresh one;
 * - the algorithm's signed answer becomes a decision within the bounds:
 *   spawn at most the free slots, never above `processes`; retire the oldest
 *   idle workers, never below `cheaper` (nor below one: going to zero is
 *   `idle`'s job).
 */
function driven<S extends AlgoState>(algo: CheaperAlgorithm<S>): Cheaper {
  const owns = (s: AlgoState): s is S => s.kind === algo.name;
  return {
    name: algo.name,
    initialState: () => ({ lastTick: null, algo: algo.init() }),
    step(state, input, settings) {
      const second = Math.floor(input.now / 1000);
      if (state.lastTick !== null && second - state.lastTick < 1) return { state, decision: noDecision() };
      const log: string[] = [];
      let current: S;
      if (owns(state.algo)) {
        current = state.algo;
      } else {
        current = algo.init();
        log.push(`[cheaper] algorithm changed from ${state.algo.kind} to ${algo.name}`);
      }
      const view = tickView(input);
      const result = algo.decide(current, view, settings);
      const decision = bound(result.delta, view, settings, result.log);
      return { state: { lastTick: second, algo: result.state }, decision: { ...decision, log: [...log, ...decision.log] } };
    },
  };
}

function bound(delta: number, view: TickView, settings: CheaperSettings, log: string[]): CheaperDecision {
  if (delta > 0) {
    const spawn = Math.max(0, Math.min(delta, view.free, settings.processes - view.active));
    return { ...noDecision(log), spawn };
  }
  if (delta < 0) {
    const room = Math.max(0, view.active - Math.max(1, settings.cheaper));
    const wanted = Math.min(-delta, room);
    const retire = chooseRetirees(view.workers, wanted);
    if (retire.length < wanted && settings.verbose) {
      log.push(`[cheaper] no idle worker to cheap (${view.busy} of ${view.active} busy)`);
    }
    // a cheap that found no idle worker changes nothing: keep quiet unless verbose
    if (retire.length === 0 && !settings.verbose) return noDecision();
    return { ...noDecision(log), retire };
  }
  return noDecision(log);
}
