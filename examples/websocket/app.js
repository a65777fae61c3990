// WebSockets under supervise: a `ws` echo on /echo through the `upgrade` export, and a
// socket.io chat attached to the worker's server in `setup(server)`. Plain requests get
// the chat page. No server of its own, no signal code: supervise drains the sockets on
// every reload (websocket-drain, then a close frame 1001) and the clients reconnect.
import { readFileSync } from 'node:fs';
import { Server } from 'socket.io';
import { WebSocketServer } from 'ws';

const page = readFileSync(new URL('./index.html', import.meta.url));

// The echo answers `<worker pid> <message>`, so a client sees which worker serves it,
// and that it reconnects to a new one after a reload.
const echo = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
echo.on('connection', (ws) => ws.on('message', (m) => ws.send(`${process.pid} ${m}`)));

// nginx closes a tunnel idle for proxy_read_timeout / uwsgi_read_timeout (60 s by
// default): a ping every 30 s keeps a quiet WebSocket open (socket.io pings on its own).
setInterval(() => {
  for (const ws of echo.clients) ws.ping();
}, 30_000).unref();

export default function app(req, res) {
  if (req.method !== 'GET' || (req.url !== '/' && req.url !== '/index.html')) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
}

export function upgrade(req, socket, head) {
  // /socket.io/ is socket.io's: its own 'upgrade' listener, added in setup(), takes it
  if (req.url.split('?')[0] !== '/echo') return;
  echo.handleUpgrade(req, socket, head, (ws) => echo.emit('connection', ws, req));
}

export function setup(server) {
  // WebSocket transport only: the long-polling fallback needs every request of a session
  // on the same worker, and the workers share one listening socket
  const io = new Server(server, { transports: ['websocket'] });
  io.on('connection', (socket) => {
    socket.emit('hello', { pid: process.pid });
    // io.emit reaches the clients of this worker; for every worker's clients, add an
    // adapter (@socket.io/redis-adapter, @socket.io/postgres-adapter)
    socket.on('chat', (text) => io.emit('chat', { pid: process.pid, text: String(text).slice(0, 500) }));
  });
}
