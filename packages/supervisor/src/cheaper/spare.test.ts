import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCheaper } from './driver.js';
import { FULL, FakeCluster, NONE, settingsWith, worker } from './fixtures.js';
import type { SpareState } from './spare.js';

const spareSettings = settingsWith({ algo: 'spare', processes: 4, cheaper: 1, overload: 3, step: 1 });

test('spare grows one step after more than `overload` all-busy ticks, up to processes', () => {
  const c = new FakeCluster('spare', spareSettings, 1);
  c.run(16, FULL);
  assert.deepEqual(c.spawnTimes(), [3, 7, 11]);
  assert.deepEqual(c.activeIds(), [1, 2, 3, 4]);
  assert.match(c.logs().at(-1) ?? '', /no free slot left/);
});

test('spare shrinks oldest first, one every `overload` idle ticks, down to cheaper', () => {
  const c = new FakeCluster('spare', spareSettings, 1);
  c.run(16, FULL);
  c.run(20, NONE);
  assert.deepEqual(c.retired(), [1, 2, 3]);
  assert.deepEqual(c.retireTimes(), [18, 21, 24]);
  assert.deepEqual(c.activeIds(), [4]);
});

test('spare is stable with exactly one idle worker', () => {
  const c = new FakeCluster('spare', spareSettings, 3);
  c.run(30, { busy: (w) => w.id !== 3 });
  assert.deepEqual(c.history.filter((h) => h.decision.spawn || h.decision.retire.length), []);
});

test('spare never retires a busy worker, even the oldest (uWSGI issue 1702)', () => {
  const c = new FakeCluster('spare', spareSettings, 3);
  c.workers.forEach((w, i) => (w.spawnedAt = i * 1000));
  c.run(30, { busy: (w) => w.id === 1 });
  assert.deepEqual(c.retired(), [2]);
  assert.deepEqual(c.activeIds(), [1, 3]);
});

test('spare spawns min(cheaper-step, free slots); a step of 0 spawns one', () => {
  const table: [step: number, active: number, spawned: number][] = [
    [0, 1, 1],
    [1, 1, 1],
    [2, 1, 2],
    [5, 1, 3],
    [5, 3, 1],
  ];
  for (const [step, active, spawned] of table) {
    const c = new FakeCluster('spare', settingsWith({ overload: 1, step }), active);
    c.run(2, FULL);
    assert.deepEqual(c.history.map((h) => h.decision.spawn), [0, spawned], `step=${step} active=${active}`);
  }
});

test('spare: the overload counter leaks, it does not reset on one idle tick (uWSGI 2.0)', () => {
  const c = new FakeCluster('spare', spareSettings, 1);
  const busyAt = [true, true, true, false, true, true];
  for (const busy of busyAt) {
    c.tick(busy ? FULL : NONE);
    c.now += 1000;
  }
  // counts 1, 2, 3, 2, 3, 4 -> spawn on the sixth tick
  assert.deepEqual(c.spawnTimes(), [5]);
});

test('spare does not spawn when can_spawn is false, and keeps counting', () => {
  const cheaper = createCheaper('spare');
  let state = cheaper.initialState();
  for (let s = 0; s < 10; s++) {
    const input = { now: s * 1000, workers: [worker(1, { busy: true }), worker(2, { active: false, running: false })], listenQueue: 0, totalRequests: 0, canSpawn: false };
    const r = cheaper.step(state, input, spareSettings);
    assert.equal(r.decision.spawn, 0);
    state = r.state;
  }
  assert.equal((state.algo as SpareState).overloadCount, 10);
});

test('ticks faster than once a second do not advance the counters', () => {
  const c = new FakeCluster('spare', spareSettings, 1);
  for (let i = 0; i < 16; i++) {
    const before = c.state;
    c.tick(FULL);
    if (c.now % 1000 !== 0) assert.equal(c.state, before, `t=${c.now}`);
    c.now += 250;
  }
  // ticks at 0, 1000, 2000, 3000: the fourth all-busy second spawns, not the fourth call
  assert.deepEqual(c.spawnTimes(), [3]);
});

test('a same-second call is a no-op even off the second boundary', () => {
  const cheaper = createCheaper('spare');
  const input = (now: number) => ({ now, workers: [worker(1, { busy: true }), worker(2, { active: false, running: false })], listenQueue: 0, totalRequests: 0 });
  const a = cheaper.step(cheaper.initialState(), input(1500), spareSettings);
  const b = cheaper.step(a.state, input(1999), spareSettings);
  const c = cheaper.step(b.state, input(2001), spareSettings);
  assert.equal(b.state, a.state);
  assert.equal((c.state.algo as SpareState).overloadCount, 2);
});
