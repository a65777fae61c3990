import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIdle, initialIdleState, type IdleState } from './idle.js';
import { worker } from './fixtures.js';
import type { CheaperInput } from './types.js';

interface Second {
  requests?: number;
  busy?: boolean;
  active?: boolean;
}

/** Runs checkIdle once a second from 0; `at(s)` says what the cluster looks like at second s. Returns the seconds it fired. */
function fired(idle: number, seconds: number, at: (s: number) => Second = () => ({})): number[] {
  let state: IdleState = initialIdleState();
  const out: number[] = [];
  for (let s = 0; s < seconds; s++) {
    const { requests = 0, busy = false, active = true } = at(s);
    const input: CheaperInput = {
      now: s * 1000,
      workers: [worker(1, { active, running: active, busy }), worker(2, { active: false, running: false })],
      listenQueue: 0,
      totalRequests: requests,
    };
    const r = checkIdle(state, input, { idle });
    state = r.state;
    if (r.decision.goCheap) out.push(s);
  }
  return out;
}

test('idle fires strictly after `idle` seconds without a request, not before', () => {
  assert.deepEqual(fired(4, 6), [5]);
  assert.deepEqual(fired(4, 5), []);
});

test('idle restarts its timer when the request counter changes', () => {
  assert.deepEqual(fired(4, 10, (s) => ({ requests: s >= 2 ? 1 : 0 })), [7]);
});

test('idle is skipped while a worker is busy; the finished request restarts the timer', () => {
  const at = (s: number): Second => ({ busy: s >= 3 && s < 11, requests: s >= 11 ? 1 : 0 });
  assert.deepEqual(fired(4, 20, at), [16]);
});

test('idle 0 never fires', () => {
  assert.deepEqual(fired(0, 100), []);
});

test('idle does nothing while cheap, and starts afresh after waking up', () => {
  // cheap (no active slot) from 0 to 9; woken at 10 with the first request counted at 10
  const at = (s: number): Second => ({ active: s >= 10, requests: s >= 10 ? 1 : 0 });
  assert.deepEqual(fired(4, 20, at), [15]);
});

test('idle logs uWSGI\'s line and clears its timer when it fires', () => {
  const input: CheaperInput = { now: 5000, workers: [worker(1)], listenQueue: 0, totalRequests: 0 };
  const r = checkIdle({ lastChange: 0, lastCount: 0 }, input, { idle: 4 });
  assert.equal(r.decision.goCheap, true);
  assert.deepEqual(r.decision.log, ['workers have been inactive for more than 4 seconds (5-0)']);
  assert.equal(r.state.lastChange, null);
});
