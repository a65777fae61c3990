/**
 * Faults and hostile input against a real `supervise`: resets and garbage on a uwsgi
 * socket, a slowloris head, app errors outside the returned promise, clients that leave a
 * streaming fetch response. None of them may take a worker, or a neighbouring request, down.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { countMatches, exchange, freePort, killAll, request, sleep, startApp } from './harness.js';
import { encodeUwsgiPacket } from '../../packages/supervisor/dist/worker/uwsgi.js';

after(killAll);

/** Connects, writes `bytes`, resets the connection (RST) after `ms`. */
async function reset(port: number, bytes: Buffer, ms = 20): Promise<void> {
  const c = net.connect(port, '127.0.0.1');
  c.on('error', () => undefined);
  await new Promise((r) => c.once('connect', r));
  if (bytes.length > 0) c.write(bytes);
  await sleep(ms);
  c.resetAndDestroy();
}

describe('faults', () => {
  test('resets and truncated packets on a uwsgi socket: the worker lives, the http socket serves', async () => {
    const up = await freePort();
    const { sup, port } = await startApp({ processes: 1, ini: `socket = 127.0.0.1:${up}\n` });
    const pid = sup.workerPids().get(1);
    const packet = encodeUwsgiPacket({ REQUEST_METHOD: 'GET', REQUEST_URI: '/', HTTP_HOST: 'x' });
    for (const bytes of [Buffer.alloc(0), Buffer.from([0]), packet.subarray(0, 3), packet.subarray(0, packet.length - 2)]) await reset(up, bytes);
    const garbage = await exchange(up, Buffer.from([9, 9, 9, 9, 9]), 3000);
    assert.ok(garbage.closedAfter !== undefined, 'garbage is closed');
    await sleep(200);
    assert.equal((await request(port, '/')).status, 200);
    const viaUwsgi = await exchange(up, packet, 3000);
    assert.match(viaUwsgi.data, /^HTTP\/1\.1 200 /);
    assert.equal(countMatches(sup.log, /DAMN/g), 0, sup.log);
    assert.equal(sup.workerPids().get(1), pid);
    assert.doesNotMatch(sup.log, /\n\s+at /, 'no stack trace');
    await sup.kill();
  });

  test('a request head that never ends gets 408 after socket-timeout (4 s by default); the worker lives', async () => {
    const { sup, port } = await startApp({ processes: 1 });
    const pid = sup.workerPids().get(1);
    const slow = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 9000);
    assert.ok(slow.closedAfter !== undefined && slow.closedAfter >= 3500 && slow.closedAfter < 7000, `closed after ${slow.closedAfter} ms`);
    assert.match(slow.data, /^HTTP\/1\.1 408 /);
    assert.equal((await request(port, '/')).status, 200);
    assert.equal(sup.workerPids().get(1), pid);
    await sup.kill();
  });

  test('app errors outside the returned promise fail their own request; a neighbour in flight is served', async () => {
    const { sup, port } = await startApp({ app: 'app-errors.mjs', processes: 1, ini: 'min-worker-lifetime = 1\n' });
    const neighbour = request(port, '/sleep?ms=1500');
    await sleep(100);
    assert.equal((await request(port, '/timer-throw')).status, 500);
    assert.equal((await request(port, '/floating')).status, 500);
    const answered = await request(port, '/reject-after-answer');
    assert.equal(answered.status, 200);
    assert.equal(answered.body, 'answered\n');
    const n = await neighbour;
    assert.equal(n.status, 200);
    assert.equal(n.body, 'slept 1500\n');
    await sup.waitFor(/worker 1 \(pid: \d+\): uncaught exception in GET \/timer-throw: Error: boom in a timer/);
    await sup.waitFor(/unhandled rejection in GET \/floating: Error: boom in a floating promise/);
    await sup.waitFor(/unhandled rejection in GET \/reject-after-answer: Error: rejected after the answer/);
    assert.equal(countMatches(sup.log, /DAMN/g), 0, sup.log);
    // on-app-error = retire: a successor is started, then the worker drains
    const deadline = Date.now() + 10000;
    while (sup.allWorkerPids().length < 2 && Date.now() < deadline) await sleep(100);
    assert.equal(sup.allWorkerPids().length, 2, `one successor; log:\n${sup.log}`);
    await sup.waitReady(2);
    assert.equal((await request(port, '/')).status, 200);
    await sup.kill();
  });

  test('on-app-error = keep: the worker logs, counts and stays', async () => {
    const { sup, port } = await startApp({ app: 'app-errors.mjs', processes: 1, ini: 'on-app-error = keep\nmin-worker-lifetime = 0\n' });
    const pid = sup.workerPids().get(1);
    assert.equal((await request(port, '/timer-throw')).status, 500);
    await sup.waitFor(/uncaught exception in GET \/timer-throw/);
    await sleep(1000);
    const r = await request(port, '/');
    assert.match(r.body, new RegExp(` ${pid}\\n$`));
    assert.equal(countMatches(sup.log, /DAMN/g), 0, sup.log);
    await sup.kill();
  });


  test('harakiri with a free loop: the old request gets 504 from its worker, which lives, and its neighbour is served', async () => {
    const { sup, port } = await startApp({ app: 'app-errors.mjs', processes: 1, ini: 'harakiri = 2\n' });
    const pid = sup.workerPids().get(1);
    const hung = request(port, '/sleep?ms=60000', { ms: 8000 });
    await sleep(1000);
    const neighbour = await request(port, '/sleep?ms=500');
    assert.equal(neighbour.status, 200);
    assert.equal((await hung).status, 504);
    assert.equal((await request(port, '/')).status, 200);
    assert.equal(sup.workerPids().get(1), pid);
    assert.match(sup.log, /HARAKIRI ON REQUEST GET \/sleep\?ms=60000/);
    assert.equal(countMatches(sup.log, /DAMN/g), 0, sup.log);
    await sup.kill();
  });

  test('socket-timeout = 1: a head that never ends gets 408 after about a second', async () => {
    const { sup, port } = await startApp({ processes: 1, ini: 'socket-timeout = 1\n' });
    const slow = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 6000);
    assert.ok(slow.closedAfter !== undefined && slow.closedAfter < 2500, `closed after ${slow.closedAfter} ms`);
    assert.match(slow.data, /^HTTP\/1\.1 408 /);
    await sup.kill();
  });

  test('fetch apps: a client that leaves cancels the response stream and aborts Request.signal', async () => {
    const { sup, port } = await startApp({ app: 'endless-stream.mjs', processes: 1 });
    for (const pathname of ['/download', '/download', '/sse']) {
      await new Promise<void>((resolve) => {
        const c = net.connect(port, '127.0.0.1', () => c.write(`GET ${pathname} HTTP/1.1\r\nHost: x\r\n\r\n`));
        c.on('error', () => undefined);
        c.once('data', () => {
          c.destroy();
          resolve();
        });
      });
    }
    const deadline = Date.now() + 3000;
    let counts = { open: -1, cancelled: 0, aborted: 0 };
    while (Date.now() < deadline) {
      counts = JSON.parse((await request(port, '/counts')).body) as typeof counts;
      if (counts.open === 0 && counts.aborted === 3) break;
      await sleep(100);
    }
    assert.deepEqual(counts, { open: 0, cancelled: 3, aborted: 3 });
    await sup.kill();
  });
});
