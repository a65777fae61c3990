import { QUIET_REPORT_MS, type WorkerCounters } from '../protocol.js';

/** What the last report said that a quiet worker would repeat. */
export type Reported = Pick<WorkerCounters, 'requests' | 'exceptions' | 'inFlight' | 'elu' | 'busy' | 'accepting' | 'draining'> & {
  /** open upgraded connections; absent counts as 0 */
  upgraded?: number;
};

/** Event-loop use, or the busy share of the interval, moving by less than this is not news. */
const ELU_STEP = 0.01;

/**
 * Whether a report is worth sending: always while a request is in flight or anything the
 * master acts on moved since the last one; otherwise only as a heartbeat every
 * QUIET_REPORT_MS, which the master's silence check (harakiri) allows for.
 */
export function reportDue(last: Reported | undefined, next: Reported, msSinceLast: number): boolean {
  if (!last || next.inFlight > 0 || msSinceLast >= QUIET_REPORT_MS) return true;
  return (
    next.requests !== last.requests ||
    next.exceptions !== last.exceptions ||
    next.inFlight !== last.inFlight ||
    next.accepting !== last.accepting ||
    next.draining !== last.draining ||
    (next.upgraded ?? 0) !== (last.upgraded ?? 0) ||
    Math.abs(next.elu - last.elu) >= ELU_STEP ||
    Math.abs((next.busy ?? 0) - (last.busy ?? 0)) >= ELU_STEP
  );
}
