import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCheaper } from './driver.js';
import { FakeCluster, settingsWith, worker } from './fixtures.js';
import type { CheaperWorker } from './types.js';

const backlogSettings = settingsWith({ algo: 'backlog', processes: 4, cheaper: 1, overload: 3, step: 1 });

test('backlog spawns above the queue threshold, retires below it, waits at it', () => {
  const table: [queue: number, active: number, step: number, spawn: number, retire: number[]][] = [
    [4, 1, 1, 1, []],
    [40, 1, 2, 2, []],
    [40, 3, 2, 1, []],
    [40, 4, 1, 0, []],
    [3, 2, 1, 0, []],
    [2, 2, 1, 0, [1]],
    [0, 3, 1, 0, [1]],
    [0, 1, 1, 0, []],
  ];
  for (const [queue, active, step, spawn, retire] of table) {
    const c = new FakeCluster('backlog', { ...backlogSettings, step }, active);
    const d = c.tick({ listenQueue: queue });
    assert.deepEqual([d.spawn, d.retire], [spawn, retire], `queue=${queue} active=${active} step=${step}`);
  }
});

test('backlog retires one idle worker per tick, oldest first, never a busy one, down to cheaper', () => {
  const c = new FakeCluster('backlog', { ...backlogSettings, cheaper: 1 }, 4);
  c.workers.forEach((w, i) => (w.spawnedAt = (4 - i) * 1000));
  c.run(6, { busy: (w) => w.id === 4 });
  // slot 4 is the oldest but busy; 3, 2, 1 go, one a second
  assert.deepEqual(c.retired(), [3, 2, 1]);
  assert.deepEqual(c.retireTimes(), [0, 1, 2]);
  assert.deepEqual(c.activeIds(), [4]);
});

test('backlog keeps quiet when the only candidates are busy', () => {
  const c = new FakeCluster('backlog', backlogSettings, 2);
  c.run(5, { busy: () => true });
  assert.deepEqual(c.retired(), []);
  assert.deepEqual(c.logs(), []);
});

test('backlog does not count a slot whose retired process is still draining as free', () => {
  const workers: CheaperWorker[] = [worker(1), worker(2), worker(3, { active: false, running: true }), worker(4, { active: false, running: false })];
  const cheaper = createCheaper('backlog');
  const r = cheaper.step(cheaper.initialState(), { now: 0, workers, listenQueue: 10, totalRequests: 0 }, { ...backlogSettings, step: 3 });
  assert.equal(r.decision.spawn, 1);
});
