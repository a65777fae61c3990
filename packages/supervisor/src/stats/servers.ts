import { createRequire } from 'node:module';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { StatsDocument } from '@tsgi/stats-protocol';
import type { Logger } from '../log/logger.js';
import { bindHost, listenOn, parseSocketAddress, removeOwnSocket } from '../net/address.js';
import { corsOrigin, hostAllowed, originAllowed, type HttpAccess } from './access.js';
import { cacheStats, type StatsCache } from './cache.js';
import type { Dashboard, DashboardOptions } from './dashboard.js';
import { renderMetrics } from './metrics.js';

/** How much one stats server lets its clients cost the master. */
export interface StatsLimits {
  /** open connections at once (dump clients, HTTP requests and WebSockets together) */
  maxConnections: number;
  /** ms a client has to send its request and take the answer before it is dropped */
  clientTimeoutMs: number;
  /** ms a snapshot is reused for */
  cacheMs: number;
  /** WebSocket clients at once */
  maxWsClients: number;
  /** bytes of the largest frame a WebSocket client may send: clients have nothing to say */
  maxWsPayload: number;
  /** ms a WebSocket client may go without a pong, or stay a document behind, at the least */
  wsGraceMs: number;
}

/** The defaults: uwsgitop and tsgitop poll once a second; dozens of readers is already unusual. */
export const STATS_LIMITS: StatsLimits = {
  maxConnections: 64,
  clientTimeoutMs: 5000,
  cacheMs: 100,
  maxWsClients: 32,
  maxWsPayload: 1024,
  wsGraceMs: 5000,
};

export interface StatsServerOptions {
  address: string;
  http: boolean;
  minified: boolean;
  /** seconds between WebSocket pushes */
  pushSeconds: number;
  /** `stats-chmod` of a unix stats socket; undefined: 0600 */
  chmod: number | undefined;
  /** `stats-http-cors`: the web origin allowed to read the stats; undefined: none */
  cors?: string | undefined;
  /** `stats-http-allow-host`: Host names accepted besides IPs, localhost and the bound name */
  allowHosts?: readonly string[];
  logger: Logger;
  /** builds the current document; cached for `limits.cacheMs`, so a flood costs one per interval */
  snapshot: () => StatsDocument;
  /** `/readyz` and `/livez`: whether the server takes traffic, and whether the master's loop turns */
  probe?: () => Probe;
  /** `stats-http-dashboard`: the page for browsers on `GET /`; undefined: JSON only */
  dashboard?: DashboardOptions;
  limits?: Partial<StatsLimits>;
}

/** What the probes answer: `ready` while a worker is ready and the master is not stopping; `live` while its loop turns. */
export interface Probe {
  ready: boolean;
  live: boolean;
  /** one line on why, in the probe's body */
  why: string;
}

/**
 * `probes = address`: /readyz and /livez alone over HTTP, for a platform that
 * probes a pod without exposing its stats. Every other path is a 404.
 */
export async function startProbeServer(address: string, probe: () => Probe, logger: Logger): Promise<{ close(): void }> {
  const server = http.createServer({ headersTimeout: 5000, requestTimeout: 5000 }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/readyz' && path !== '/livez') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('not found: try /readyz or /livez\n');
    }
    const p = probe();
    const ok = path === '/readyz' ? p.ready : p.live;
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
    res.end(`${ok ? 'ok' : 'not ok'}: ${p.why}\n`);
  });
  server.maxConnections = 16;
  await listenOn(server, parseSocketAddress(address), { mode: 0o600 });
  server.on('error', (err) => logger.log(`probes server on ${address}: ${err.message}`));
  logger.log(`*** probes (/readyz, /livez) served on ${address} ***`);
  return { close: () => server.close() };
}

/** The stats server: dump-and-close like uWSGI's, or HTTP with /metrics and a /ws push. */
export interface StatsServer {
  close(): void;
  /** the bound TCP port (useful when 0 was asked) */
  port: number;
}

type WsModule = typeof import('ws');

/**
 * ws through `require`, not `import()`: Node 20's ESM loader, importing ws's ESM wrapper
 * (which imports eight CommonJS files), now and then hands the wrapper a module's exports
 * before the module has run, and `WebSocketServer` arrives as an empty object. It showed
 * on about one master start in five after a fresh `pnpm install`; ws's own `index.js`,
 * loaded by `require`, sets every export itself.
 */
function loadWs(): WsModule {
  return createRequire(import.meta.url)('ws') as WsModule;
}

/** uWSGI's reply head, with its CORS line only when one is configured. */
function uwsgiHttpHead(cors: string | undefined): Buffer {
  const allow = cors === undefined ? '' : `Access-Control-Allow-Origin: ${cors}\r\n`;
  return Buffer.from(`HTTP/1.0 200 OK\r\nConnection: close\r\n${allow}Content-Type: application/json\r\n\r\n`);
}

/**
 * Starts the stats server (`stats`, `stats-http`). Plain mode writes the whole document to
 * each connection and closes it, the client sending nothing, as uWSGI does,
 * so `nc`, uwsgitop and existing scripts work. HTTP mode answers `GET /` with
 * uWSGI's own HTTP/1.0 headers, `GET /metrics` in Prometheus format, and
 * upgrades `/ws` to a WebSocket that pushes a snapshot every `stats-push` s.
 * Every client is bounded in time, number and memory (STATS_LIMITS), and the
 * HTTP side answers only its own Host names and origins.
 */
export async function startStatsServer(o: StatsServerOptions): Promise<StatsServer> {
  const addr = parseSocketAddress(o.address);
  const limits = { ...STATS_LIMITS, ...o.limits };
  const stats = cacheStats(o.snapshot, limits.cacheMs);
  const boundHost = addr.kind === 'tcp' && net.isIP(addr.host) === 0 ? addr.host : '';
  const cors = o.cors === undefined ? undefined : corsOrigin(o.cors);
  if (o.cors !== undefined && cors === undefined) {
    o.logger.log(`*** WARNING: stats-http-cors = ${o.cors} is not an origin such as https://dash.example or *: no CORS ***`);
  }
  const access: HttpAccess = { cors, allowHosts: o.allowHosts ?? [], boundHost };
  // ws and the dashboard (with node:crypto) load only for a stats-http that uses them
  const dashboard = o.http && o.dashboard ? (await import('./dashboard.js')).createDashboard(o.dashboard) : undefined;
  const server = o.http ? httpStatsServer(o, stats, limits, access, loadWs(), dashboard) : dumpStatsServer(o, stats, limits);
  server.maxConnections = limits.maxConnections;
  if (addr.kind === 'tcp' && !isLoopback(bindHost(addr.host))) {
    o.logger.log(`*** WARNING: the stats server on ${o.address} is reachable beyond this machine: stats reveal paths and pids ***`);
  }
  const { fileId } = await listenOn(server, addr, { mode: o.chmod });
  // an accept error after listening (ENFILE, ENOBUFS) must not be an uncaught exception in the master
  server.on('error', (err) => o.logger.log(`stats server on ${o.address}: ${err.message}`));
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;
  o.logger.log(`*** Stats server enabled on ${addr.kind === 'tcp' ? `${bindHost(addr.host)}:${port}` : o.address}${o.http ? ' (http)' : ''} ***`);
  return {
    port,
    close: () => {
      server.close();
      // only the file this server bound: another instance may have taken the path since
      if (addr.kind === 'unix') {
        try {
          removeOwnSocket(addr.path, fileId);
        } catch (err) {
          o.logger.log(`cannot remove the stats socket ${addr.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
      }
    },
  };
}

/**
 * Writes `data` and closes as soon as the kernel has it, so a client that never reads
 * or never closes holds no descriptor of the master; one that does not even take
 * it within the timeout is dropped.
 */
function sendAndClose(socket: net.Socket, data: Buffer | readonly Buffer[], timeoutMs: number): void {
  socket.on('error', () => socket.destroy());
  socket.setTimeout(timeoutMs, () => socket.destroy());
  const parts = Array.isArray(data) ? data : [data as Buffer];
  for (let i = 0; i < parts.length - 1; i++) socket.write(parts[i]!);
  socket.end(parts[parts.length - 1], () => socket.destroy());
}

function dumpStatsServer(o: StatsServerOptions, stats: StatsCache, limits: StatsLimits): net.Server {
  return net.createServer((socket) => {
    // what a client sends is read and dropped: unread bytes would make the close a reset
    socket.resume();
    sendAndClose(socket, stats.json(o.minified), limits.clientTimeoutMs);
  });
}

/** `ws` and the dashboard are passed in: only `stats-http` loads ws (~10 MB of memory in the master), only `stats-http-dashboard` the dashboard. */
function httpStatsServer(o: StatsServerOptions, stats: StatsCache, limits: StatsLimits, access: HttpAccess, ws: WsModule, dashboard: Dashboard | undefined): http.Server {
  const head = uwsgiHttpHead(access.cors);
  const cors = access.cors === undefined ? {} : { 'access-control-allow-origin': access.cors };
  const server = http.createServer({
    headersTimeout: limits.clientTimeoutMs,
    requestTimeout: limits.clientTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.clientTimeoutMs),
  });
  server.timeout = limits.clientTimeoutMs;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!hostAllowed(req.headers.host, access)) {
      res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' });
      res.end('forbidden: unknown Host (see stats-http-allow-host)\n');
      return;
    }
    if (dashboard?.handles(req)) return dashboard.serve(req, res);
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', ...cors });
      res.end(stats.derived('metrics', renderMetrics));
      return;
    }
    if ((path === '/readyz' || path === '/livez') && o.probe) {
      // never cached: a probe must see the state of this very moment
      const p = o.probe();
      const ok = path === '/readyz' ? p.ready : p.live;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain', 'cache-control': 'no-store', ...cors });
      res.end(`${ok ? 'ok' : 'not ok'}: ${p.why}\n`);
      return;
    }
    if (path === '/' || path === '') {
      // uWSGI's exact reply: HTTP/1.0, no Content-Length, closed after the body
      sendAndClose(req.socket, [head, stats.json(o.minified)], limits.clientTimeoutMs);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /, /metrics, /readyz, /livez or /ws\n');
  });
  const push = webSocketPush(o, stats, limits, ws.WebSocketServer);
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, body: Buffer) => {
    socket.on('error', () => socket.destroy());
    if ((req.url ?? '').split('?')[0] !== '/ws') return refuse(socket, 404, 'Not Found');
    if (!hostAllowed(req.headers.host, access)) return refuse(socket, 403, 'Forbidden');
    if (!originAllowed(req.headers.origin, req.headers.host, access.cors)) return refuse(socket, 403, 'Forbidden');
    if (push.clients() >= limits.maxWsClients) return refuse(socket, 503, 'Service Unavailable');
    push.accept(req, socket, body);
  });
  server.on('close', () => push.close());
  return server;
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

interface Client {
  lastPong: number;
  /** since when the client has had more than a document unsent; undefined when caught up */
  behindSince: number | undefined;
}

/**
 * The `/ws` push: a snapshot every `stats-push` s to each client, with a ping. A client
 * that does not answer pings, or that stays more than a document behind, is terminated:
 * otherwise every push it does not read stays in the master's memory.
 */
function webSocketPush(
  o: StatsServerOptions,
  stats: StatsCache,
  limits: StatsLimits,
  WebSocketServer: WsModule['WebSocketServer'],
): { clients(): number; accept(req: http.IncomingMessage, socket: Duplex, body: Buffer): void; close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxWsPayload, clientTracking: false, perMessageDeflate: false });
  const clients = new Map<WebSocket, Client>();
  // a timer past 2^31 - 1 ms fires after 1 ms in Node: a huge stats-push must not become a busy loop
  const intervalMs = Math.min(2 ** 31 - 1, Math.max(100, o.pushSeconds * 1000));
  const graceMs = Math.max(limits.wsGraceMs, 2 * intervalMs);
  let timer: NodeJS.Timeout | undefined;
  const drop = (ws: WebSocket): void => {
    clients.delete(ws);
    ws.terminate();
    if (clients.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const push = (): void => {
    const text = stats.json(true);
    const now = performance.now();
    for (const [ws, c] of clients) {
      if (now - c.lastPong > graceMs) {
        drop(ws);
        continue;
      }
      if (ws.bufferedAmount > text.length) {
        c.behindSince ??= now;
        if (now - c.behindSince > graceMs) drop(ws);
        continue;
      }
      c.behindSince = undefined;
      ws.send(text, { binary: false });
      ws.ping();
    }
  };
  return {
    clients: () => clients.size,
    accept(req, socket, body) {
      wss.handleUpgrade(req, socket, body, (ws) => {
        clients.set(ws, { lastPong: performance.now(), behindSince: undefined });
        ws.on('pong', () => {
          const c = clients.get(ws);
          if (c) c.lastPong = performance.now();
        });
        ws.on('close', () => drop(ws));
        // too large a frame, a bad frame: ws reports it here; the client has nothing else to say
        ws.on('error', () => drop(ws));
        ws.send(stats.json(true), { binary: false });
        timer ??= setInterval(push, intervalMs);
      });
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const ws of clients.keys()) ws.terminate();
      clients.clear();
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
