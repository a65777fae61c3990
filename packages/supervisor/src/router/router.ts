import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { MasterMessage } from '../protocol.js';
import type { Logger } from '../log/logger.js';
import { SupervisorError } from '../errors.js';
import { listenOn, parseSocketAddress, removeOwnSocket } from '../net/address.js';
import type { WorkerRecord } from '../master/worker-table.js';
import { HandoffLedger, channelEnded } from './ledger.js';
import { clientKey, leastLoaded, stickyWorker } from './pick.js';

/**
 * An accepted connection as libuv hands it over (a TCP or pipe handle), never wrapped in
 * a net.Socket here: the master does not read it, only passes it on.
 */
interface Conn {
  close(): void;
  getpeername?(out: { address?: string }): number;
}

/** What Node's listening handle calls for each connection it accepted. */
type OnConnection = (status: number, conn?: Conn) => void;

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
 * connection, unread and never wrapped in a net.Socket, and hands its handle to a
 * ready worker (pick.ts): of those whose loop is free, the one with the fewest
 * requests in flight (counting the connections handed to it and not yet taken,
 * and its open WebSockets at a tenth of a request each), so a slow worker is not
 * given more than its share and a blocked one nothing, unlike a shared socket
 * where whoever wakes first accepts. Its figures are live (ledger.ts): Node
 * acknowledges each handle when the worker's loop receives it, and the worker
 * says how busy it is when a request ends and, while busy, every
 * LOAD_HEARTBEAT_MS; a hand-off left unacknowledged, or a busy worker's silence,
 * means a blocked loop. Or, with `http-sticky`, the one the client's address
 * hashes to, so that a client's successive connections reach the same worker.
 * While no worker is ready (boot, cheap mode) connections wait here and are
 * handed over later.
 */
export class HttpRouter {
  private readonly servers: net.Server[] = [];
  /** the unix socket files bound, with their identities, removed on close only while still ours */
  private readonly unixFiles: { path: string; fileId: string }[] = [];
  private pending: { conn: Conn; at: number }[] = [];
  /** what each worker was handed and took */
  private readonly ledger = new HandoffLedger<WorkerRecord, Conn>();
  /** the worker processes whose acknowledgements the router listens to */
  private readonly heard = new WeakSet<WorkerRecord['child']>();
  private turn = 0;
  private readonly d: Required<RouterDeps>;

  constructor(deps: RouterDeps) {
    this.d = { maxWaiting: 100, sticky: () => false, ...deps };
  }

  /** Binds and listens on every `http` address. */
  async listen(addresses: string[], backlog: number, mode: number | undefined, inherited: (address: string) => number | undefined = () => undefined): Promise<void> {
    for (const address of addresses) {
      const server = net.createServer();
      const fd = inherited(address);
      if (fd !== undefined) {
        // handed over by the master an upgrade replaces: already bound and listening
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ fd }, resolve));
        server.on('error', (err: NodeJS.ErrnoException) => this.d.logger.log(`http router on ${address}: ${err.code ?? err.message}`));
        this.takeConnections(server, address);
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
      this.takeConnections(server, address);
      this.servers.push(server);
      const bound = server.address();
      this.d.logger.log(`tsgi http router bound on ${typeof bound === 'object' && bound ? `${bound.address}:${bound.port}` : address}`);
    }
  }

  /**
   * The listening handle's connections come here as libuv accepted them, as node:cluster's
   * round-robin primary takes them: a net.Socket for each (streams, timers, listeners) is
   * most of what a connection would cost the master, and only the worker reads it.
   */
  private takeConnections(server: net.Server, address: string): void {
    const handle = (server as unknown as { _handle?: { onconnection: OnConnection } })._handle;
    if (!handle) throw new SupervisorError('TSGI_BIND_FAILED', `the http router on ${address} has no listening handle`);
    handle.onconnection = (status, conn) => {
      // accept() failed (EMFILE, ENFILE): the connection waits in the kernel's queue for the next try
      if (status < 0 || !conn) return this.d.logger.log(`http router on ${address}: accept failed (${status})`);
      this.route(conn);
    };
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
    for (const { conn, at } of waiting) this.route(conn, at);
  }

  /**
   * The master's murder step for the queue: a connection that waited longer than
   * ROUTER_WAIT_MS for a worker (a bad deploy looping in backoff, a hung import)
   * gets a 503 and is closed, so dead clients do not pile up as descriptors.
   */
  expire(now: number): void {
    while (this.pending.length > 0 && now - this.pending[0]!.at > ROUTER_WAIT_MS) refuse(this.pending.shift()!.conn);
  }

  private route(conn: Conn, at = Date.now()): void {
    const w = this.pick(conn);
    if (!w) {
      // the queue is as deep as the listen backlog: past it, the newest is refused at once
      if (this.pending.length >= this.d.maxWaiting) return refuse(conn);
      this.pending.push({ conn, at });
      this.d.onWaiting();
      return;
    }
    this.listenTo(w);
    this.ledger.handed(w, conn, performance.now());
    w.child.send({ t: 'conn', routed: true } satisfies MasterMessage, conn as unknown as net.Socket, undefined, (err) => {
      // not sent (the worker's channel closed meanwhile): nobody has it but us, another worker takes it
      if (err && this.ledger.lost(w, conn)) this.route(conn);
    });
  }

  /**
   * Node's acknowledgement of each handle a worker's loop received
   * (NODE_HANDLE_ACK, on the child's 'internalMessage' event, as node:cluster
   * uses it) is the router's sign that the loop turned and took the connection,
   * with no message of ours: the master's copy closes then. NODE_HANDLE_NACK (the
   * message came without its descriptor) sends the connection again.
   */
  private listenTo(w: WorkerRecord): void {
    const child = w.child;
    if (this.heard.has(child)) return;
    this.heard.add(child);
    child.on('internalMessage', (m: { cmd?: unknown } | null) => {
      if (m?.cmd === 'NODE_HANDLE_ACK') this.ledger.acked(w, performance.now())?.close();
      else if (m?.cmd === 'NODE_HANDLE_NACK') {
        const conn = this.ledger.refused(w);
        if (conn) this.route(conn);
      }
    });
    // The worker's channel closed (it exited, on its own at max-requests, or died): whatever it
    // never acknowledged was never read by its loop, and goes to another worker; every
    // acknowledgement it sent came before the channel's end (ledger.ts: channelEnded).
    channelEnded(child, () => {
      for (const conn of this.ledger.forget(w)) this.route(conn);
    });
  }

  /** By client address with `http-sticky` (when the peer has one), else by load. */
  private pick(conn: Conn): WorkerRecord | undefined {
    // a worker that exited on its own (max-requests) is ready until the master hears of it: not one whose channel closed
    const ready = this.d.candidates().filter((w) => w.child.connected);
    if (ready.length === 0) return undefined;
    const client = this.d.sticky() ? clientKey(peerAddress(conn)) : undefined;
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
    for (const { conn } of this.pending.splice(0)) conn.close();
  }
}

/** The client's address of a TCP connection; undefined for a unix socket's. */
function peerAddress(conn: Conn): string | undefined {
  const out: { address?: string } = {};
  return conn.getpeername?.(out) === 0 ? out.address : undefined;
}

/** How long a connection may wait in the router for a ready worker. */
export const ROUTER_WAIT_MS = 30000;

/** Answers a connection that cannot be served: 503 with `Connection: close` (the request itself is never read). */
function refuse(conn: Conn): void {
  const socket = new net.Socket({ handle: conn, readable: true, writable: true } as net.SocketConstructorOpts);
  socket.on('error', () => socket.destroy());
  socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\nConnection: close\r\n\r\nno worker available\n');
  // read (and drop) the unread request so the client's close is seen and the descriptor freed
  socket.resume();
  socket.setTimeout(5000, () => socket.destroy());
}
