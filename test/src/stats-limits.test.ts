import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { WebSocket } from 'ws';
import { decodeStats } from '@tsgi/stats-protocol';
import { killAll, sleep, startApp } from './harness.js';
import { fdCount as fds, readToEof as dump, rssOf as rss } from './stats-clients.js';

after(killAll);

const MB = 1024 * 1024;

/** Connections that are opened and then neither read nor closed; returns them to destroy. */
async function idleClients(target: { host: string; port: number }, n: number, send = ''): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve) => {
          const s = net.connect(target, () => {
            if (send) s.write(send);
            resolve();
          });
          s.pause();
          s.on('error', () => resolve());
          s.setTimeout(5000, () => resolve());
          sockets.push(s);
        }),
    ),
  );
  return sockets;
}

const WS_HANDSHAKE = (host: string): string =>
  `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** Resumes a paused socket and resolves with the bytes it gets until EOF, or rejects after `ms`. */
function drainToEof(s: net.Socket, ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const timer = setTimeout(() => reject(new Error(`still open after ${ms} ms (${bytes} bytes read)`)), ms);
    s.on('data', (d: Buffer) => (bytes += d.length));
    s.on('end', () => {
      clearTimeout(timer);
      resolve(bytes);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(bytes);
    });
    s.resume();
  });
}

describe('stats servers survive abusive clients', () => {
  test('200 dump clients that never read nor close hold no descriptors of the master; a new client still gets the document', async () => {
    const { sup, stats } = await startApp({ processes: 1, stats: true });
    const [host, p] = stats.split(':');
    const target = { host: host!, port: Number(p) };
    const before = fds(sup.pid);
    const clients = await idleClients(target, 200);
    try {
      await sleep(1000);
      const during = fds(sup.pid);
      assert.ok(during - before < 70, `master fds went from ${before} to ${during}`);
      assert.ok(decodeStats(await dump(target)).ok, 'a fresh client gets the document');
    } finally {
      for (const s of clients) s.destroy();
      await sup.kill();
    }
  });

  test('a WebSocket client sending a 10 MB frame is dropped before the master buffers it', async () => {
    const { sup, stats } = await startApp({ processes: 1, stats: true, ini: 'stats-http = true\n' });
    try {
      const before = rss(sup.pid);
      const closed = await new Promise<boolean>((resolve, reject) => {
        const ws = new WebSocket(`ws://${stats}/ws`);
        const timer = setTimeout(() => {
          ws.terminate();
          resolve(false);
        }, 5000);
        ws.on('open', () => ws.send(Buffer.alloc(10 * MB, 7)));
        ws.on('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
        ws.on('error', () => undefined);
        ws.on('unexpected-response', () => reject(new Error('refused')));
      });
      assert.ok(closed, 'the master keeps a client that sent a 10 MB frame');
      const after = rss(sup.pid);
      assert.ok(after - before < 8 * MB, `master rss went from ${before} to ${after}`);
    } finally {
      await sup.kill();
    }
  });

  test('WebSocket clients that never read are terminated, and the master does not keep their pushes', async () => {
    // large documents pushed often: 2 × 256 cores every 0.1 s, to 5 clients
    const { sup, stats } = await startApp({ processes: 2, stats: true, ini: 'threads = 256\nstats-http = true\nstats-push = 0.1\n' });
    const [host, p] = stats.split(':');
    const clients = await idleClients({ host: host!, port: Number(p) }, 5, WS_HANDSHAKE(stats));
    try {
      const before = rss(sup.pid);
      let peak = before;
      for (let i = 0; i < 20; i++) {
        await sleep(500);
        peak = Math.max(peak, rss(sup.pid));
      }
      assert.ok(peak - before < 40 * MB, `master rss went from ${before} to ${peak}`);
      for (const s of clients) await drainToEof(s, 5000);
    } finally {
      for (const s of clients) s.destroy();
      await sup.kill();
    }
  });

  test('WebSocket clients beyond the cap are refused', async () => {
    const { sup, stats } = await startApp({ processes: 1, stats: true, ini: 'stats-http = true\n' });
    const sockets: WebSocket[] = [];
    try {
      const outcomes = await Promise.all(
        Array.from(
          { length: 40 },
          () =>
            new Promise<'open' | number>((resolve) => {
              const ws = new WebSocket(`ws://${stats}/ws`);
              sockets.push(ws);
              const timer = setTimeout(() => resolve(-1), 5000);
              ws.on('open', () => (clearTimeout(timer), resolve('open')));
              ws.on('unexpected-response', (_req, res) => (clearTimeout(timer), resolve(res.statusCode ?? 0)));
              ws.on('error', () => (clearTimeout(timer), resolve(-2)));
            }),
        ),
      );
      assert.equal(outcomes.filter((o) => o === 'open').length, 32);
      assert.equal(outcomes.filter((o) => o === 503).length, 8);
    } finally {
      for (const ws of sockets) ws.terminate();
      await sup.kill();
    }
  });
});
