import http from 'node:http';
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeStats, type StatsDocument } from '@tsgi/stats-protocol';
import type { Logger } from '../log/logger.js';
import { bindHost, listenOn, parseSocketAddress, removeStaleSocket } from '../net/address.js';
import { renderMetrics } from './metrics.js';

export interface StatsServerOptions {
  address: string;
  http: boolean;
  minified: boolean;
  /** seconds between WebSocket pushes */
  pushSeconds: number;
  chmod: number | undefined;
  logger: Logger;
  /** builds the current document; called per request, so it must be cheap */
  snapshot: () => StatsDocument;
}

/** The stats server: dump-and-close like uWSGI's, or HTTP with /metrics and a /ws push. */
export interface StatsServer {
  close(): void;
  /** the bound TCP port (useful when 0 was asked) */
  port: number;
}

const UWSGI_HTTP_HEAD =
  'HTTP/1.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\n\r\n';

/**
 * Starts the stats server (`stats`, `stats-http`). Plain mode writes the whole document to
 * each connection and closes it, the client sending nothing, as uWSGI does,
 * so `nc`, uwsgitop and existing scripts work. HTTP mode answers `GET /` with
 * uWSGI's own HTTP/1.0 headers, `GET /metrics` in Prometheus format, and
 * upgrades `/ws` to a WebSocket that pushes a snapshot every `stats-push` s.
 */
export async function startStatsServer(o: StatsServerOptions): Promise<StatsServer> {
  const addr = parseSocketAddress(o.address);
  const server = o.http ? httpStatsServer(o) : dumpStatsServer(o);
  if (addr.kind === 'tcp' && !isLoopback(bindHost(addr.host))) {
    o.logger.log(`*** WARNING: the stats server on ${o.address} is reachable beyond this machine: stats reveal paths and pids ***`);
  }
  await listenOn(server, addr, { mode: o.chmod });
  const bound = server.address();
  const port = typeof bound === 'object' && bound ? bound.port : 0;
  o.logger.log(`*** Stats server enabled on ${addr.kind === 'tcp' ? `${bindHost(addr.host)}:${port}` : o.address}${o.http ? ' (http)' : ''} ***`);
  return {
    port,
    close: () => {
      server.close();
      if (addr.kind === 'unix') removeStaleSocket(addr.path);
    },
  };
}

function dumpStatsServer(o: StatsServerOptions): net.Server {
  return net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(encodeStats(o.snapshot(), { minified: o.minified }));
  });
}

function httpStatsServer(o: StatsServerOptions): http.Server {
  const wss = new WebSocketServer({ noServer: true });
  const clients = new Set<WebSocket>();
  let timer: NodeJS.Timeout | undefined;
  const push = (): void => {
    if (clients.size === 0) return;
    const text = encodeStats(o.snapshot(), { minified: true });
    for (const ws of clients) ws.send(text);
  };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(renderMetrics(o.snapshot()));
      return;
    }
    if (path === '/' || path === '') {
      // uWSGI's exact reply: HTTP/1.0, no Content-Length, closed after the body
      const socket = req.socket;
      socket.end(UWSGI_HTTP_HEAD + encodeStats(o.snapshot(), { minified: o.minified }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /, /metrics or /ws\n');
  });
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== '/ws') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
      ws.send(encodeStats(o.snapshot(), { minified: true }));
      timer ??= setInterval(push, Math.max(100, o.pushSeconds * 1000));
    });
  });
  server.on('close', () => {
    if (timer) clearInterval(timer);
    for (const ws of clients) ws.terminate();
  });
  return server;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
