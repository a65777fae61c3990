/**
 * The cheaper subsystem's vocabulary (uWSGI's `cheaper-*` options, `idle`, `cheap`).
 *
 * Every algorithm is a pure function of (state, input, settings): the master
 * builds a {@link CheaperInput} from its worker table once per loop cycle,
 * feeds it with the previous state, applies the returned decision and keeps
 * the returned state. Nothing here reads a clock or touches a process.
 */

export type CheaperAlgoName = 'spare' | 'backlog' | 'busyness';

/** One worker slot as the algorithms see it (uWSGI's `uwsgi.workers[i]`). */
export interface CheaperWorker {
  /** slot id, 1..processes */
  id: number;
  /**
   * The slot is wanted (uWSGI's `cheaped == 0`). An active slot whose process
   * is still booting counts like uWSGI's freshly forked worker: present and
   * not busy.
   */
  active: boolean;
  /** the slot has a ready process */
  running: boolean;
  /**
   * The process reads busy, as its stats `status` (busy.ts): a request in flight at
   * its last report, or for at least half of the interval that report covers.
   */
  busy: boolean;
  /**
   * Event-loop utilisation over the last report interval, 0..1. When a busy
   * worker's report is overdue (its loop is blocked), pass 1.
   */
  elu: number;
  /** ms epoch of the current process's spawn (uWSGI's `last_spawn`) */
  spawnedAt: number;
}

export interface CheaperInput {
  /** ms, from the master's clock (a fake one in tests) */
  now: number;
  /** one per slot, 1..processes */
  workers: CheaperWorker[];
  /** the kernel's listen queue (uWSGI's `backlog`), summed over the sockets */
  listenQueue: number;
  /** cumulative requests of all slots (uWSGI's `workers[0].requests`) */
  totalRequests: number;
  /**
   * false when `cheaper-rss-limit-soft` is reached (uWSGI's `can_spawn`);
   * defaults to true.
   */
  canSpawn?: boolean;
}

export interface CheaperSettings {
  /** maximum number of workers */
  processes: number;
  /** minimum number of active workers */
  cheaper: number;
  cheaperInitial: number;
  /** workers spawned per decision (`cheaper-step`; 0 acts as 1, as in uWSGI) */
  step: number;
  /** `cheaper-overload`: ticks for spare, a queue length for backlog, the window in seconds for busyness */
  overload: number;
  algo: CheaperAlgoName;
  /** percent */
  busynessMax: number;
  /** percent */
  busynessMin: number;
  multiplier: number;
  penalty: number;
  backlogAlert: number;
  backlogStep: number;
  /** `cheaper-busyness-backlog-multiplier` (uWSGI default 3; no tsgi option yet) */
  backlogMultiplier?: number;
  /** `cheaper-busyness-backlog-nonzero` in seconds (uWSGI default 60; no tsgi option yet) */
  backlogNonzero?: number;
  /** `cheaper-busyness-verbose`: also explain the non-decisions */
  verbose?: boolean;
  /** seconds without a request before going cheap; 0 is off */
  idle: number;
}

/**
 * What the master should do now. It changes the target; the manage step acts on it, so that
 * one place spawns and retires (docs/conventions.md, "Desired state vs actual state").
 */
export interface CheaperDecision {
  /** inactive slots to activate (lowest free slot first, as uWSGI does) */
  spawn: number;
  /** slot ids to deactivate with reason `scale-down`; each is running and idle */
  retire: number[];
  /** idle: stop every worker and wait for a connection (uWSGI's cheap mode) */
  goCheap: boolean;
  /** uWSGI-style lines explaining the decision, for the master's logger */
  log: string[];
}

/** What one algorithm returns for one tick, before the driver applies the bounds. */
export interface AlgoResult<S> {
  state: S;
  /** uWSGI's convention: > 0 spawn that many, < 0 cheap one per unit, 0 nothing */
  delta: number;
  log: string[];
}

/** The driver's view of one tick, with the counts every algorithm needs. */
export interface TickView {
  now: number;
  workers: CheaperWorker[];
  listenQueue: number;
  canSpawn: boolean;
  /** active slots (uWSGI's `cheaped == 0 && pid > 0`) */
  active: number;
  /** active, running and busy */
  busy: number;
  /** inactive slots with no process left (uWSGI's `cheaped == 1 && pid == 0`) */
  free: number;
}

export function noDecision(log: string[] = []): CheaperDecision {
  return { spawn: 0, retire: [], goCheap: false, log };
}

/** One algorithm: uWSGI's `int (*)(int can_spawn)` made pure. `decide` runs once per tick. */
export interface CheaperAlgorithm<S extends { kind: CheaperAlgoName }> {
  readonly name: S['kind'];
  init(): S;
  decide(state: S, view: TickView, settings: CheaperSettings): AlgoResult<S>;
}

/** `cheaper-step`: uWSGI's loop breaks once `count >= step`, so 0 spawns one. */
export function stepOf(settings: CheaperSettings): number {
  return Math.max(1, settings.step);
}

/** `cheaper-overload`, never 0 (it is a divisor and a window length). */
export function overloadOf(settings: CheaperSettings): number {
  return Math.max(1, settings.overload);
}
