import http from 'node:http';
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InheritedSocket } from '../protocol.js';
import type { Accounting } from './accounting.js';
import type { NodeHandler } from './load-app.js';
import { acceptUwsgi } from './uwsgi.js';

/** Called for every request that ended, after accounting (its figures are in `Accounting#last`). */
export type OnFinished = (req: IncomingMessage, res: ServerResponse) => void;
/** Called when the app threw or its promise rejected; the 500 is already sent. */
export type OnException = (err: unknown, req: IncomingMessage) => void;

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
 * the other workers: the socket is shared), answer every request from now on
 * with `Connection: close`, and let each connection end on its own — after
 * such a response, by the client, or by the server's ordinary keep-alive
 * timeout. The worker exits when no connection is left.
 */
export class WorkerServer {
  private readonly http: http.Server;
  private readonly listeners: net.Server[] = [];
  private readonly connections = new Set<net.Socket>();
  private draining = false;
  private drained: (() => void) | undefined;
  /** keep-alive connections still to end after their next response (rebalancing) */
  private shedding = 0;
  /** one 'close' listener for every response, not a closure per request */
  private readonly onResponseClose: (this: ServerResponse) => void;

  constructor(
    private readonly handler: NodeHandler,
    private readonly acct: Accounting,
    private readonly onFinished: OnFinished,
    private readonly onException: OnException,
  ) {
    this.http = http.createServer((req, res) => this.onRequest(req, res));
    const counts = acct;
    const finished = onFinished;
    this.onResponseClose = function (this: ServerResponse): void {
      counts.end(this.req, this);
      finished(this.req, this);
    };
  }

  /** Starts accepting on every inherited socket; resolves when all listen. */
  async listen(sockets: InheritedSocket[], backlog: number): Promise<void> {
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            const server = net.createServer(
              s.proto === 'uwsgi'
                ? (socket) => acceptUwsgi(socket, (conn) => this.onConnection(conn as unknown as net.Socket), (err) => this.onProtocolError(err, s.name))
                : (socket) => this.onConnection(socket),
            );
            server.once('error', reject);
            server.listen({ fd: s.fd, backlog }, () => {
              server.off('error', reject);
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

  /**
   * Rebalancing (the master saw this worker hot and another idle): the next `count`
   * responses carry `Connection: close`, so those clients reconnect, and the kernel
   * hands the new connections to whichever worker accepts first — the idle one. A
   * response is complete before its connection ends: nothing is lost.
   */
  shed(count: number): void {
    this.shedding = Math.max(0, Math.min(count, this.connections.size));
  }

  /** Stops accepting and resolves once every connection has ended. */
  drain(): Promise<void> {
    if (!this.draining) {
      this.draining = true;
      for (const l of this.listeners) l.close();
    }
    return new Promise<void>((resolve) => {
      if (this.connections.size === 0) resolve();
      else this.drained = resolve;
    });
  }

  private onProtocolError(err: Error, socketName: string): void {
    process.stderr.write(`tsgi worker (pid: ${process.pid}): bad uwsgi request on ${socketName}: ${err.message}\n`);
  }

  /** Serves a connection accepted elsewhere (cheap mode's waker), paused and unread. */
  adopt(socket: net.Socket): void {
    this.onConnection(socket);
    socket.resume();
  }

  private onConnection(socket: net.Socket): void {
    this.connections.add(socket);
    socket.once('close', () => {
      this.connections.delete(socket);
      if (this.draining && this.connections.size === 0) this.drained?.();
    });
    this.http.emit('connection', socket);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.acct.begin(req, res);
    if (this.draining) res.shouldKeepAlive = false;
    else if (this.shedding > 0) {
      this.shedding--;
      res.shouldKeepAlive = false;
    }
    res.once('close', this.onResponseClose);
    try {
      const r = this.handler(req, res) as { then?: unknown } | undefined;
      if (r && typeof r.then === 'function') (r as Promise<unknown>).then(undefined, (err) => this.fail(err, req, res));
    } catch (err) {
      this.fail(err, req, res);
    }
  }

  /** An app exception: 500 when nothing was sent yet, else the connection is cut; the worker lives. */
  private fail(err: unknown, req: IncomingMessage, res: ServerResponse): void {
    this.acct.exception();
    this.onException(err, req);
    if (!res.headersSent && !res.destroyed) {
      res.statusCode = 500;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.setHeader('content-length', '22');
      res.end('Internal Server Error\n');
    } else {
      res.destroy();
    }
  }
}
