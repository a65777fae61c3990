import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRetirees, tickView } from './workers.js';
import { worker } from './fixtures.js';

test('chooseRetirees picks active, running, idle workers, oldest spawn first, ties to the lowest id', () => {
  const workers = [
    worker(1, { spawnedAt: 3000 }),
    worker(2, { spawnedAt: 1000, busy: true }),
    worker(3, { spawnedAt: 2000 }),
    worker(4, { spawnedAt: 500, running: false }),
    worker(5, { spawnedAt: 100, active: false }),
    worker(6, { spawnedAt: 2000 }),
  ];
  const table: [n: number, ids: number[]][] = [
    [0, []],
    [1, [3]],
    [2, [3, 6]],
    [3, [3, 6, 1]],
    [9, [3, 6, 1]],
  ];
  for (const [n, ids] of table) assert.deepEqual(chooseRetirees(workers, n), ids, `n=${n}`);
});

test('tickView counts present, busy and free slots as uWSGI does', () => {
  const v = tickView({
    now: 0,
    workers: [
      worker(1, { busy: true }),
      worker(2, { running: false }), // booting: present, not busy
      worker(3, { active: false, running: true }), // retired, still draining: not free
      worker(4, { active: false, running: false }),
    ],
    listenQueue: 0,
    totalRequests: 0,
  });
  assert.deepEqual([v.active, v.busy, v.free, v.canSpawn], [2, 1, 1, true]);
});
