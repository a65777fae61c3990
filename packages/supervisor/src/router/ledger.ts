import { NO_HANDOFFS, type Handoffs } from './pick.js';

/** One worker's hand-offs as the router counts them. */
interface Lane<H> {
  /** each connection handed and not yet acknowledged, with when it was sent, oldest first */
  untaken: { handle: H; at: number }[];
  /** hand-offs the worker's loop acknowledged, cumulative */
  acked: number;
  /** routed connections the worker counted as taken at its last `load` message, cumulative */
  taken: number;
  /** its `busy` at its last `load` message */
  busy: number | undefined;
  /** when the worker last gave a sign of its loop turning (an acknowledgement or a `load` message) */
  newsAt: number;
}

/**
 * The router's live account of what each worker was handed and took. Node
 * passes one handle at a time to a process and waits for the receiving loop's
 * acknowledgement before it sends the next (the rest wait in the master), so
 * the acknowledgements come in the order of the hand-offs: the oldest untaken
 * is the one acknowledged. A worker's `load` message says how busy it is
 * (requests in flight and connections not yet read) and how many routed
 * connections it had taken when it counted: the ones acknowledged since are
 * busy on top. Times are monotonic milliseconds (performance.now()).
 */
export class HandoffLedger<W extends object, H = unknown> {
  private readonly lanes = new WeakMap<W, Lane<H>>();

  /** `handle` was sent to `w` at `now`. */
  handed(w: W, handle: H, now: number): void {
    this.lane(w, now).untaken.push({ handle, at: now });
  }

  /** The send of `handle` to `w` failed: it is nobody's to take. Whether it was still counted. */
  lost(w: W, handle: H): boolean {
    const untaken = this.lanes.get(w)?.untaken;
    const i = untaken?.findIndex((u) => u.handle === handle) ?? -1;
    if (i >= 0) untaken!.splice(i, 1);
    return i >= 0;
  }

  /** `w`'s loop acknowledged its oldest hand-off at `now`: that handle, the master's copy to close. */
  acked(w: W, now: number): H | undefined {
    const lane = this.lanes.get(w);
    const first = lane?.untaken.shift();
    if (!lane || !first) return undefined;
    lane.acked++;
    lane.newsAt = now;
    return first.handle;
  }

  /** `w` said its oldest hand-off reached it without its descriptor: that handle, to send again. */
  refused(w: W): H | undefined {
    return this.lanes.get(w)?.untaken.shift()?.handle;
  }

  /** `w` is gone: the handles it never acknowledged, for the master to close. */
  forget(w: W): H[] {
    const lane = this.lanes.get(w);
    this.lanes.delete(w);
    return lane ? lane.untaken.map((u) => u.handle) : [];
  }

  /** `w` says it took `taken` routed connections so far and has `busy` requests and unread connections. */
  loaded(w: W, taken: number, busy: number, now: number): void {
    const lane = this.lane(w, now);
    // a count that goes back, or past what was acknowledged, is not the worker's (app code may send anything)
    if (taken < lane.taken || taken > lane.acked) return;
    lane.taken = taken;
    lane.busy = busy;
    lane.newsAt = now;
  }

  /** What pick.ts reads of `w` at `now`. */
  view(w: W, now: number): Handoffs {
    const lane = this.lanes.get(w);
    if (!lane) return NO_HANDOFFS;
    const oldest = lane.untaken[0];
    const since = lane.acked - lane.taken;
    return {
      unacked: lane.untaken.length,
      unackedMs: oldest === undefined ? 0 : now - oldest.at,
      busy: lane.busy === undefined && since === 0 ? undefined : (lane.busy ?? 0) + since,
      silentMs: now - lane.newsAt,
    };
  }

  private lane(w: W, now: number): Lane<H> {
    let lane = this.lanes.get(w);
    if (!lane) this.lanes.set(w, (lane = { untaken: [], acked: 0, taken: 0, busy: undefined, newsAt: now }));
    return lane;
  }
}
