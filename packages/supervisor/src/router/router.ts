import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { MasterMessage } from '../protocol.js';
import type { Logger } from '../log/logger.js';
import { SupervisorError } from '../errors.js';
import { listenOn, parseSocketAddress, removeOwnSocket } from '../net/address.js';
import type { WorkerRecord } from '../master/worker-table.js';
import { HandoffLedger } from './ledger.js';
import { clientKey, leastLoaded, stickyWorker } from './pick.js';

/** What the router is given by the master. */
export interface RouterDeps {
  logger: Logger;
  /** the workers that may take a connection now */
  candidates: () => WorkerRecord[];
  /** a connection arrived while no worker was ready (cheap mode wakes up on it) */
  onWaiting: () => void;
  /** how many connections may wait for a worker (`listen`) */
  maxWaiting?: number;
  /** `http-sticky`, read for every connection (a reload may change it) */
  sticky?: () => boolean;
}

/**
 * uWSGI's HTTP router (`http = host:port`), in the master: it accepts each
 * connection, unread, and hands it to a ready worker (pick.ts): of those whose
 * loop is free, the one with the fewest requests in flight (counting the
 * connections handed to it and not yet taken, and its open WebSockets at a
 * tenth of a request each), so a slow worker is not given more than its share
 * and a blocked one nothing, unlike a shared socket where whoever wakes first
 * accepts. Its figures are live: each worker says, once per turn of its loop,
 * how many routed connections it took and how busy it is (ledger.ts); a
 * hand-off left untaken, or a busy worker's silence, means a blocked loop. Or,
 * with `http-sticky`, the one the
 * client's address hashes to, so that a client's successive connections reach
 * the same worker. While no worker is ready (boot, cheap mode) connections
 * wait here and are handed over later.
 */
export class HttpRouter {
  private readonly servers: net.Server[] = [];
  /** the unix socket files bound, with their identities, removed on close only while still ours */
  private readonly unixFiles: { path: string; fileId: string }[] = [];
  private pending: { socket: net.Socket; at: number }[] = [];
  /** what each worker was handed and took */
  private readonly ledger = new HandoffLedger<WorkerRecord>();
  private turn = 0;
  private readonly d: Required<RouterDeps>;

  constructor(deps: RouterDeps) {
    this.d = { maxWaiting: 100, sticky: () => false, ...deps };
  }

  /** Binds and listens on every `http` address. */
  async listen(addresses: string[], backlog: number, mode: number | undefined, inherited: (address: string) => number | undefined = () => undefined): Promise<void> {
    for (const address of addresses) {
      const server = net.createServer({ pauseOnConnect: true }, (socket) => this.route(socket));
      const fd = inherited(address);
      if (fd !== undefined) {
        // handed over by the master an upgrade replaces: already bound and listening
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ fd }, resolve));
        server.on('error', (err: NodeJS.ErrnoException) => this.d.logger.log(`http router on ${address}: ${err.code ?? err.message}`));
        this.servers.push(server);
        this.d.logger.log(`tsgi http router on ${address}: inherited fd ${fd}`);
        continue;
      }
      const where = parseSocketAddress(address);
      const { fileId } = await listenOn(server, where, { backlog, mode }).catch((err: NodeJS.ErrnoException) => {
        if (err instanceof SupervisorError) throw err;
        throw new SupervisorError('TSGI_BIND_FAILED', `cannot bind the http router on ${address}: ${err.code ?? err.message}`);
      });
      if (where.kind === 'unix') {
        this.unixFiles.push({ path: where.path, fileId });
        if (this.d.sticky()) this.d.logger.log(`http-sticky: the http router on ${address} is a unix socket, whose clients have no address: its connections go by load`);
      }
      // accept() can fail once listening (EMFILE): an 'error' with no listener would end the master
      server.on('error', (err: NodeJS.ErrnoException) => this.d.logger.log(`http router on ${address}: ${err.code ?? err.message}`));
      this.servers.push(server);
      const bound = server.address();
      this.d.logger.log(`tsgi http router bound on ${typeof bound === 'object' && bound ? `${bound.address}:${bound.port}` : address}`);
    }
  }

  /** Connections waiting for a worker (shown as the router socket's queue in stats). */
  get waiting(): number {
    return this.pending.length;
  }

  /** A worker's `load` message: the routed connections it took so far and how busy it is. */
  loaded(w: WorkerRecord, taken: number, busy: number): void {
    this.ledger.loaded(w, taken, busy, performance.now());
  }

  /** Hands waiting connections to workers that became ready. */
  flush(): void {
    const waiting = this.pending;
    this.pending = [];
    for (const { socket, at } of waiting) this.route(socket, at);
  }

  /**
   * The master's murder step for the queue: a connection that waited longer than
   * ROUTER_WAIT_MS for a worker (a bad deploy looping in backoff, a hung import)
   * gets a 503 and is closed, so dead clients do not pile up as descriptors.
   */
  expire(now: number): void {
    while (this.pending.length > 0 && now - this.pending[0]!.at > ROUTER_WAIT_MS) refuse(this.pending.shift()!.socket);
  }

  private route(socket: net.Socket, at = Date.now()): void {
    if (socket.destroyed) return;
    const w = this.pick(socket);
    if (!w) {
      // the queue is as deep as the listen backlog: past it, the newest is refused at once
      if (this.pending.length >= this.d.maxWaiting) return refuse(socket);
      this.pending.push({ socket, at });
      this.d.onWaiting();
      return;
    }
    const sentAt = performance.now();
    this.ledger.handed(w, sentAt);
    w.child.send({ t: 'conn', routed: true } satisfies MasterMessage, socket, { keepOpen: false }, (err) => {
      if (!err) return;
      this.ledger.lost(w, sentAt);
      socket.destroy();
    });
  }

  /** By client address with `http-sticky` (when the peer has one), else by load. */
  private pick(socket: net.Socket): WorkerRecord | undefined {
    const ready = this.d.candidates();
    if (ready.length === 0) return undefined;
    const client = this.d.sticky() ? clientKey(socket.remoteAddress) : undefined;
    if (client !== undefined) return stickyWorker(client, ready);
    this.turn = (this.turn + 1) % ready.length;
    const now = performance.now();
    return leastLoaded(ready, (w) => this.ledger.view(w, now), this.turn);
  }

  /** The listening descriptors by address, for an upgrade to hand over. */
  descriptors(addresses: readonly string[]): [string, number][] {
    return this.servers.map((s, i) => [addresses[i]!, (s as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1] as [string, number]).filter(([, fd]) => fd >= 0);
  }

  /** Stops accepting (an upgrade's new master accepts on the same sockets now); what waits is still handed over. */
  stopListening(): void {
    for (const s of this.servers) s.close();
  }

  close(): void {
    for (const s of this.servers) s.close();
    // libuv removed the socket file on close when it bound the path itself; bindUnix binds another name
    for (const f of this.unixFiles.splice(0)) {
      try {
        removeOwnSocket(f.path, f.fileId);
      } catch (err) {
        this.d.logger.log(`cannot remove the http router socket ${f.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    for (const { socket } of this.pending.splice(0)) socket.destroy();
  }
}

/** How long a connection may wait in the router for a ready worker. */
export const ROUTER_WAIT_MS = 30000;

/** Answers a connection that cannot be served: 503 with `Connection: close` (the request itself is never read). */
function refuse(socket: net.Socket): void {
  if (socket.destroyed) return;
  socket.on('error', () => socket.destroy());
  socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\nno worker available\n');
  // read (and drop) the unread request so the client's close is seen and the descriptor freed
  socket.resume();
  socket.setTimeout(5000, () => socket.destroy());
}
