import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isFastDeath, respawnDelay } from './backoff.js';

test('respawn delay grows from the second fast death and is capped', () => {
  const table: [number, number][] = [
    [0, 0],
    [1, 0],
    [2, 2],
    [3, 4],
    [4, 8],
    [5, 16],
    [6, 30],
    [50, 30],
  ];
  for (const [failures, delay] of table) assert.equal(respawnDelay(failures, 2, 30), delay, `failures=${failures}`);
});

test('forkbomb-delay 0 disables the throttle', () => {
  assert.equal(respawnDelay(9, 0, 30), 0);
});

test('a death before ready or within 2 s is fast', () => {
  assert.equal(isFastDeath(1000, 0, 60000), true);
  assert.equal(isFastDeath(1000, 1100, 2500), true);
  assert.equal(isFastDeath(1000, 1100, 3500), false);
});
