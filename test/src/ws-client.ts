/**
 * WebSocket clients for the e2e tests, on the real `ws` package: open one (over HTTP, or
 * over the uwsgi protocol as nginx's uwsgi_pass would carry it), echo through the
 * fixture apps (which answer `<worker pid> <text>`), and see how a connection ended.
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import WebSocket from 'ws';
import { isAlive, sleep, type Supervise } from './harness.js';
import { UwsgiClientConnection } from './uwsgi-client.js';

/** Opens a WebSocket to 127.0.0.1:`port` and resolves once it is open; `uwsgi` speaks the uwsgi protocol to a `socket`. */
export function openWs(port: number, pathname = '/ws', opts: { uwsgi?: boolean } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${pathname}`, {
      handshakeTimeout: 10000,
      ...(opts.uwsgi ? { createConnection: () => new UwsgiClientConnection(port) as unknown as net.Socket } : {}),
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends `text` and resolves with the app's answer: `<worker pid> <text>`. */
export function echo(ws: WebSocket, text: string): Promise<{ pid: number; text: string }> {
  return new Promise((resolve) => {
    ws.once('message', (d) => {
      const [pid, ...rest] = d.toString().split(' ');
      resolve({ pid: Number(pid), text: rest.join(' ') });
    });
    ws.send(text);
  });
}

/** How the client saw its connection end: the close code, and an error if there was one (a reset). */
export function ended(ws: WebSocket): Promise<{ code: number; error?: string }> {
  return new Promise((resolve) => {
    let error: string | undefined;
    ws.on('error', (e) => (error = (e as NodeJS.ErrnoException).code ?? e.message));
    ws.once('close', (code) => resolve(error ? { code, error } : { code }));
  });
}

/**
 * The reload promise for WebSockets, through whatever `open` connects by: `n` sockets echo
 * from the current workers; on SIGHUP each gets a close frame 1001 (no reset) once
 * websocket-drain has passed; the old workers exit, and a new socket echoes from a new one.
 */
export async function assertReloadCloses(sup: Supervise, open: () => Promise<WebSocket>, n: number): Promise<void> {
  const oldPids = [...sup.workerPids().values()];
  const sockets = await Promise.all(Array.from({ length: n }, open));
  const answers = await Promise.all(sockets.map((ws, i) => echo(ws, `m${i}`)));
  for (const [i, a] of answers.entries()) {
    assert.equal(a.text, `m${i}`);
    assert.ok(oldPids.includes(a.pid), `served by a worker of this generation: ${a.pid}`);
  }
  const ends = sockets.map(ended);
  const from = sup.log.length;
  sup.signal('SIGHUP');
  await sup.waitFor(/reload complete/, 15000, from);
  assert.deepEqual(await Promise.all(ends), sockets.map(() => ({ code: 1001 })));
  const deadline = Date.now() + 10000;
  while (oldPids.some(isAlive) && Date.now() < deadline) await sleep(50);
  assert.deepEqual(oldPids.filter(isAlive), [], 'the old workers exited');
  const fresh = await open();
  const a = await echo(fresh, 'after');
  assert.ok(!oldPids.includes(a.pid) && [...sup.workerPids().values()].includes(a.pid), `served by a new worker: ${a.pid}`);
  fresh.close();
}
