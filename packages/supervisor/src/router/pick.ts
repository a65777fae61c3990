import type { WorkerRecord } from '../master/worker-table.js';

/**
 * The `http` router's choice of a worker for a new connection, pure: a function of
 * the ready workers and what the router knows about them. Two policies:
 *
 * - by load (the default): the fewest requests in flight, open upgraded
 *   connections counting UPGRADED_PER_REQUEST to a request (leastLoaded);
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
 * A worker's load as the router sees it: its requests in flight at its last report,
 * the connections handed to it since, and its open upgraded connections, UPGRADED_PER_REQUEST to a request.
 */
export function routeLoad(w: RouteView, handedSinceReport: number): number {
  return (w.counters?.inFlight ?? 0) + handedSinceReport + (w.counters?.upgraded ?? 0) / UPGRADED_PER_REQUEST;
}

/**
 * The least loaded of `ready` (routeLoad); equal loads go round robin, starting at
 * index `turn` (the caller advances it for every connection).
 */
export function leastLoaded<T extends RouteView>(ready: readonly T[], handed: (w: T) => number, turn: number): T | undefined {
  let best: T | undefined;
  let bestLoad = Infinity;
  for (let i = 0; i < ready.length; i++) {
    const w = ready[(turn + i) % ready.length]!;
    const load = routeLoad(w, handed(w));
    if (load < bestLoad) {
      best = w;
      bestLoad = load;
    }
  }
  return best;
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
