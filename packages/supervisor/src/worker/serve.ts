import type { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { DEFAULT_LIMITS, type InheritedSocket, type WorkerLimits, type WorkerMessage } from '../protocol.js';
import type { Accounting } from './accounting.js';
import type { NodeHandler, UpgradeHandler } from './load-app.js';
import { boundedRequestClass, declaresTooMuch, dropBody, lingerOnClose } from './body-limit.js';
import type { RoutedLoad } from './routed-load.js';
import { goAway, isUpgradeRequest, UPGRADE_REFUSED_TEXT } from './upgraded.js';

/** Called for every request that ended, after accounting (its figures are in `Accounting#last`). */
export type OnFinished = (req: IncomingMessage, res: ServerResponse) => void;
/** Called when the app threw or its promise rejected; the 500 is already sent. */
export type OnException = (err: unknown, req: IncomingMessage) => void;

/** What a WorkerServer needs besides the app. */
export interface ServeOptions {
  limits?: WorkerLimits;
  /** one line of the worker's own log (protocol errors, refused connections, harakiri) */
  log?: (line: string) => void;
  /** the app runs in it with its request's scope as the store, so an uncaught error finds its request */
  context?: AsyncLocalStorage<RequestScope>;
  /** the app's `upgrade` export: HTTP Upgrade requests (WebSockets) go to it */
  upgrade?: UpgradeHandler;
  /** where the live load goes once the `http` router hands connections over (routed-load.ts) */
  sendLoad?: (m: Extract<WorkerMessage, { t: 'load' }>) => void;
  /** the `http` router will hand connections over: listen() loads their load reports beforehand */
  routed?: boolean;
  /** milliseconds on a monotonic clock (the drain's spread of closes); tests pass a fake one */
  now?: () => number;
}

/**
 * Loaded on first need, so that a worker loads only what its sockets use: the uwsgi protocol
 * for a `socket`, the load reports for the `http` router's connections. listen() loads them
 * before the first connection; a connection that comes before them (adopted, or accepted by
 * a caller of its own) waits for them unread.
 */
let uwsgi: typeof import('./uwsgi.js') | undefined;
let routedLoad: typeof import('./routed-load.js') | undefined;
const loadUwsgi = async (): Promise<typeof import('./uwsgi.js')> => (uwsgi ??= await import('./uwsgi.js'));
const loadRoutedLoad = async (): Promise<typeof import('./routed-load.js')> => (routedLoad ??= await import('./routed-load.js'));

/** Holds `socket` unread until `ready` settles, then calls `then` unless the socket is gone by then. */
function afterLoad(socket: net.Socket, ready: Promise<unknown>, then: () => void): void {
  socket.pause();
  // a reset meanwhile must not be an uncaught 'error': the socket closes, and `then` is skipped
  socket.on('error', noop);
  void ready.then(() => {
    socket.off('error', noop);
    if (!socket.destroyed) then();
  });
}

/**
 * How long a drain spreads the closing of its keep-alive connections over. Closing them
 * all on their next response sends every client to reconnect at the same moment, and the
 * successor that takes them has code V8 has not compiled yet: under load, the moments
 * after a drain began were the slowest of a reload, for those clients and for every new
 * one queued behind them.
 */
export const DRAIN_SPREAD_MS = 250;

/**
 * How many keep-alive connections a drain may have closed `elapsed` ms after it began,
 * out of the `connections` it found: one at once, then evenly over DRAIN_SPREAD_MS, and
 * every one after that.
 */
export function drainClosesDue(elapsed: number, connections: number): number {
  if (elapsed >= DRAIN_SPREAD_MS) return Infinity;
  return 1 + Math.floor((Math.max(0, elapsed) * connections) / DRAIN_SPREAD_MS);
}

const SERVICE_UNAVAILABLE = 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\nService Unavailable\n';
const INTERNAL_ERROR = 'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n\r\nInternal Server Error\n';
const noop = (): void => undefined;
const kScope = Symbol('tsgi.scope');

/**
 * The store of `ServeOptions.context` while app code runs for a request: its response
 * until the response closes, and what names the request for a later log line.
 * AsyncLocalStorage copies the store into every timer, socket write and promise made
 * while the app runs, and some outlive the request (the keep-alive timer Node re-arms
 * after each response): a response held there kept each request's req/res graph alive
 * through young-generation collections, and under load V8 grew a worker's young
 * generation to 16–32 MB (after a hello-world load, 67 MB RSS against node:cluster's
 * 58). Let go at 'close', only this small object stays behind.
 */
export class RequestScope {
  res: ServerResponse | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;

  constructor(res: ServerResponse) {
    this.res = res;
    this.method = res.req.method;
    this.url = res.req.url;
  }
}

/**
 * The worker's HTTP service on the sockets inherited from the master.
 *
 * The listening sockets are plain `net.Server`s that hand connections to one
 * `http.Server`, so that stopping to accept never touches the connections
 * themselves: `http.Server#close()` would also close idle keep-alive sockets,
 * racing a request the client may be sending at that moment (the drops PM2
 * and node:cluster show on reload).
 *
 * Draining therefore means: close the listeners (the kernel queue stays with
 * the other workers: the socket is shared), answer requests with `Connection:
 * close` (when a successor serves, the keep-alive connections' closes spread over
 * DRAIN_SPREAD_MS, every response after that), and let each connection end on its
 * own — after such a response, by the client, or by the server's ordinary
 * keep-alive timeout. The worker exits when no connection is left.
 *
 * Because that http.Server never listens, Node never starts the checker that
 * enforces its headersTimeout and requestTimeout (it is started by the
 * server's own 'listening' event): the constructor starts it, so a client
 * that drips its request head or body gets 408 instead of holding the
 * connection forever.
 *
 * Upgraded connections (WebSockets, through the app's `upgrade` export or a
 * library attached in `setup(server)`) are not requests: they never count as
 * in flight, and a drain gives them websocket-drain to end on their own
 * before each gets a close frame 1001 and its TCP close (upgraded.ts). With
 * nothing to serve an Upgrade, the request is refused (400, Connection:
 * close) rather than handed to the request handler, which would answer an
 * ordinary 200 the client cannot use.
 */
export class WorkerServer {
  private readonly http: http.Server;
  private readonly listeners: net.Server[] = [];
  private readonly connections = new Set<net.Socket>();
  /** the sockets handed to 'upgrade' listeners, until they close */
  private readonly upgraded = new Set<Duplex>();
  /** whether our 'upgrade' listener is in place (it goes first as soon as anyone listens) */
  private tracking = false;
  /** websocket-drain has passed: an upgrade from now on gets its own grace, then goes away */
  private upgradeGraceOver = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private draining = false;
  private drained: (() => void) | undefined;
  /** keep-alive connections still to end after their next response (rebalancing) */
  private shedding = 0;
  /** one 'close' listener for every response, not a closure per request */
  private readonly onResponseClose: (this: ServerResponse) => void;
  private readonly limits: WorkerLimits;
  private readonly log: (line: string) => void;
  private readonly context: AsyncLocalStorage<RequestScope> | undefined;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex): void => this.trackUpgrade(req, socket);
  /** connections answered 503 at max-conn since the last log line about it */
  private refused = 0;
  private refusedLoggedAt = 0;
  /** requests this worker ended itself at the harakiri deadline */
  harakiris = 0;
  /** when the drain began (`now()`), and how many keep-alive connections it found and has closed so far */
  private drainShed: { since: number; connections: number; closed: number } | undefined;
  private readonly now: () => number;
  /** the router's live figures, from the first connection it hands over */
  private routed: RoutedLoad | undefined;
  private readonly sendLoad: ServeOptions['sendLoad'];
  private readonly expectsRouted: boolean;
  /** bytes read on a request's connection when last seen to change, while its body is incomplete */
  private readonly bodyProgress = new WeakMap<ServerResponse, { bytes: number; since: number }>();

  constructor(
    private readonly handler: NodeHandler,
    private readonly acct: Accounting,
    private readonly onFinished: OnFinished,
    private readonly onException: OnException,
    opts: ServeOptions = {},
  ) {
    const limits = (this.limits = opts.limits ?? DEFAULT_LIMITS);
    this.log = opts.log ?? ((line) => void process.stderr.write(line + '\n'));
    this.context = opts.context;
    this.sendLoad = opts.sendLoad;
    this.expectsRouted = opts.routed === true;
    this.now = opts.now ?? performance.now.bind(performance);
    // Node refuses a headersTimeout above the requestTimeout
    const headersTimeout = limits.bodyMs > 0 ? Math.min(limits.headMs, limits.bodyMs) : limits.headMs;
    const bodyLimit = limits.maxBodyBytes ?? 0;
    this.http = http.createServer(
      {
        // buffer-size: Node answers a longer head 431 and closes that connection alone
        ...(limits.maxHeadBytes === undefined ? {} : { maxHeaderSize: limits.maxHeadBytes }),
        ...(bodyLimit > 0 ? { IncomingMessage: boundedRequestClass(bodyLimit, (req) => this.bodyOverLimit(req)) } : {}),
        headersTimeout,
        requestTimeout: limits.bodyMs,
        keepAliveTimeout: limits.keepAliveMs > 0 ? limits.keepAliveMs : DEFAULT_LIMITS.keepAliveMs,
        // Node's default (30 s) would let a 4 s head deadline pass unnoticed for up to 34 s
        connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4) || 1000)),
      },
      (req, res) => this.onRequest(req, res),
    );
    this.http.emit('listening');
    // limit-post: a body declared too long gets its 413 instead of the 100 Continue that would make the client send it
    if (bodyLimit > 0) this.http.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      if (!declaresTooMuch(req, bodyLimit)) res.writeContinue();
      this.onRequest(req, res);
    });
    // 'newListener' comes before the listener is added, so ours runs first and sees every upgrade
    this.http.on('newListener', (event: string | symbol) => {
      if (event !== 'upgrade' || this.tracking) return;
      this.tracking = true;
      this.http.prependListener('upgrade', this.onUpgrade);
    });
    // an app's removeAllListeners('upgrade') takes ours too: the next listener brings it back
    this.http.on('removeListener', (event: string | symbol, fn: unknown) => {
      if (event === 'upgrade' && fn === this.onUpgrade) this.tracking = false;
    });
    const upgrade = opts.upgrade;
    if (upgrade) this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.callUpgrade(upgrade, req, socket, head));
    const tick = Math.min(1000, limits.headMs / 4, limits.harakiriMs > 0 ? limits.harakiriMs / 4 : Infinity);
    setInterval(() => this.watch(), Math.max(50, tick)).unref();
    const counts = acct;
    const finished = onFinished;
    const server = this;
    this.onResponseClose = function (this: ServerResponse): void {
      const scope = (this as ServerResponse & { [kScope]?: RequestScope })[kScope];
      if (scope) scope.res = undefined;
      counts.end(this.req, this);
      server.routed?.changed();
      finished(this.req, this);
    };
  }

  /** Starts accepting on every inherited socket; resolves when all listen. */
  async listen(sockets: InheritedSocket[], backlog: number): Promise<void> {
    if (sockets.some((s) => s.proto === 'uwsgi')) await loadUwsgi();
    if (this.expectsRouted) await loadRoutedLoad();
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            const server = net.createServer((socket) => this.accept(socket, s.proto, s.name));
            server.once('error', reject);
            server.listen({ fd: s.fd, backlog }, () => {
              server.off('error', reject);
              // an accept error (ENFILE, ENOBUFS) is the kernel's: it must not end the worker
              server.on('error', (err) => this.log(`tsgi worker (pid: ${process.pid}): accept on ${s.name}: ${err.message}`));
              resolve();
            });
            this.listeners.push(server);
          }),
      ),
    );
  }

  get accepting(): boolean {
    return !this.draining;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Open upgraded connections (WebSockets): part of connectionCount, never of the requests in flight. */
  get upgradedCount(): number {
    return this.upgraded.size;
  }

  /**
   * The worker's one `http.Server`, for the app's `setup(server)`. It never
   * listens: connections reach it from the inherited sockets, and its
   * 'request' and 'upgrade' events work as on any server.
   */
  get server(): http.Server {
    return this.http;
  }

  /**
   * Rebalancing (the master saw this worker hot and another idle): the next `count`
   * responses carry `Connection: close`, so those clients reconnect, and the kernel
   * hands the new connections to whichever worker accepts first — the idle one. A
   * response is complete before its connection ends: nothing is lost.
   */
  shed(count: number): void {
    this.shedding = Math.max(0, Math.min(count, this.connections.size - this.upgraded.size));
  }

  /**
   * Stops accepting and resolves once every connection has ended. With `spread`
   * (a successor serves), the keep-alive connections are closed after a response
   * each, spread over DRAIN_SPREAD_MS (drainClosesDue), so their clients do not
   * all reconnect at once; without, every response closes its connection. Upgraded
   * connections get websocket-drain to end on their own, then go away (1001).
   */
  drain(spread = true): Promise<void> {
    if (!this.draining) {
      this.draining = true;
      if (spread) this.drainShed = { since: this.now(), connections: this.connections.size - this.upgraded.size, closed: 0 };
      for (const l of this.listeners) l.close();
      const grace = this.limits.websocketDrainMs ?? DEFAULT_LIMITS.websocketDrainMs!;
      this.graceTimer = setTimeout(() => this.sendAway(), grace);
    }
    return new Promise<void>((resolve) => {
      if (this.connections.size === 0) resolve();
      else this.drained = resolve;
    });
  }

  /**
   * Ends every upgraded connection now: a close frame 1001 "going away" (the
   * app's `ws` socket closes itself, else the frame is written here), then
   * the TCP close. For drains past their grace and for a worker told to end.
   */
  sendAway(): void {
    clearTimeout(this.graceTimer);
    this.upgradeGraceOver = true;
    for (const socket of this.upgraded) goAway(socket);
  }

  /** Ours, first of the 'upgrade' listeners: the socket is an upgraded connection from now on. */
  private trackUpgrade(req: IncomingMessage, socket: Duplex): void {
    this.routed?.upgraded(socket);
    if (this.http.listenerCount('upgrade') === 1) {
      // every other listener has been removed since: nobody will answer this upgrade
      this.refuseUpgrade(req, socket);
      return;
    }
    this.upgraded.add(socket);
    // a peer's reset is the end of this connection, not a failure of the worker, whatever the app listens to
    socket.on('error', noop);
    socket.once('close', () => this.upgraded.delete(socket));
    if (this.upgradeGraceOver) {
      const grace = this.limits.websocketDrainMs ?? DEFAULT_LIMITS.websocketDrainMs!;
      setTimeout(() => goAway(socket), grace);
    }
  }

  private refuseUpgrade(req: IncomingMessage, socket: Duplex): void {
    this.log(`tsgi worker (pid: ${process.pid}): Upgrade (${req.headers.upgrade}) on ${req.url} refused: the app serves no upgrade`);
    socket.on('error', noop);
    const body = UPGRADE_REFUSED_TEXT;
    socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  /** The app's `upgrade` export; what it throws is an app exception, as a request's would be. */
  private callUpgrade(upgrade: UpgradeHandler, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const failed = (err: unknown): void => {
      this.acct.exception();
      this.onException(err, req);
      if (socket.destroyed || socket.writableEnded) return;
      socket.end((socket as net.Socket).bytesWritten === 0 ? INTERNAL_ERROR : undefined);
    };
    try {
      const r = upgrade(req, socket, head) as { then?: unknown } | undefined;
      if (r && typeof r.then === 'function') (r as Promise<unknown>).then(undefined, failed);
    } catch (err) {
      failed(err);
    }
  }

  private onProtocolError(err: Error, socketName: string): void {
    this.log(`tsgi worker (pid: ${process.pid}): bad uwsgi request on ${socketName}: ${err.message}`);
  }

  /**
   * Serves a connection accepted elsewhere (cheap mode's waker, the router), paused and
   * unread: a socket, or the router's bare handle, which becomes one here. A `routed` one
   * is told to the router (routed-load.ts).
   */
  adopt(conn: net.Socket | object, proto: 'http' | 'uwsgi' = 'http', routed = false): void {
    const socket = conn instanceof net.Socket ? conn : new net.Socket({ handle: conn, readable: true, writable: true, pauseOnCreate: true } as net.SocketConstructorOpts);
    if (routed && this.sendLoad) {
      if (!routedLoad) return afterLoad(socket, loadRoutedLoad(), () => this.adopt(socket, proto, routed));
      (this.routed ??= new routedLoad.RoutedLoad(() => this.acct.inflight.size, this.sendLoad)).took(socket);
    }
    this.accept(socket, proto, 'adopted');
    // a uwsgi connection is resumed once its packet reader is attached (acceptUwsgi), the protocol loaded
    if (proto === 'http') socket.resume();
  }

  /**
   * Serves a client connection speaking `proto`. Every connection counts
   * against max-conn and keeps a drain waiting from here on, uwsgi ones
   * still reading their packet included.
   */
  accept(socket: net.Socket, proto: 'http' | 'uwsgi', socketName: string): void {
    const cap = this.limits.maxConnections;
    if (cap > 0 && this.connections.size >= cap) {
      this.refuse(socket, cap);
      return;
    }
    this.connections.add(socket);
    socket.once('close', () => {
      this.connections.delete(socket);
      if (this.draining && this.connections.size === 0) this.drained?.();
    });
    if (proto === 'uwsgi') {
      if (!uwsgi) return afterLoad(socket, loadUwsgi(), () => this.acceptUwsgi(socket, socketName));
      this.acceptUwsgi(socket, socketName);
    } else {
      this.http.emit('connection', socket);
    }
  }

  /** A counted connection speaking uwsgi, once the protocol is loaded: its packet, then HTTP. */
  private acceptUwsgi(socket: net.Socket, socketName: string): void {
    uwsgi!.acceptUwsgi(socket, (conn) => this.http.emit('connection', conn), (err) => this.onProtocolError(err, socketName), this.limits.headMs);
    socket.resume();
  }

  /** Past max-conn: a 503 (a uwsgi client reads HTTP back too) rather than a silent close. */
  private refuse(socket: net.Socket, cap: number): void {
    socket.on('error', noop);
    socket.end(SERVICE_UNAVAILABLE);
    socket.setTimeout(1000, () => socket.destroy());
    this.refused++;
    const now = Date.now();
    if (now - this.refusedLoggedAt >= 10_000) {
      this.log(`tsgi worker (pid: ${process.pid}): max-conn (${cap}) reached: ${this.refused} connection(s) answered 503`);
      this.refused = 0;
      this.refusedLoggedAt = now;
    }
  }

  /** Ends the requests that outlived a limit; runs on a timer, so only while the loop turns. */
  private watch(): void {
    if (this.limits.harakiriMs > 0) this.expire();
    this.checkBodies();
  }

  /**
   * harakiri for a request whose worker is not stuck: the loop turns (this
   * runs), so only that request is old — a slow body, a slow upstream, a
   * forgotten response. It alone ends: 504 if nothing was sent yet, else its
   * connection is cut. Its neighbours never notice; a loop that does not
   * turn is the master's to SIGKILL.
   */
  private expire(): void {
    const limit = this.limits.harakiriMs;
    for (const res of this.acct.olderThan(limit)) {
      this.harakiris++;
      const req = res.req;
      this.log(
        `tsgi worker (pid: ${process.pid}): HARAKIRI ON REQUEST ${req.method} ${req.url} (older than ${limit / 1000} s): ${res.headersSent ? 'connection cut' : '504'}, the worker goes on`,
      );
      endEarly(res, 504, 'Gateway Timeout\n');
    }
  }

  /**
   * socket-timeout while a body is read, as uWSGI's: the app has taken every
   * byte that came (nothing buffered, so the client is not held back by us)
   * and no new one arrived for that long. A total deadline for the body is
   * Node's requestTimeout (body-read-timeout).
   */
  private checkBodies(): void {
    const now = Date.now();
    const limit = this.limits.headMs;
    for (const res of this.acct.inflight) {
      const req = res.req;
      if (req.complete || res.writableEnded || res.destroyed) continue;
      const read = (req.socket as { bytesRead?: number }).bytesRead ?? 0;
      const seen = this.bodyProgress.get(res);
      if (!seen || seen.bytes !== read || req.readableLength > 0) {
        this.bodyProgress.set(res, { bytes: read, since: now });
        continue;
      }
      if (now - seen.since < limit) continue;
      this.log(
        `tsgi worker (pid: ${process.pid}): timeout reading the body of ${req.method} ${req.url} (no byte for ${limit / 1000} s): ${res.headersSent ? 'connection cut' : '408'}`,
      );
      endEarly(res, 408, 'Request Timeout\n');
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.acct.begin(req, res);
    this.routed?.began(req.socket);
    res.once('close', this.onResponseClose);
    if (isUpgradeRequest(req)) {
      // Node hands an Upgrade nobody listens for to the request handler: refused, not served as plain HTTP
      res.shouldKeepAlive = false;
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(UPGRADE_REFUSED_TEXT)) });
      res.end(UPGRADE_REFUSED_TEXT);
      return;
    }
    if (declaresTooMuch(req, this.limits.maxBodyBytes ?? 0)) return this.refuseBody(req, res);
    if (this.limits.keepAliveMs === 0) res.shouldKeepAlive = false;
    else if (this.draining) res.shouldKeepAlive = !this.drainCloseDue();
    else if (this.shedding > 0) {
      this.shedding--;
      res.shouldKeepAlive = false;
    }
    // the router's connection whose worker blocked meanwhile: its client's next connection finds a free one
    if (this.routed?.closes(req.socket)) res.shouldKeepAlive = false;
    if (!this.context) return this.callApp(req, res);
    const scope = ((res as ServerResponse & { [kScope]?: RequestScope })[kScope] = new RequestScope(res));
    this.context.run(scope, this.callApp, req, res);
  }

  /** A drain spreading its closes stops spreading: every response from now on closes its connection. */
  closeEvery(): void {
    this.drainShed = undefined;
  }

  /** Draining: whether this response closes its connection (drainClosesDue says how many may have by now). */
  private drainCloseDue(): boolean {
    const d = this.drainShed;
    if (!d) return true;
    if (d.closed >= drainClosesDue(this.now() - d.since, d.connections)) return false;
    d.closed++;
    return true;
  }

  /** limit-post: the body is (or would be) longer; 413 if nothing was sent, and the connection closes unread. */
  private refuseBody(req: IncomingMessage, res: ServerResponse): void {
    dropBody(req);
    if (!res.headersSent) lingerOnClose(req.socket);
    this.log(`tsgi worker (pid: ${process.pid}): the body of ${req.method} ${req.url} is over limit-post (${this.limits.maxBodyBytes} bytes): ${res.headersSent ? 'connection cut' : '413'}`);
    endEarly(res, 413, 'Payload Too Large\n');
  }

  /**
   * A body passed limit-post while arriving: the app gets no more of it, and its request is
   * refused unless the app has answered already (then Node discards the rest, as for any
   * body an app leaves unread).
   */
  private bodyOverLimit(req: IncomingMessage): void {
    for (const res of this.acct.inflight) if (res.req === req && !res.writableEnded) return this.refuseBody(req, res);
  }

  private readonly callApp = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      const r = this.handler(req, res) as { then?: unknown } | undefined;
      if (r && typeof r.then === 'function') (r as Promise<unknown>).then(undefined, (err) => this.fail(err, req, res));
    } catch (err) {
      this.fail(err, req, res);
    }
  };

  /** An app exception: 500 when nothing was sent yet, else the connection is cut; the worker lives. */
  private fail(err: unknown, req: IncomingMessage, res: ServerResponse): void {
    this.acct.exception();
    this.onException(err, req);
    answerError(res);
  }
}

/**
 * Ends a request the worker gives up on: `status` when nothing was sent yet (and the
 * connection closes after it: its request may be unread), else its connection is cut.
 */
function endEarly(res: ServerResponse, status: number, text: string): void {
  // the app may still write to it; a write after our end must not become an uncaught error
  res.on('error', noop);
  if (!res.headersSent && !res.destroyed) {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.shouldKeepAlive = false;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  } else {
    res.destroy();
  }
}

/** Ends a response the app failed: 500 when nothing was sent yet, else its connection is cut. */
export function answerError(res: ServerResponse): void {
  if (res.writableEnded || res.destroyed) return;
  if (!res.headersSent) {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    res.statusCode = 500;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('content-length', '22');
    res.end('Internal Server Error\n');
  } else {
    res.destroy();
  }
}
