import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readStats } from '@tsgi/stats-protocol';
import { killAll, load, sleep, startApp } from './harness.js';

after(killAll);

/** How long the load runs while the stats are read, and the spawn deadline within it. */
const WATCH_MS = 3000;
const SPAWN_WITHIN_MS = 3000;

describe('a saturated worker reads busy', () => {
  test('spare: 8 clients of 40 ms CPU-bound requests spawn a second worker within 3 s; stats read the first worker busy', async (t) => {
    const { sup, port, stats } = await startApp({
      stats: true,
      ini: 'processes = 4\ncheaper = 1\ncheaper-algo = spare\ncheaper-overload = 1\n',
      ready: 1,
    });
    // each request blocks the event loop for 40 ms, so between two of them nothing is in flight:
    // the moment a worker reports its counters is always one without a request
    const gen = load(port, { connections: 8, keepAlive: true, path: '/spin?ms=40', maxMs: 20000 });
    const t0 = Date.now();
    let spawnedAfter: number | undefined;
    const statuses: string[] = [];
    try {
      while (Date.now() - t0 < WATCH_MS) {
        const doc = await readStats(stats);
        const elapsed = Date.now() - t0;
        const first = doc.workers[0]!;
        // the first half second is the load getting going
        if (elapsed > 500) statuses.push(first.status);
        if (spawnedAfter === undefined && doc.workers.filter((w) => w.pid > 0).length >= 2) spawnedAfter = elapsed;
        // not in step with the workers' report interval, as a reader at a random time
        await sleep(70 + Math.floor(Math.random() * 60));
      }
    } finally {
      const r = await gen.stop();
      assert.equal(r.failed, 0, JSON.stringify([...r.errors, ...r.statuses]));
    }
    const busy = statuses.filter((s) => s === 'busy').length;
    t.diagnostic(`second worker after ${spawnedAfter ?? 'never'} ms; worker 1 busy in ${busy} of ${statuses.length} dumps`);
    assert.ok(
      spawnedAfter !== undefined && spawnedAfter <= SPAWN_WITHIN_MS,
      `second worker spawned after ${spawnedAfter ?? 'never'} ms (limit ${SPAWN_WITHIN_MS}); worker 1 read ${statuses.join(' ')}`,
    );
    assert.ok(busy > statuses.length / 2, `worker 1 read busy in ${busy} of ${statuses.length} dumps: ${statuses.join(' ')}`);
    assert.match(sup.log, /\[spare\] all 1 worker\(s\) busy/);
    await sup.kill();
  });
});
