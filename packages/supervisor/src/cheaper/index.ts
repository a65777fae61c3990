/**
 * Cheaper mode and idle (README, "Workers that follow the load"): uWSGI 2.0's
 * algorithms as pure functions.
 * The master calls `step` and `checkIdle` once per loop cycle and applies the
 * decisions; see each module for the uWSGI rule it implements.
 */
export type {
  AlgoResult,
  CheaperAlgoName,
  CheaperAlgorithm,
  CheaperDecision,
  CheaperInput,
  CheaperSettings,
  CheaperWorker,
  TickView,
} from './types.js';
export { noDecision } from './types.js';
export { createCheaper, type AlgoState, type Cheaper, type CheaperState, type CheaperStep } from './driver.js';
export { spare, type SpareState } from './spare.js';
export { backlog, type BacklogState } from './backlog.js';
export { busyness, type BusynessState } from './busyness.js';
export { checkIdle, initialIdleState, type IdleState } from './idle.js';
export { chooseRetirees, tickView } from './workers.js';
export { cheaperSettings } from './settings.js';
