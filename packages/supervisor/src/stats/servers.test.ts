import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { decodeStats } from '@tsgi/stats-protocol';
import { memoryLogger } from '../log/logger.js';
import { collectStats } from './collect.js';
import { startStatsServer } from './servers.js';

const empty = collectStats(
  { pid: 1, uid: 0, gid: 0, cwd: '/', phase: 'running', startedAt: 0, reloads: 0, threads: 1, chdir: '', memoryReport: false, slots: [], workers: [], sockets: [], samples: new Map() },
  0,
);

/** What a client gets until EOF, after sending `send`. */
function read(port: number, send = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      if (send) s.write(send);
    });
    let d = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (d += c));
    s.on('end', () => resolve(d));
    s.on('error', reject);
    s.setTimeout(3000, () => s.destroy(new Error('timed out')));
  });
}

test('a burst of dump clients costs one snapshot per interval', async () => {
  let builds = 0;
  const server = await startStatsServer({
    address: '127.0.0.1:0',
    http: false,
    minified: true,
    pushSeconds: 1,
    chmod: undefined,
    logger: memoryLogger(),
    snapshot: () => (builds++, empty),
    limits: { cacheMs: 60_000 },
  });
  try {
    const docs = await Promise.all(Array.from({ length: 30 }, () => read(server.port)));
    for (const d of docs) assert.ok(decodeStats(d).ok);
    assert.equal(builds, 1);
  } finally {
    server.close();
  }
});

test('a dump client that sends and never reads still gets the document and the master lets go', async () => {
  const server = await startStatsServer({
    address: '127.0.0.1:0',
    http: false,
    minified: false,
    pushSeconds: 1,
    chmod: undefined,
    logger: memoryLogger(),
    snapshot: () => empty,
    limits: { clientTimeoutMs: 500 },
  });
  try {
    const text = await read(server.port, 'GET / HTTP/1.0\r\n\r\n');
    assert.ok(decodeStats(text).ok);
  } finally {
    server.close();
  }
});
