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

/** What `channelEnded` reads of a child process. */
export interface ChannelOwner {
  readonly connected: boolean;
  once(event: 'disconnect' | 'exit', listener: () => void): unknown;
}

/** How often, and for how long at most, `channelEnded` looks for the end of a dead child's channel. */
export const CHANNEL_END_POLL_MS = 10;
export const CHANNEL_END_WAIT_MS = 2000;

/**
 * Calls `end` once `child`'s IPC channel is over and every message it sent has been read:
 * at 'disconnect', or, as Node holds 'disconnect' back while a handle it sent waits for an
 * acknowledgement, once the child has exited and its channel reads as closed. 'exit' may
 * come before the channel's end of file has been read; the acknowledgements still in the
 * pipe then come first, so `end` waits for `connected` to turn false (polled, and at most
 * CHANNEL_END_WAIT_MS: the kernel closed the dead child's end). Calling `end` at 'exit'
 * alone would hand a connection the child had read to another worker; waiting only for
 * 'disconnect' would leave the unacknowledged ones open in the master forever.
 */
export function channelEnded(child: ChannelOwner, end: () => void): void {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    end();
  };
  child.once('disconnect', once);
  child.once('exit', () => {
    const until = Date.now() + CHANNEL_END_WAIT_MS;
    const look = (): void => {
      if (done) return;
      if (!child.connected || Date.now() >= until) return once();
      setTimeout(look, CHANNEL_END_POLL_MS).unref();
    };
    look();
  });
}
