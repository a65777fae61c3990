import { NO_HANDOFFS, type Handoffs } from './pick.js';

/** One worker's hand-offs as the router counts them. */
interface Lane {
  /** when each connection handed and not yet taken was sent, oldest first */
  untaken: number[];
  /** routed connections the worker said it took, cumulative */
  taken: number;
  /** its `busy` at its last `load` message */
  busy: number | undefined;
  /** when that message came */
  newsAt: number;
}

/**
 * The router's live account of what each worker was handed and took. The
 * worker's `load` messages carry a cumulative count of the routed connections
 * its loop took; they travel the same pipe as the hand-offs, in order, so the
 * first `taken` hand-offs are the ones taken and the rest are waiting in the pipe
 * (or, behind the first, in the master's queue for it: Node sends one handle at a
 * time and waits for the worker's loop to acknowledge it). Times are
 * monotonic milliseconds (performance.now()).
 */
export class HandoffLedger<W extends object> {
  private readonly lanes = new WeakMap<W, Lane>();

  /** A connection was sent to `w` at `now`. */
  handed(w: W, now: number): void {
    this.lane(w, now).untaken.push(now);
  }

  /** The connection sent to `w` at `at` never reached it (the send failed): it is nobody's to take. */
  lost(w: W, at: number): void {
    const untaken = this.lanes.get(w)?.untaken;
    const i = untaken?.lastIndexOf(at) ?? -1;
    if (i >= 0) untaken!.splice(i, 1);
  }

  /** `w` says it took `taken` routed connections so far and has `busy` requests and unread connections. */
  loaded(w: W, taken: number, busy: number, now: number): void {
    const lane = this.lane(w, now);
    // a count that goes back is not the worker's (app code may send anything): its figures stand
    if (taken < lane.taken) return;
    lane.untaken.splice(0, Math.min(taken - lane.taken, lane.untaken.length));
    lane.taken = taken;
    lane.busy = busy;
    lane.newsAt = now;
  }

  /** What pick.ts reads of `w` at `now`. */
  view(w: W, now: number): Handoffs {
    const lane = this.lanes.get(w);
    if (!lane) return NO_HANDOFFS;
    const oldest = lane.untaken[0];
    return { unacked: lane.untaken.length, unackedMs: oldest === undefined ? 0 : now - oldest, busy: lane.busy, silentMs: now - lane.newsAt };
  }

  private lane(w: W, now: number): Lane {
    let lane = this.lanes.get(w);
    if (!lane) this.lanes.set(w, (lane = { untaken: [], taken: 0, busy: undefined, newsAt: now }));
    return lane;
  }
}
