import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextRate, successorDue } from './succession.js';

const base = { requests: 0, maxRequests: 1000, rate: 100, age: 30, minWorkerLifetime: 10 };

test('a successor is asked when max-requests is about a second away at the current rate', () => {
  assert.equal(successorDue({ ...base, requests: 850 }), false, '150 left at 100/s: 1.5 s away');
  assert.equal(successorDue({ ...base, requests: 900 }), true, '100 left at 100/s: 1 s away');
  assert.equal(successorDue({ ...base, requests: 1000 }), true);
  assert.equal(successorDue({ ...base, requests: 999, rate: 0 }), false, 'no traffic, no hurry');
  assert.equal(successorDue({ ...base, requests: 999, maxRequests: 0 }), false, 'max-requests off');
});

test('not long before min-worker-lifetime allows the recycle', () => {
  assert.equal(successorDue({ ...base, requests: 999, age: 8 }), false);
  assert.equal(successorDue({ ...base, requests: 999, age: 9 }), true);
  assert.equal(successorDue({ ...base, requests: 999, age: 0, minWorkerLifetime: 0 }), true);
});

test('the rate is smoothed over report ticks', () => {
  assert.equal(nextRate(0, 25, 250), 100);
  assert.equal(nextRate(100, 50, 250), 150);
  assert.equal(nextRate(100, 0, 250), 50);
  assert.equal(nextRate(100, 10, 0), 100);
});

test('a worker that started slowly asks earlier: twice its own start-up, when that is over the second', () => {
  assert.equal(successorDue({ ...base, requests: 850, startupMs: 400 }), false, '1.5 s away, 0.8 s lead');
  assert.equal(successorDue({ ...base, requests: 850, startupMs: 900 }), true, '1.5 s away, 1.8 s lead');
  assert.equal(successorDue({ ...base, requests: 700, startupMs: 900 }), false, '3 s away');
});
