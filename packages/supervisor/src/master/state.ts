/**
 * The master's phase, each with the data that only it has, and the one
 * function every change of it goes through. What used to be flags beside the
 * phase (paused, a chain under way, cheap mode, a brutal reload, sockets being
 * bound) is data of the phase it belongs to, so no combination the master
 * cannot be in can be written down.
 */
export type MasterState =
  | { phase: 'starting' }
  | {
      phase: 'running';
      /** SIGTSTP / fifo `p`: every worker stopped by the kernel until resumed */
      paused: boolean;
      /** fifo `c`: slots still to be replaced one at a time */
      chain?: number[];
      /** `idle` / `cheap` / fifo `C`: no worker wanted until a connection arrives */
      cheap: boolean;
    }
  | {
      phase: 'reloading';
      /** SIGTERM (without die-on-term), fifo `R` / `W`: old workers end at once */
      brutal: boolean;
      /** sockets the new config adds are being bound; no spawning until they are */
      binding: boolean;
      cheap: boolean;
    }
  | {
      phase: 'stopping';
      graceful: boolean;
      /** `shutdown-delay`: readiness is off, the workers serve on until this ms epoch, then drain */
      drainAt?: number;
    }
  | { phase: 'stopped' };

export type MasterPhase = MasterState['phase'];

/** Which phases each phase may move to (a phase may always update its own data). */
const LEGAL: Record<MasterPhase, readonly MasterPhase[]> = {
  starting: ['running', 'stopping'],
  running: ['reloading', 'stopping'],
  reloading: ['running', 'stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/** Whether the master may go from `from` to `to`. */
export function legalMove(from: MasterPhase, to: MasterPhase): boolean {
  return from === to ? from !== 'stopped' : LEGAL[from].includes(to);
}

/**
 * Holds the master's state; `move` is the only writer. An illegal move is
 * refused and logged with its reason (a bug, never a user error), so a wrong
 * sequence shows in the log instead of leaving the master half in two phases.
 */
export class StateMachine {
  private current: MasterState = { phase: 'starting' };

  constructor(private readonly log: (line: string) => void) {}

  get state(): Readonly<MasterState> {
    return this.current;
  }

  get phase(): MasterPhase {
    return this.current.phase;
  }

  /** Moves to `next` (or updates the phase's data); returns false when the move is illegal. */
  move(next: MasterState, why: string): boolean {
    const from = this.current.phase;
    if (!legalMove(from, next.phase)) {
      this.log(`*** master: refused to go from ${from} to ${next.phase} (${why}) ***`);
      return false;
    }
    if (from !== next.phase) this.log(`master phase ${from} -> ${next.phase}: ${why}`);
    this.current = next;
    return true;
  }

  /** The phase's data when the master is in `phase`, else undefined. */
  when<P extends MasterPhase>(phase: P): Extract<MasterState, { phase: P }> | undefined {
    return this.current.phase === phase ? (this.current as Extract<MasterState, { phase: P }>) : undefined;
  }

  /** Cheap mode holds in `running` and across a reload. */
  get cheap(): boolean {
    const s = this.current;
    return (s.phase === 'running' || s.phase === 'reloading') && s.cheap;
  }

  get paused(): boolean {
    const s = this.current;
    return s.phase === 'running' && s.paused;
  }
}
