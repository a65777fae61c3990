import type { WorkerRecord } from '../master/worker-table.js';

/**
 * The `http` router's choice of a worker for a new connection, pure: a function of
 * the ready workers and what the router knows about them. Two policies:
 *
 * - by load (the default): of the workers whose loop is free, the fewest
 *   requests in flight, open upgraded connections counting UPGRADED_PER_REQUEST
 *   to a request (leastLoaded);
 * - by client address (`http-sticky`): rendezvous hashing of the address onto
 *   the worker slots, so that one client keeps reaching one worker across
 *   connections, as engine.io's long-polling needs (stickyWorker).
 */

/** What the router reads of a worker. */
export type RouteView = Pick<WorkerRecord, 'slot' | 'generation' | 'readyAt' | 'state' | 'counters'>;

/**
 * How many open upgraded connections (WebSockets) weigh as one request in
 * flight. A request in flight is work under way; a WebSocket is mostly idle, but
 * it holds memory for as long as it lives and its messages are work that the
 * in-flight count never sees. Ten open WebSockets count as one request: between
 * two idle workers a new connection goes to the one holding fewer WebSockets (so
 * they even out, and a fresh worker takes the newcomers), while a worker only
 * avoids HTTP traffic for a WebSocket surplus of ten times the requests it would
 * take on, so a few more sockets never leave a core idle under load.
 */
export const UPGRADED_PER_REQUEST = 10;

/**
 * What the router knows of a worker's hand-offs, live: router.ts keeps it from the
 * worker's `load` messages, sent as soon as its loop takes a connection or ends a
 * request, and every LOAD_HEARTBEAT_MS while it has work.
 */
export interface Handoffs {
  /** connections handed to it and not yet taken by its loop */
  unacked: number;
  /** ms since the oldest of them was handed; 0 when none */
  unackedMs: number;
  /**
   * its requests in flight plus the connections it took whose first request has not
   * begun, at its last `load` message; undefined before the first (its report's figure then)
   */
  busy: number | undefined;
  /** ms since its last `load` message */
  silentMs: number;
}

/** A worker nothing was handed to since it last spoke: what the router assumes of one it never routed to. */
export const NO_HANDOFFS: Handoffs = { unacked: 0, unackedMs: 0, busy: undefined, silentMs: 0 };

/**
 * How long a worker may leave a hand-off untaken, or stay silent while it has work,
 * before the router takes its loop for blocked (a CPU-bound request, a long
 * synchronous call): three heartbeats missed, or a connection waiting in its pipe
 * for that long, which a free loop takes within a fraction of a millisecond.
 */
export const STALL_MS = 15;

/**
 * How long the worker's loop has shown no sign of being free while it had work (a
 * hand-off untaken, requests in flight without a word): 0 while it is not taken for
 * blocked (STALL_MS).
 */
export function stalledFor(h: Handoffs): number {
  const untaken = h.unacked > 0 && h.unackedMs > STALL_MS ? h.unackedMs : 0;
  const silent = (h.busy ?? 0) > 0 && h.silentMs > STALL_MS ? h.silentMs : 0;
  return Math.max(untaken, silent);
}

/**
 * A worker's load as the router sees it: its requests in flight (live, else at its
 * last report), the connections handed to it and not yet taken, and its open
 * upgraded connections, UPGRADED_PER_REQUEST to a request.
 */
export function routeLoad(w: RouteView, h: Handoffs): number {
  return (h.busy ?? w.counters?.inFlight ?? 0) + h.unacked + (w.counters?.upgraded ?? 0) / UPGRADED_PER_REQUEST;
}

/**
 * How many requests in flight a busy worker's silence (or a hand-off it has left
 * untaken) counts for before it is taken for blocked: 0 when it just spoke, then
 * growing with the square of the silence to QUIET_WEIGHT at STALL_MS. A worker
 * serving quick requests speaks after each one, and one waiting on I/O every
 * LOAD_HEARTBEAT_MS: a few milliseconds of silence cost it little, but one that
 * missed its heartbeats is likely blocked already (a CPU-bound request that
 * began after its last word), and what is handed to it waits for its whole
 * request, where a worker with a few quick requests queued answers in a
 * millisecond or two.
 */
export function quietness(h: Handoffs): number {
  const silent = (h.busy ?? 0) > 0 ? h.silentMs : 0;
  const untaken = h.unacked > 0 ? h.unackedMs : 0;
  const share = Math.min(1, Math.max(silent, untaken) / STALL_MS);
  return QUIET_WEIGHT * share * share;
}

/** What a busy worker silent for STALL_MS weighs, in requests in flight, just before it is taken for blocked. */
export const QUIET_WEIGHT = 8;

/**
 * The worker a new connection goes to by load: of the workers whose loop is free
 * (stalledFor 0), the least loaded (routeLoad, plus its quietness), equal loads in turn from index
 * `turn` (the caller advances it for every connection). A worker taken for blocked
 * is never chosen while another is free, whatever its figures: what is handed to it
 * waits in its pipe until its loop turns. When every worker is taken for blocked,
 * the one heard from last: the likeliest to turn first.
 */
export function leastLoaded<T extends RouteView>(ready: readonly T[], handoffs: (w: T) => Handoffs, turn: number): T | undefined {
  let best: T | undefined;
  let bestLoad = Infinity;
  let fallback: T | undefined;
  let fallbackStall = Infinity;
  for (let i = 0; i < ready.length; i++) {
    const w = ready[(turn + i) % ready.length]!;
    const h = handoffs(w);
    const stall = stalledFor(h);
    if (stall > 0) {
      if (stall < fallbackStall) {
        fallback = w;
        fallbackStall = stall;
      }
      continue;
    }
    const load = routeLoad(w, h) + quietness(h);
    if (load < bestLoad) {
      best = w;
      bestLoad = load;
    }
  }
  return best ?? fallback;
}

/**
 * The key of a client for `http-sticky`: its IP address, with an IPv4 client on a
 * dual-stack listener (`::ffff:10.0.0.1`) the same as on an IPv4 one. Undefined for
 * a unix socket, where the peer has no address.
 */
export function clientKey(remoteAddress: string | undefined): string | undefined {
  if (!remoteAddress) return undefined;
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}

/**
 * The worker for `client` in sticky mode. Each slot that has a ready worker scores
 * hash(client, slot) and the highest score wins (rendezvous hashing), so:
 * - a client stays with its slot for as long as that slot has a ready worker;
 * - a recycled or reloaded worker's successor inherits its slot, hence its
 *   clients, and no other client moves;
 * - a slot that goes away (cheaper scale-down, SIGTTOU, a crash until the
 *   respawn is ready) sends only its own clients to their next-best slots, and a
 *   slot that comes (back) takes only the clients that score highest on it,
 *   about 1/n of them.
 * While a slot has two ready workers (a successor ready, its predecessor not yet
 * retired), the successor takes the slot's clients: the predecessor is about to
 * drain, and whatever session a client opened there would go with it.
 */
export function stickyWorker<T extends RouteView>(client: string, ready: readonly T[]): T | undefined {
  const key = hashText(client);
  let best: T | undefined;
  let bestScore = -1;
  for (const w of ready) {
    const score = rendezvousScore(key, w.slot);
    if (score > bestScore || (score === bestScore && best !== undefined && preferred(w, best))) {
      best = w;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Between two workers of equal score: of one slot, the one that should take the
 * slot's clients; of two slots (a hash collision), the lower slot.
 */
function preferred(a: RouteView, b: RouteView): boolean {
  if (a.slot !== b.slot) return a.slot < b.slot;
  const aLeaving = a.state.kind === 'ready' && a.state.replace !== undefined;
  const bLeaving = b.state.kind === 'ready' && b.state.replace !== undefined;
  if (aLeaving !== bLeaving) return !aLeaving;
  if (a.generation !== b.generation) return a.generation > b.generation;
  return a.readyAt > b.readyAt;
}

/** The rendezvous score of a client (hashText of its key) on a slot: uniform and independent across slots. */
export function rendezvousScore(clientHash: number, slot: number): number {
  return fmix32(clientHash ^ fmix32(Math.imul(slot, 0x9e3779b1)));
}

/** FNV-1a over the characters of `text`, then mixed: addresses differing in one digit land far apart. */
export function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** MurmurHash3's finaliser: each input bit flips each output bit with probability about 1/2. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
