import { performance } from 'node:perf_hooks';
import { LOAD_HEARTBEAT_MS, type WorkerMessage } from '../protocol.js';

/** What a routed connection is to this module: something that closes once. */
export interface Closing {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * A worker's side of the `http` router's live figures (router/ledger.ts): once
 * the router has handed it a connection, a `load` message with the routed
 * connections taken so far and how busy it is (requests in flight plus the taken
 * connections whose first request has not begun), at most once per turn of the
 * loop while anything changed, and every LOAD_HEARTBEAT_MS while busy, so that
 * its silence while busy tells the router its loop is blocked. Workers nothing is
 * routed to (`http-socket`, `socket`) never create one: their requests cost
 * nothing more.
 */
export class RoutedLoad {
  private taken = 0;
  /** taken connections whose first request has not begun */
  private readonly unread = new Set<Closing>();
  private scheduled = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private sentAt = 0;

  constructor(
    private readonly inFlight: () => number,
    private readonly send: (m: Extract<WorkerMessage, { t: 'load' }>) => void,
  ) {}

  /** The loop took a routed connection. */
  took(socket: Closing): void {
    this.taken++;
    this.unread.add(socket);
    socket.once('close', () => {
      if (this.unread.delete(socket)) this.changed();
    });
    this.changed();
  }

  /**
   * A request began on `socket`: its connection's first one moves from unread to
   * in flight (no change to tell); a later one on a kept-alive connection adds one.
   */
  began(socket: Closing): void {
    if (!this.unread.delete(socket)) this.changed();
  }

  /** `socket` was upgraded (a WebSocket): no request of it is in flight, and it is counted apart. */
  upgraded(socket: Closing): void {
    if (this.unread.delete(socket)) this.changed();
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
    if (busy > 0 && !this.heartbeat) {
      this.heartbeat = setInterval(this.beat, LOAD_HEARTBEAT_MS);
      this.heartbeat.unref();
    } else if (busy === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  };

  /** While busy: a word when nothing else was said for a heartbeat. */
  private readonly beat = (): void => {
    if (performance.now() - this.sentAt >= LOAD_HEARTBEAT_MS - 1) this.changed();
  };
}
