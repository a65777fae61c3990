import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { DEFAULT_LIMITS, type WorkerLimits } from '../protocol.js';
import { Accounting } from './accounting.js';
import type { UpgradeHandler } from './load-app.js';
import { WorkerServer } from './serve.js';
import { closeFrame } from './upgraded.js';

const plain = (_req: IncomingMessage, res: import('node:http').ServerResponse): void => void res.end('plain\n');

/** A WorkerServer behind a 127.0.0.1 listener, as on an inherited socket. */
async function serve(opts: { upgrade?: UpgradeHandler; limits?: Partial<WorkerLimits> } = {}) {
  const acct = new Accounting(1);
  const lines: string[] = [];
  const server = new WorkerServer(plain, acct, () => undefined, () => undefined, {
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    log: (l) => lines.push(l),
    ...(opts.upgrade ? { upgrade: opts.upgrade } : {}),
  });
  const listener = net.createServer((s) => server.accept(s, 'http', 'test'));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;
  return { port, server, acct, lines, close: () => listener.close() };
}

/** Opens a ws client and resolves once it is open. */
function open(port: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function echoOnce(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (d) => resolve(d.toString()));
    ws.send(text);
  });
}

/** The close code the client got, followed by the error it saw, if any ("1001", "1006 ECONNRESET"). */
async function ended(ws: WebSocket): Promise<string> {
  const errors: string[] = [];
  ws.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
  const [code] = (await once(ws, 'close')) as [number];
  return [String(code), ...errors].join(' ');
}

/** An upgrade handler without any library: the handshake by hand, and nothing more, so only the worker can send a close frame. */
const rawUpgrade: UpgradeHandler = (req, socket: Duplex) => {
  const key = req.headers['sec-websocket-key']!;
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
};

test('an upgrade export gets the Upgrade request and its socket; echo through ws', { timeout: 10000 }, async () => {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (c) => c.on('message', (d) => c.send(`echo ${d.toString()}`)));
  const s = await serve({ upgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, (c) => wss.emit('connection', c, req)) });
  const ws = await open(s.port);
  assert.equal(await echoOnce(ws, 'hi'), 'echo hi');
  assert.equal(s.server.upgradedCount, 1);
  assert.equal(s.acct.inflight.size, 0, 'an upgraded connection is no request in flight');
  assert.equal(s.acct.takeBusyShare(), 0, 'nor does it make any of the report interval busy');
  const end = ended(ws);
  ws.close();
  assert.equal(await end, '1005');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(s.server.upgradedCount, 0);
  s.close();
});

test('setup-style: a WebSocketServer attached to the never-listening http.Server gets the upgrades', { timeout: 10000 }, async () => {
  const s = await serve();
  const wss = new WebSocketServer({ server: s.server.server });
  wss.on('connection', (c) => c.on('message', (d) => c.send(`echo ${d.toString()}`)));
  const ws = await open(s.port);
  assert.equal(await echoOnce(ws, 'there'), 'echo there');
  assert.equal(s.server.upgradedCount, 1);
  ws.terminate();
  s.close();
});

test('an upgraded connection outlives the HTTP head, body and keep-alive timeouts', { timeout: 10000 }, async () => {
  const s = await serve({ limits: { headMs: 200, bodyMs: 400, keepAliveMs: 200 } });
  const wss = new WebSocketServer({ server: s.server.server });
  wss.on('connection', (c) => c.on('message', (d) => c.send(d)));
  const ws = await open(s.port);
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(await echoOnce(ws, 'still here'), 'still here');
  ws.terminate();
  s.close();
});

test('upgrades stay tracked after removeAllListeners, and are refused once no app listener is left', { timeout: 10000 }, async () => {
  const s = await serve();
  const http = s.server.server;
  new WebSocketServer({ server: http });
  http.removeAllListeners('upgrade');
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (c) => c.on('message', (d) => c.send(d)));
  const ws = await open(s.port);
  assert.equal(await echoOnce(ws, 'x'), 'x');
  assert.equal(s.server.upgradedCount, 1);
  ws.terminate();
  wss.close();
  const err = await new Promise<Error>((resolve) => new WebSocket(`ws://127.0.0.1:${s.port}/ws`).once('error', resolve));
  assert.match(err.message, /Unexpected server response: 400/);
  assert.match(s.lines.join('\n'), /refused: the app serves no upgrade/);
  s.close();
});

test('no upgrade export, nobody listening: an Upgrade is refused with 400 and Connection: close, not served', { timeout: 10000 }, async () => {
  const s = await serve();
  const err = await new Promise<Error & { message: string }>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws`);
    ws.once('error', resolve);
  });
  assert.match(err.message, /Unexpected server response: 400/);
  const raw = await new Promise<string>((resolve) => {
    let data = '';
    const c = net.connect(s.port, '127.0.0.1', () => c.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'));
    c.on('data', (d) => (data += d.toString()));
    c.on('close', () => resolve(data));
  });
  assert.match(raw, /^HTTP\/1\.1 400 /);
  assert.match(raw, /connection: close/i);
  assert.match(raw, /does not accept Upgrade/);
  // h2c may be ignored: the plain handler answers
  const h2c = await new Promise<string>((resolve) => {
    let data = '';
    const c = net.connect(s.port, '127.0.0.1', () => c.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n'));
    c.on('data', (d) => {
      data += d.toString();
      if (data.includes('plain')) c.destroy();
    });
    c.on('close', () => resolve(data));
  });
  assert.match(h2c, /^HTTP\/1\.1 200 /);
  s.close();
});

test('drain: upgraded connections get websocket-drain, then a close frame 1001 and a clean TCP close', { timeout: 10000 }, async () => {
  const s = await serve({ limits: { websocketDrainMs: 300 } });
  const attached = new WebSocketServer({ server: s.server.server });
  attached.on('connection', (c) => c.on('message', (d) => c.send(d)));
  const clients = await Promise.all(Array.from({ length: 5 }, () => open(s.port)));
  const ends = clients.map(ended);
  const t0 = Date.now();
  const drained = s.server.drain();
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(await echoOnce(clients[0]!, 'still served in the grace'), 'still served in the grace');
  const results = await Promise.all(ends);
  assert.ok(Date.now() - t0 >= 280, 'not before the grace period');
  assert.deepEqual(results, clients.map(() => '1001'));
  await drained;
  s.close();
});

test('drain: a library-less upgraded socket gets the 1001 frame written by the worker', { timeout: 10000 }, async () => {
  const s = await serve({ upgrade: rawUpgrade, limits: { websocketDrainMs: 100 } });
  const ws = await open(s.port);
  const end = ended(ws);
  const drained = s.server.drain();
  assert.equal(await end, '1001');
  await drained;
  s.close();
});

test('closeFrame encodes code and reason as a server frame', () => {
  assert.deepEqual([...closeFrame(1001, 'ab')], [0x88, 4, 0x03, 0xe9, 0x61, 0x62]);
});
