import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBootFailure, respawnDelay, spawnRateCap } from './backoff.js';

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

test('only a death before ready is a boot failure; a ready worker dying soon after is not', () => {
  assert.equal(isBootFailure(0), true);
  assert.equal(isBootFailure(1100), false);
});

test('the spawn-rate cap never holds back a reload of every slot', () => {
  assert.equal(spawnRateCap(1), 4);
  assert.equal(spawnRateCap(16), 32);
});
