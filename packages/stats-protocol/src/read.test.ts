import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { decodeStats } from './decode.js';
import { StatsError, type StatsErrorCode } from './errors.js';
import { fetchStats, fetchStatsText, readStats } from './read.js';
import { uwsgiSampleText, within } from './fixtures.js';

const BOUND = { timeout: 10_000 };

/** A net server whose connections are tracked, so closing it never waits on a client. */
async function serve(
  t: TestContext,
  onConnection: (socket: net.Socket) => void,
  listenOn: net.ListenOptions = { host: '127.0.0.1', port: 0 },
): Promise<{ server: net.Server; port: number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    onConnection(socket);
  });
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await within(2000, new Promise((resolve) => server.close(resolve)), 'server close');
  });
  server.listen(listenOn);
  await within(2000, once(server, 'listening'), 'listen');
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

/** uWSGI's stats server: write the whole document, then close. */
const dumpAndClose = (text: string) => (socket: net.Socket) => socket.end(text);

/** uWSGI's stats-http: wait for any request bytes, then an HTTP/1.0 answer without Content-Length. */
const http10 = (text: string, seen?: string[]) => (socket: net.Socket) => {
  socket.once('data', (request: Buffer) => {
    seen?.push(request.toString('latin1'));
    socket.end(
      'HTTP/1.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\n\r\n' + text,
    );
  });
};

async function rejectsWith(promise: Promise<unknown>, code: StatsErrorCode, message?: RegExp | string): Promise<StatsError> {
  const error = await within(5000, promise.then(() => undefined, (e: unknown) => e), 'read');
  assert.ok(error instanceof StatsError, `expected a StatsError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (typeof message === 'string') assert.equal(error.message, message);
  else if (message) assert.match(error.message, message);
  return error;
}

function socketPath(name: string): string {
  return join(tmpdir(), `tsgi-stats-${process.pid}-${name}-${Math.random().toString(36).slice(2, 8)}.sock`);
}

test('TCP: reads to EOF without sending anything, like uwsgitop', BOUND, async (t) => {
  const sample = uwsgiSampleText();
  const received: Buffer[] = [];
  const { port } = await serve(t, (socket) => {
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // Give a misbehaving client time to send something before answering.
    setTimeout(() => socket.end(sample), 30);
  });
  assert.equal(await within(5000, fetchStatsText(`127.0.0.1:${port}`), 'fetch'), sample);
  const doc = await within(5000, readStats(`127.0.0.1:${port}`), 'read');
  const expected = decodeStats(sample);
  assert.ok(expected.ok);
  assert.deepEqual(doc, expected.doc);
  assert.equal(Buffer.concat(received).length, 0);
  assert.equal(fetchStats, readStats);
});

test('TCP: a large answer in many chunks, a UTF-8 character split between writes', BOUND, async (t) => {
  const doc = JSON.parse(uwsgiSampleText()) as { cwd: string; workers: unknown[] };
  doc.cwd = '/srv/café-☕';
  doc.workers = Array.from({ length: 400 }, () => doc.workers[2]);
  const bytes = Buffer.from(JSON.stringify(doc), 'utf8');
  const split = bytes.indexOf(Buffer.from('☕')) + 1;
  const { port } = await serve(t, (socket) => {
    socket.write(bytes.subarray(0, split));
    setTimeout(() => socket.end(bytes.subarray(split)), 20);
  });
  const read = await within(5000, readStats(`127.0.0.1:${port}`), 'read');
  assert.equal(read.cwd, '/srv/café-☕');
  assert.equal(read.workers.length, 400);
});

test('unix socket path in the temp directory', BOUND, async (t) => {
  const path = socketPath('unix');
  t.after(() => rmSync(path, { force: true }));
  await serve(t, dumpAndClose(uwsgiSampleText()), { path });
  const doc = await within(5000, readStats(path), 'read');
  assert.equal(doc.pid, 9499);
});

test('abstract unix socket (@name)', { ...BOUND, skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  const name = `tsgi-stats-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await serve(t, dumpAndClose(uwsgiSampleText()), { path: `\0${name}` });
  const doc = await within(5000, readStats(`@${name}`), 'read');
  assert.equal(doc.version, '2.0.21-debian');
});

test('IPv6 loopback as [::1]:port', BOUND, async (t) => {
  const probe = net.createServer();
  const available = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen({ host: '::1', port: 0 }, () => probe.close(() => resolve(true)));
  });
  if (!available) {
    t.skip('no IPv6 loopback here');
    return;
  }
  const { port } = await serve(t, dumpAndClose(uwsgiSampleText()), { host: '::1', port: 0 });
  const doc = await within(5000, readStats(`[::1]:${port}`), 'read');
  assert.equal(doc.workers.length, 4);
});

test('http:// — an HTTP/1.0 answer without Content-Length, as uWSGI stats-http sends', BOUND, async (t) => {
  const seen: string[] = [];
  const { port } = await serve(t, http10(uwsgiSampleText(), seen));
  assert.equal(await within(5000, fetchStatsText(`http://127.0.0.1:${port}/stats`), 'fetch'), uwsgiSampleText());
  assert.match(seen[0] ?? '', /^GET \/stats HTTP\/1\.1\r\n/);
});

test('http:// — a regular node:http server (chunked HTTP/1.1) works too', BOUND, async (t) => {
  const server = http.createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.write(uwsgiSampleText().slice(0, 100));
    response.end(uwsgiSampleText().slice(100));
  });
  t.after(async () => {
    server.closeAllConnections();
    await within(2000, new Promise((resolve) => server.close(resolve)), 'close');
  });
  server.listen(0, '127.0.0.1');
  await within(2000, once(server, 'listening'), 'listen');
  const { port } = server.address() as net.AddressInfo;
  const doc = await within(5000, readStats(`http://127.0.0.1:${port}/`), 'read');
  assert.equal(doc.cwd, '/srv/app');
});

test('http:// — a non-200 status and a non-HTTP answer are reported', BOUND, async (t) => {
  const notFound = await serve(t, (socket) => {
    socket.once('data', () => socket.end('HTTP/1.0 404 Not Found\r\n\r\nnope'));
  });
  await rejectsWith(
    readStats(`http://127.0.0.1:${notFound.port}/`),
    'ERR_STATS_HTTP',
    `stats server at http://127.0.0.1:${notFound.port}/ answered HTTP 404`,
  );
  const plain = await serve(t, dumpAndClose(uwsgiSampleText()));
  await rejectsWith(readStats(`http://127.0.0.1:${plain.port}/`), 'ERR_STATS_HTTP', /leave out http:\/\//);
});

test('a server that never answers: timeout within the bound, and the socket is destroyed', BOUND, async (t) => {
  const held: net.Socket[] = [];
  const { port } = await serve(t, (socket) => held.push(socket));
  const started = Date.now();
  await rejectsWith(
    readStats(`127.0.0.1:${port}`, { timeoutMs: 200 }),
    'ERR_STATS_TIMEOUT',
    `stats server at 127.0.0.1:${port} did not answer within 200 ms`,
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 1500, `took ${elapsed} ms`);
  const serverSide = held[0];
  assert.ok(serverSide);
  if (!serverSide.closed) await within(2000, once(serverSide, 'close'), 'client closed its end');
});

test('an HTTP server that never answers, and one that drips bytes, both time out', BOUND, async (t) => {
  const silent = await serve(t, () => undefined);
  await rejectsWith(readStats(`http://127.0.0.1:${silent.port}/`, { timeoutMs: 150 }), 'ERR_STATS_TIMEOUT');
  const dripping = await serve(t, (socket) => {
    const timer = setInterval(() => socket.write('{'), 20);
    socket.on('close', () => clearInterval(timer));
  });
  await rejectsWith(readStats(`127.0.0.1:${dripping.port}`, { timeoutMs: 200 }), 'ERR_STATS_TIMEOUT', /bytes received\)$/);
});

test('connection refused and missing socket files name the address', BOUND, async () => {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await within(2000, once(probe, 'listening'), 'listen');
  const { port } = probe.address() as net.AddressInfo;
  await within(2000, new Promise((resolve) => probe.close(resolve)), 'close');
  await rejectsWith(readStats(`127.0.0.1:${port}`), 'ERR_STATS_UNREACHABLE', `no stats server at 127.0.0.1:${port} (connection refused)`);
  const missing = socketPath('missing');
  await rejectsWith(readStats(missing), 'ERR_STATS_UNREACHABLE', `no stats server at ${missing} (no such socket file)`);
});

test('empty, garbage, truncated and oversized answers', BOUND, async (t) => {
  const empty = await serve(t, (socket) => socket.end());
  await rejectsWith(readStats(`127.0.0.1:${empty.port}`), 'ERR_STATS_EMPTY', /closed the connection without sending anything/);

  const garbage = await serve(t, dumpAndClose('hello\n'));
  assert.equal(await within(5000, fetchStatsText(`127.0.0.1:${garbage.port}`), 'fetch'), 'hello\n');
  await rejectsWith(readStats(`127.0.0.1:${garbage.port}`), 'ERR_STATS_DECODE', /sent no valid stats document: invalid JSON/);

  const truncated = await serve(t, dumpAndClose(uwsgiSampleText().slice(0, 1000)));
  await rejectsWith(readStats(`127.0.0.1:${truncated.port}`), 'ERR_STATS_DECODE', /truncated/);

  const big = await serve(t, dumpAndClose(uwsgiSampleText()));
  await rejectsWith(readStats(`127.0.0.1:${big.port}`, { maxBytes: 100 }), 'ERR_STATS_TOO_LARGE');
});

test('a bad address rejects instead of throwing', BOUND, async () => {
  const pending = readStats('127.0.0.1:notaport');
  await rejectsWith(pending, 'ERR_STATS_ADDRESS', /invalid port/);
});
