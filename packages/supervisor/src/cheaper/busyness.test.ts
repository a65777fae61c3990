import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCheaper, type CheaperState } from './driver.js';
import { FakeCluster, settingsWith } from './fixtures.js';
import type { BusynessState } from './busyness.js';

const busy = (over = {}) => settingsWith({ algo: 'busyness', processes: 4, cheaper: 1, overload: 3, multiplier: 10, penalty: 2, ...over });
const algo = (c: FakeCluster) => c.state.algo as BusynessState;

test('busyness logs its settings on the first tick', () => {
  const c = new FakeCluster('busyness', busy(), 1);
  c.tick();
  assert.deepEqual(c.logs(), [
    '[busyness] settings: min=25%, max=50%, overload=3, multiplier=10, respawn penalty=2',
    '[busyness] backlog alert is set to 33 request(s), step is 1',
    '[busyness] backlog non-zero alert is set to 60 second(s)',
  ]);
});

test('busyness spawns `step` at the end of a window whose average ELU is above max', () => {
  const c = new FakeCluster('busyness', busy(), 1);
  c.run(4, { elu: () => 0.9 });
  assert.deepEqual(c.spawnTimes(), [3]);
  assert.ok(c.logs().includes('[busyness] 3s average busyness is at 90%, will spawn 1 new worker(s)'));
});

test('busyness averages over the window and over present workers', () => {
  const table: [elu: (id: number, t: number) => number, active: number, spawned: boolean][] = [
    [() => 0.51, 1, true],
    [() => 0.5, 1, false],
    [() => 0.4, 2, false],
    [(id) => (id === 1 ? 1 : 0), 2, false], // 50% average: not above max
    [(id) => (id === 1 ? 1 : 0.2), 2, true], // 60%
    [(_, t) => (t === 3 ? 1 : 0), 1, false], // one busy second of three: 33%
  ];
  table.forEach(([elu, active, spawned], i) => {
    const c = new FakeCluster('busyness', busy(), active);
    c.run(4, { elu: (w) => elu(w.id, c.now / 1000) });
    assert.equal(c.spawnTimes().length > 0, spawned, `row ${i}`);
  });
});

test('busyness does not react to a light load between min and max', () => {
  const c = new FakeCluster('busyness', busy({ multiplier: 1 }), 3);
  c.run(60, { elu: () => 0.3 });
  assert.deepEqual([c.spawnTimes(), c.retired()], [[], []]);
});

test('busyness retires the oldest idle worker after `multiplier` low windows, down to cheaper', () => {
  const c = new FakeCluster('busyness', busy({ overload: 2, multiplier: 2 }), 3);
  c.workers.forEach((w, i) => (w.spawnedAt = (3 - i) * 1000));
  c.run(20, { elu: () => 0.05 });
  // timer starts at 0: overload 2 s x multiplier 2 -> first cheap at 4 s, then every 4 s
  assert.deepEqual(c.retireTimes(), [4, 8]);
  assert.deepEqual(c.retired(), [3, 2]);
  assert.ok(c.logs().includes('[busyness] 2s average busyness is at 5%, cheap one of 3 running workers'));
});

test('busyness: a non-idle window pushes the cheap back by one window', () => {
  const c = new FakeCluster('busyness', busy({ overload: 2, multiplier: 2 }), 3);
  c.run(3, { elu: () => 0.05 });
  c.run(2, { elu: () => 0.3 }); // the window closing at 4 s is between min and max
  c.run(10, { elu: () => 0.05 });
  assert.deepEqual(c.retireTimes(), [6, 10]);
});

test('busyness penalty: a worker needed again soon after a cheap raises the multiplier', () => {
  const s = busy({ processes: 2, cheaper: 1, overload: 1, multiplier: 2, penalty: 2 });
  const c = new FakeCluster('busyness', s, 2);
  c.workers[1]!.spawnedAt = -1000;
  c.run(3, { elu: () => 0 }); // cheap at 2 s
  assert.deepEqual(c.retireTimes(), [2]);
  c.run(1, { elu: () => 1 }); // spawn back at 3 s: within 2 windows of the cheap
  assert.deepEqual(c.spawnTimes(), [3]);
  assert.equal(algo(c).multiplier, 4);
  assert.ok(c.logs().includes('[busyness] worker(s) respawned too fast, increasing cheaper multiplier to 4 (+2)'));
  c.run(10, { elu: () => 0 });
  // the next cheap waits 1 s x 4 from the spawn, not 1 s x 2
  assert.deepEqual(c.retireTimes(), [2, 7]);
});

test('busyness without flapping: a late respawn does not raise the multiplier', () => {
  const c = new FakeCluster('busyness', busy({ processes: 2, cheaper: 1, overload: 1, multiplier: 2 }), 2);
  c.run(3, { elu: () => 0 });
  c.run(5, { elu: () => 0.3 }); // the single worker: nothing happens
  c.run(1, { elu: () => 1 }); // 6 s after the cheap: floor(6 / 1) > 2
  assert.deepEqual(c.spawnTimes(), [8]);
  assert.equal(algo(c).multiplier, 2);
});

test('busyness backlog alert spawns `backlog-step` at once, every tick, up to processes', () => {
  const c = new FakeCluster('busyness', busy({ backlogStep: 2 }), 1);
  c.run(4, { listenQueue: 40 });
  assert.deepEqual(c.history.map((h) => h.decision.spawn), [2, 1, 0, 0]);
  assert.ok(c.logs().includes('[busyness] 40 requests in listen queue, spawning 2 emergency worker(s) (2)!'));
  assert.equal(algo(c).emergencyWorkers, 3);
});

test('busyness emergency workers are cheaped after overload x backlog-multiplier seconds', () => {
  const c = new FakeCluster('busyness', busy({ processes: 3, overload: 1, multiplier: 10 }), 1);
  c.run(2, { listenQueue: 40 });
  c.run(10, { elu: () => 0 });
  assert.deepEqual(c.spawnTimes(), [0, 1]);
  assert.deepEqual(c.retireTimes(), [4, 7]);
});

test('busyness spawns when the listen queue stays non-empty for backlog-nonzero seconds', () => {
  const c = new FakeCluster('busyness', busy({ backlogNonzero: 60 }), 1);
  c.run(70, { listenQueue: 5, elu: () => 0.3 });
  assert.deepEqual(c.spawnTimes(), [61]);
  assert.ok(c.logs().includes('[busyness] backlog was non-zero for 61 second(s), spawning new worker(s)'));
});

test('busyness state is plain data: a JSON round trip each tick changes nothing', () => {
  const load = (t: number) => ({ elu: () => (t % 40 < 20 ? 0.9 : 0.02), listenQueue: t === 30 ? 50 : 0 });
  const plain = new FakeCluster('busyness', busy({ overload: 2, multiplier: 2 }), 1);
  const json = new FakeCluster('busyness', busy({ overload: 2, multiplier: 2 }), 1, true);
  for (let t = 0; t < 120; t++) {
    plain.tick(load(t));
    json.tick(load(t));
    plain.now = json.now = (t + 1) * 1000;
  }
  assert.deepEqual(json.history, plain.history);
  assert.ok(plain.spawnTimes().length > 1 && plain.retireTimes().length > 1);
});

test('step never mutates the state it is given', () => {
  const c = new FakeCluster('busyness', busy({ overload: 1 }), 2);
  c.run(3, { elu: () => 0.9 });
  const frozen = deepFreeze(structuredClone(c.state));
  const cheaper = createCheaper('busyness');
  assert.doesNotThrow(() => cheaper.step(frozen, { ...c.input(), now: c.now + 5000 }, c.settings));
});

test('a state from another algorithm is replaced (cheaper-algo changed by a reload)', () => {
  const spareState: CheaperState = createCheaper('spare').initialState();
  const r = createCheaper('busyness').step(spareState, new FakeCluster('busyness', busy(), 1).input(), busy());
  assert.equal(r.state.algo.kind, 'busyness');
  assert.equal(r.decision.log[0], '[cheaper] algorithm changed from spare to busyness');
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
