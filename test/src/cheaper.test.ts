import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readStats, type StatsDocument } from '@tsgi/stats-protocol';
import { FIXTURES, Supervise, freePort, isAlive, load, request, sleep, tmp, writeIni , killAll, startApp } from './harness.js';

after(killAll);

const start = (extra: string, ready: number) => startApp({ stats: true, ini: extra, ready });

const running = (doc: StatsDocument): number => doc.workers.filter((w) => w.pid > 0).length;

/** Polls stats until `check` holds; returns every running-worker count seen on the way. */
async function watch(stats: string, check: (doc: StatsDocument) => boolean, ms: number): Promise<number[]> {
  const seen: number[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const doc = await readStats(stats);
    if (seen.at(-1) !== running(doc)) seen.push(running(doc));
    if (check(doc)) return seen;
    if (Date.now() > deadline) throw new Error(`not reached within ${ms} ms; counts seen: ${seen.join(' → ')}`);
    await sleep(100);
  }
}

describe('cheaper mode', () => {
  test('spare: a load keeping every worker busy grows the count step by step to processes; then it falls back to cheaper, oldest first', async () => {
    const { sup, port, stats } = await start('processes = 4\ncheaper = 1\ncheaper-algo = spare\ncheaper-overload = 1\n', 1);
    assert.equal(running(await readStats(stats)), 1);
    // new connections spread over the workers; keep-alive ones stay with the worker that accepted them
    const gen = load(port, { connections: 24, keepAlive: false, path: '/sleep?ms=100' });
    const up = await watch(stats, (d) => running(d) === 4, 20000);
    assert.deepEqual(up, [1, 2, 3, 4], 'one worker at a time');
    const r = await gen.stop();
    assert.equal(r.failed, 0);
    const spawnOrder = [...sup.log.matchAll(/cheaper: spawning worker (\d)/g)].map((m) => Number(m[1]));
    const down = await watch(stats, (d) => running(d) === 1, 20000);
    assert.deepEqual(down, [4, 3, 2, 1]);
    const retired = [...sup.log.matchAll(/cheaper: retiring worker (\d)/g)].map((m) => Number(m[1]));
    // the oldest goes first: slot 1 (spawned at boot), then the slots in the order they were spawned
    assert.deepEqual(retired, [1, ...spawnOrder].slice(0, 3));
    const doc = await readStats(stats);
    assert.equal(doc.workers.filter((w) => w.status === 'cheap').length, 3);
    assert.equal(doc.workers.find((w) => w.pid > 0)!.id, spawnOrder.at(-1));
    await sup.kill();
  });

  test('busyness: a CPU-heavy load scales up; a light load does not', async () => {
    const { sup, port, stats } = await start(
      'processes = 3\ncheaper = 1\ncheaper-algo = busyness\ncheaper-overload = 1\ncheaper-busyness-max = 50\ncheaper-busyness-min = 20\n',
      1,
    );
    // light: one request every 200 ms
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      assert.equal((await request(port, '/')).status, 200);
      await sleep(200);
    }
    assert.equal(running(await readStats(stats)), 1, 'a light load keeps one worker');
    const gen = load(port, { connections: 4, keepAlive: true, path: '/spin?ms=20' });
    await watch(stats, (d) => running(d) >= 2, 15000);
    const r = await gen.stop();
    assert.equal(r.failed, 0);
    assert.match(sup.log, /\[busyness\]/);
    await sup.kill();
  });
});

describe('idle and cheap', () => {
  test('idle: after idle seconds every slot is cheap and no worker process exists; the next request gets 200', async () => {
    const { sup, port, stats } = await start('processes = 2\nidle = 2\n', 2);
    const workers = [...sup.workerPids().values()];
    assert.equal((await request(port, '/')).status, 200);
    await watch(stats, (d) => d.workers.every((w) => w.status === 'cheap' && w.pid === 0), 8000);
    await sleep(300);
    for (const pid of workers) assert.equal(isAlive(pid), false);
    assert.equal((await readStats(stats)).tsgi?.phase, 'cheap');
    const t0 = Date.now();
    const r = await request(port, '/after-idle', { ms: 5000 });
    assert.equal(r.status, 200);
    assert.match(r.body, /^esm node \d /);
    assert.ok(Date.now() - t0 < 3000);
    await sup.waitFor(/cheap mode ended by a connection/);
    // all of a burst arriving while cheap is served too
    const burst = await Promise.all(Array.from({ length: 10 }, () => request(port, '/')));
    assert.ok(burst.every((b) => b.status === 200));
    await sup.kill();
  });

  test('cheap = true starts with no worker and wakes on the first connection', async () => {
    const { sup, port, stats } = await start('processes = 2\ncheap = true\n', 0);
    await sleep(500);
    assert.equal(running(await readStats(stats)), 0);
    assert.equal((await request(port, '/', { ms: 5000 })).status, 200);
    await sup.kill();
  });

  test('die-on-idle exits instead of going cheap', async () => {
    const { sup } = await start('processes = 1\nidle = 1\ndie-on-idle = true\n', 1);
    assert.equal(await sup.waitExit(8000), 0);
    assert.match(sup.log, /die-on-idle/);
  });
});

describe('keep-alive connections follow new workers', () => {
  test('busyness spawns a second worker under a keep-alive load; hot keep-alive connections are moved to it, none fails', async () => {
    const { sup, port, stats } = await start('processes = 2\ncheaper = 1\ncheaper-algo = busyness\ncheaper-overload = 1\n', 1);
    // every connection is opened while worker 1 is alone: without rebalancing they all stay there
    const gen = load(port, { connections: 8, keepAlive: true, path: '/spin?ms=2' });
    await watch(stats, (d) => d.workers.filter((w) => w.ready === 1).length === 2, 20000);
    const doc = await watch(stats, (d) => d.workers[1]!.requests > 200, 15000).then(() => readStats(stats));
    const r = await gen.stop();
    assert.equal(r.failed, 0, JSON.stringify([...r.errors, ...r.statuses]));
    assert.ok(doc.workers[1]!.requests > 200, `worker 2 served ${doc.workers[1]!.requests}`);
    assert.match(sup.log, /rebalancing: worker 1 .*closes \d+ keep-alive connection/);
    await sup.kill();
  });
});

describe('a load ramp with cheaper and recycling on', () => {
  test('1 → 64 → 1 connections: 0 failed requests', async () => {
    const { sup, port, stats } = await start(
      'processes = 4\ncheaper = 1\ncheaper-algo = spare\ncheaper-overload = 1\nmax-requests = 300\nmax-requests-delta = 50\nmin-worker-lifetime = 0\n',
      1,
    );
    const phases: [number, number][] = [
      [1, 1500],
      [8, 1500],
      [64, 4000],
      [8, 1500],
      [1, 3000],
    ];
    let failed = 0;
    let ok = 0;
    for (const [connections, ms] of phases) {
      const gen = load(port, { connections, keepAlive: true, path: '/sleep?ms=20' });
      await sleep(ms);
      const r = await gen.stop();
      failed += r.failed;
      ok += r.ok;
      assert.equal(r.failed, 0, `${connections} connections: ${JSON.stringify([...r.errors, ...r.statuses])}`);
    }
    assert.equal(failed, 0);
    assert.ok(ok > 1000, `ok ${ok}`);
    const doc = await readStats(stats);
    assert.ok(doc.workers.some((w) => w.respawn_count > 1), 'max-requests recycled some worker');
    assert.match(sup.log, /cheaper: spawning worker/);
    await sup.kill();
  });
});
