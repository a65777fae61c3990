import { noDecision, type CheaperDecision, type CheaperInput, type CheaperSettings } from './types.js';
import { isBusy } from './workers.js';

/** uWSGI's two `static` variables of `uwsgi_master_check_idle()`. */
export interface IdleState {
  /** ms of the last change of the request counter; null until the first check after start or wake-up */
  lastChange: number | null;
  lastCount: number;
}

export function initialIdleState(): IdleState {
  return { lastChange: null, lastCount: 0 };
}

/**
 * `idle = s`, uWSGI 2.0 `uwsgi_master_check_idle()`, once per master cycle:
 *
 * - off when `idle` is 0, and while cheap (no active slot): the timer restarts
 *   at the first check after waking up;
 * - skipped while any worker is busy (the timer keeps running);
 * - the timer restarts whenever the total request counter changes;
 * - go cheap when `now - lastChange > idle` (strictly).
 *
 * `die-on-idle` is the master's reading of `goCheap`.
 */
export function checkIdle(
  state: IdleState,
  input: CheaperInput,
  settings: Pick<CheaperSettings, 'idle'>,
): { state: IdleState; decision: CheaperDecision } {
  if (settings.idle <= 0) return { state, decision: noDecision() };
  if (!input.workers.some((w) => w.active)) return { state: { ...state, lastChange: null }, decision: noDecision() };

  const { now, totalRequests } = input;
  const lastChange = state.lastChange ?? now;
  // security check, stop the check if there are busy workers
  if (input.workers.some(isBusy)) return { state: { ...state, lastChange }, decision: noDecision() };

  if (totalRequests !== state.lastCount) {
    return { state: { lastChange: now, lastCount: totalRequests }, decision: noDecision() };
  }
  if (lastChange < now && now - lastChange > settings.idle * 1000) {
    const line = `workers have been inactive for more than ${settings.idle} seconds (${Math.floor(now / 1000)}-${Math.floor(lastChange / 1000)})`;
    return {
      state: { ...state, lastChange: null },
      decision: { spawn: 0, retire: [], goCheap: true, log: [line] },
    };
  }
  return { state: { ...state, lastChange }, decision: noDecision() };
}
