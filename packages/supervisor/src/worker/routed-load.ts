import { performance } from 'node:perf_hooks';
import { LOAD_HEARTBEAT_MS, type WorkerMessage } from '../protocol.js';

/** What a routed connection is to this module: something that closes once. */
export interface Closing {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * How long the loop may stay blocked (timers late by that much) before the routed
 * connections open meanwhile are sent back to the router: each closes after its next
 * response (`Connection: close`), so a keep-alive client of a worker that blocks does not
 * wait behind it again, and its next connection goes to a worker whose loop is free.
 */
export const ROUTED_BLOCK_MS = 100;

/**
 * A worker's side of the `http` router's live figures (router/ledger.ts). The
 * router learns that the loop took a connection from Node's own acknowledgement
 * of the handle; this tells it how busy the worker is: a `load` message with the
 * routed connections taken so far and its requests in flight plus the taken
 * connections whose first request has not begun, at most once per turn of the
 * loop when a request ends or begins on a kept-alive connection, and every
 * LOAD_HEARTBEAT_MS while busy, so that its silence while busy tells the router
 * its loop is blocked. A connection of the fast kind costs one message. The
 * heartbeat also finds the loop's own blocks (ROUTED_BLOCK_MS). Workers nothing
 * is routed to (`http-socket`, `socket`) never create one: their requests cost
 * nothing more.
 */
export class RoutedLoad {
  private taken = 0;
  /** taken connections whose first request has not begun */
  private readonly unread = new Set<Closing>();
  /** taken connections still open */
  private readonly open = new Set<Closing>();
  /** connections that were open while the loop was blocked: their next response closes them */
  private readonly leaving = new WeakSet<Closing>();
  private scheduled = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private sentAt = 0;
  private beatAt = 0;

  constructor(
    private readonly inFlight: () => number,
    private readonly send: (m: Extract<WorkerMessage, { t: 'load' }>) => void,
  ) {}

  /** The loop took a routed connection (the router knows from the handle's acknowledgement). */
  took(socket: Closing): void {
    this.taken++;
    this.unread.add(socket);
    this.open.add(socket);
    socket.once('close', () => {
      this.open.delete(socket);
      if (this.unread.delete(socket)) this.changed();
    });
    this.beating(true);
  }

  /**
   * A request began on `socket`: its connection's first one moves from unread to
   * in flight (no change to tell); a later one on a kept-alive connection adds one.
   */
  began(socket: Closing): void {
    if (this.unread.delete(socket)) return;
    this.changed();
    this.beating(true);
  }

  /** `socket` was upgraded (a WebSocket): no request of it is in flight, and it is counted apart. */
  upgraded(socket: Closing): void {
    this.open.delete(socket);
    if (this.unread.delete(socket)) this.changed();
  }

  /** Whether the response now starting on `socket` should close it: its worker blocked since it came (once). */
  closes(socket: Closing): boolean {
    return this.leaving.delete(socket);
  }

  /** Something changed (a request ended): the router hears of it at the end of this turn of the loop. */
  changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const busy = this.inFlight() + this.unread.size;
    this.send({ t: 'load', taken: this.taken, busy });
    this.sentAt = performance.now();
    if (busy > 0) this.beating(true);
    // idle now: a block that just ended is seen at once (its end may be the last of the work)
    else if (this.heartbeat) this.sawBlock(this.sentAt);
  };

  /** Starts (or stops) the heartbeat. */
  private beating(on: boolean): void {
    if (on && !this.heartbeat) {
      this.beatAt = performance.now();
      this.heartbeat = setInterval(this.beat, LOAD_HEARTBEAT_MS);
      this.heartbeat.unref();
    } else if (!on && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /**
   * While busy: a word when nothing else was said for a heartbeat. It stops at the first
   * beat that finds the worker idle, not at every request's end: under load a worker goes
   * idle and busy again between requests, and a timer per connection would cost more
   * than the beats.
   */
  private readonly beat = (): void => {
    const now = performance.now();
    this.sawBlock(now);
    if (this.inFlight() + this.unread.size === 0) return this.beating(false);
    if (now - this.sentAt >= LOAD_HEARTBEAT_MS - 1) this.changed();
  };

  /** The heartbeat came late (or was about to stop late): the loop was blocked, the open connections go back. */
  private sawBlock(now: number): void {
    if (now - this.beatAt > ROUTED_BLOCK_MS) for (const socket of this.open) this.leaving.add(socket);
    this.beatAt = now;
  }
}
