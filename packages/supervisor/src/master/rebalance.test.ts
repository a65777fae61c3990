import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHED_COOLDOWN_MS, planShedding, type RebalanceView } from './rebalance.js';

const w = (slot: number, elu: number, connections: number, lastShedAt = 0): RebalanceView => ({ slot, pid: 100 + slot, elu, connections, lastShedAt });

test('a hot worker beside a cold one sheds part of its keep-alive connections', () => {
  assert.deepEqual(planShedding([w(1, 0.98, 8), w(2, 0.01, 0)], 10_000), [{ slot: 1, pid: 101, count: 2 }]);
  // 2 cold of 4: half of their share (64 x 2/4) of worker 1's connections; worker 2 has none to give
  assert.deepEqual(planShedding([w(1, 0.9, 64), w(2, 0.95, 0), w(3, 0.1, 0), w(4, 0.0, 0)], 10_000), [{ slot: 1, pid: 101, count: 16 }]);
});

test('nothing moves when the load is even, or nobody has room, or there is one worker', () => {
  assert.deepEqual(planShedding([w(1, 0.98, 8), w(2, 0.95, 8)], 10_000), [], 'all hot');
  assert.deepEqual(planShedding([w(1, 0.2, 8), w(2, 0.1, 8)], 10_000), [], 'all cold');
  assert.deepEqual(planShedding([w(1, 0.5, 8), w(2, 0.1, 0)], 10_000), [], 'warm is not hot');
  assert.deepEqual(planShedding([w(1, 1, 8)], 10_000), [], 'alone');
  assert.deepEqual(planShedding([w(1, 1, 1), w(2, 0, 0)], 10_000), [], 'one connection: moving it helps nobody');
});

test('a worker that just shed is left alone for the cooldown', () => {
  assert.deepEqual(planShedding([w(1, 0.98, 8, 9_000), w(2, 0.01, 2)], 10_000), []);
  assert.equal(planShedding([w(1, 0.98, 8, 10_000 - SHED_COOLDOWN_MS), w(2, 0.01, 2)], 10_000).length, 1);
});
