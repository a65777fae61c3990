import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { WebSocket } from 'ws';
import { decodeStats, readStats, type StatsDocument } from '@tsgi/stats-protocol';
import { compareShape } from '../../packages/stats-protocol/dist/testing/compare.js';
import { FIXTURES, ROOT, Supervise, freePort, request, sleep, tmp, writeIni , killAll, startApp } from './harness.js';
import { readToEof as ncRead } from './stats-clients.js';

after(killAll);

const start = (processes: number, extra = '') => startApp({ processes, stats: true, ini: `memory-report = true\n${extra}` });

/** Sends `count` GETs one after another on one raw keep-alive connection; returns the bytes received. */
function rawKeepAlive(port: number, pathname: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let bytes = 0;
    let done = 0;
    let buf = '';
    const send = (): void => void s.write(`GET ${pathname} HTTP/1.1\r\nHost: x\r\n\r\n`);
    s.on('connect', send);
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      buf += d.toString('latin1');
      // responses are small and have Content-Length; count complete ones
      for (;;) {
        const head = buf.indexOf('\r\n\r\n');
        if (head === -1) break;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
        if (buf.length < head + 4 + len) break;
        buf = buf.slice(head + 4 + len);
        if (++done === count) {
          s.end();
          return;
        }
        send();
      }
    });
    s.on('close', () => resolve(bytes));
    s.on('error', reject);
    s.setTimeout(10000, () => s.destroy(new Error('timed out')));
  });
}

const sum = (doc: StatsDocument, key: 'requests' | 'exceptions' | 'tx'): number => doc.workers.reduce((n, w) => n + w[key], 0);

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await sleep(50);
  }
}

describe('stats accounting', () => {
  test('requests, exceptions and tx are exact within 1 s, keep-alive and not', async () => {
    const { port, stats, sup } = await start(2);
    let bytes = await rawKeepAlive(port, '/', 25);
    for (let i = 0; i < 10; i++) bytes += await rawKeepAlive(port, `/fresh-${i}`, 1);
    bytes += await rawKeepAlive(port, '/throw', 1);
    bytes += await rawKeepAlive(port, '/reject', 1);
    const t0 = Date.now();
    await until(async () => sum(await readStats(stats), 'requests') === 37, 1000);
    assert.ok(Date.now() - t0 <= 1000);
    const doc = await readStats(stats);
    assert.equal(sum(doc, 'requests'), 37);
    assert.equal(sum(doc, 'exceptions'), 2);
    assert.equal(sum(doc, 'tx'), bytes, 'tx equals the bytes the client received');
    for (const w of doc.workers) {
      assert.ok(w.pid > 0 && w.status === 'idle');
      assert.ok(w.rss > 0 && w.vsz > w.rss, 'memory-report fills rss and vsz');
      assert.equal(w.apps[0]!.requests, w.requests);
    }
    await sup.kill();
  });

  test('every key of uWSGI 2.0.21 stats is present, in the same order and with the same JSON type', async () => {
    const { stats, sup, port } = await start(2);
    await request(port, '/');
    const sample = JSON.parse(readFileSync(path.join(ROOT, 'packages/stats-protocol/test-fixtures/uwsgi-stats-sample.json'), 'utf8'));
    const doc = JSON.parse(await ncRead({ host: '127.0.0.1', port: Number(stats.split(':')[1]) }));
    assert.deepEqual(compareShape(sample, doc), []);
    await sup.kill();
  });

  test('a worker killed and respawned keeps its slot counters; delta_requests restarts', async () => {
    const { stats, sup, port } = await start(1);
    for (let i = 0; i < 7; i++) await request(port, '/');
    await until(async () => (await readStats(stats)).workers[0]!.requests === 7, 2000);
    const pid = sup.workerPids().get(1)!;
    process.kill(pid, 'SIGKILL');
    await sup.waitFor(/Respawned tsgi worker 1/);
    await sup.waitReady(2);
    for (let i = 0; i < 3; i++) await request(port, '/');
    await until(async () => (await readStats(stats)).workers[0]!.requests === 10, 2000);
    const w = (await readStats(stats)).workers[0]!;
    assert.equal(w.delta_requests, 3);
    assert.equal(w.respawn_count, 2);
    assert.notEqual(w.pid, pid);
    await sup.kill();
  });

  test('busy while a request runs, with vars and request_start; in_flight counts it', async () => {
    const { stats, sup, port } = await start(1);
    const slow = request(port, '/sleep?ms=1500');
    await until(async () => (await readStats(stats)).workers[0]!.status === 'busy', 2000);
    const w = (await readStats(stats)).workers[0]!;
    assert.equal(w.cores[0]!.in_request, 1);
    assert.ok(w.cores[0]!.vars.includes('PATH_INFO=/sleep'));
    assert.equal(w.cores[0]!.vars.at(-1), '');
    assert.ok(typeof w.cores[0]!.req_info.request_start === 'number');
    assert.equal(w.in_flight, 1);
    await slow;
    await sup.kill();
  });

  test('listen_queue rises above 0 when the workers are blocked and connections wait', async () => {
    const { stats, sup, port } = await start(1);
    const spin = request(port, '/spin?ms=3000').catch(() => undefined);
    await sleep(200);
    const waiting = Array.from({ length: 5 }, () => net.connect(port, '127.0.0.1'));
    await until(async () => (await readStats(stats)).listen_queue > 0, 2500);
    const doc = await readStats(stats);
    assert.equal(doc.load, doc.listen_queue);
    assert.ok(doc.sockets[0]!.queue > 0);
    assert.equal(doc.sockets[0]!.max_queue, 100);
    for (const s of waiting) s.destroy();
    await spin;
    await sup.kill();
  });
});

describe('stats servers', () => {
  test('a unix stats socket dumps valid JSON; minified has no whitespace; SIGUSR1 logs a summary', async () => {
    const dir = tmp();
    const sock = path.join(dir, 'stats.sock');
    const port = await freePort();
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'commonjs.cjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 2\nstats = ${sock}\nstats-minified = true\n`);
    const sup = new Supervise(['--ini', ini]);
      await sup.waitReady(2);
    const text = await ncRead({ path: sock });
    assert.doesNotMatch(text, /[\n\t]/);
    const r = decodeStats(text);
    assert.ok(r.ok);
    assert.equal(r.doc.workers.length, 2);
    sup.signal('SIGUSR1');
    await sup.waitFor(/workers total requests: 0/);
    await sup.kill();
  });

  test('stats-http: GET / with uWSGI headers, /metrics in Prometheus text, /ws pushes snapshots', async () => {
    const { stats, sup, port } = await start(2, 'stats-http = true\nstats-push = 0.2\n');
    await request(port, '/');
    const [host, p] = stats.split(':');
    const raw = await new Promise<string>((resolve, reject) => {
      const s = net.connect(Number(p), host!, () => s.write(`GET / HTTP/1.1\r\nHost: ${stats}\r\n\r\n`));
      let d = '';
      s.on('data', (c) => (d += c));
      s.on('end', () => resolve(d));
      s.on('error', reject);
    });
    assert.match(raw, /^HTTP\/1\.0 200 OK\r\nConnection: close\r\nContent-Type: application\/json\r\n\r\n\{/);
    assert.ok(decodeStats(raw.slice(raw.indexOf('\r\n\r\n') + 4)).ok);
    assert.ok((await readStats(`http://${stats}/`)).workers.length === 2);

    const metrics = await request(Number(p), '/metrics');
    assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const lines = metrics.body.trim().split('\n');
    for (const line of lines) {
      assert.match(line, /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[\d.e+-]+|NaN)$/, `bad line: ${line}`);
    }
    assert.match(metrics.body, /^tsgi_worker_requests_total\{worker="1"\} \d+$/m);
    assert.match(metrics.body, /# TYPE tsgi_worker_requests_total counter/);

    const pushes = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://${stats}/ws`);
      let n = 0;
      ws.on('message', (m) => {
        assert.ok(decodeStats(String(m)).ok);
        if (++n === 3) {
          ws.close();
          resolve(n);
        }
      });
      ws.on('error', reject);
      setTimeout(() => reject(new Error('not enough pushes')), 5000);
    });
    assert.equal(pushes, 3);
    await sup.kill();
  });

  test('stats bound beyond loopback log a warning', async () => {
    const dir = tmp();
    const port = await freePort();
    const sp = await freePort();
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'commonjs.cjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 1\nstats = :${sp}\n`);
    const sup = new Supervise(['--ini', ini]);
      await sup.waitFor(/WARNING: the stats server on :\d+ is reachable beyond this machine/);
    await sup.kill();
  });
});

void http;
