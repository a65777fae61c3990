import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { planWorkers, surgeLimit } from './reconcile.js';
import type { RecycleReason } from '../protocol.js';
import { newSlot, type SlotRecord, type WorkerRecord, type WorkerState, type WorkerStateKind } from './worker-table.js';

const STATES: Record<WorkerStateKind, WorkerState> = {
  starting: { kind: 'starting' },
  ready: { kind: 'ready' },
  draining: { kind: 'draining', reason: 'reload', since: 0 },
  ending: { kind: 'ending', reason: 'brutal-reload', since: 0 },
  killed: { kind: 'killed', reason: 'harakiri', since: 0 },
};

function worker(slot: number, generation: number, kind: WorkerStateKind, extra: { replace?: RecycleReason } = {}): WorkerRecord {
  return {
    slot,
    pid: 1000 + slot * 10 + generation,
    child: {} as ChildProcess,
    generation,
    state: extra.replace ? { kind: 'ready', replace: extra.replace } : STATES[kind],
    spawnedAt: 0,
    readyAt: kind === 'ready' ? 1 : 0,
    counters: undefined,
    lastReportAt: 0,
  };
}

function slots(n: number, patch: (s: SlotRecord) => void = () => undefined): SlotRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const s = newSlot(i + 1);
    patch(s);
    return s;
  });
}

const summary = (p: ReturnType<typeof planWorkers>) => ({
  spawn: p.spawn.map((s) => s.id),
  retire: p.retire.map((r) => `${r.worker.slot}/g${r.worker.generation}:${r.reason}`),
  end: p.end.map((w) => `${w.slot}/g${w.generation}`),
});

const cases: { name: string; slots: SlotRecord[]; workers: WorkerRecord[]; generation?: number; brutal?: boolean; now?: number; surge?: number; want: ReturnType<typeof summary> }[] = [
  { name: 'boot: every active slot gets a worker', slots: slots(3), workers: [], want: { spawn: [1, 2, 3], retire: [], end: [] } },
  {
    name: 'steady state: nothing to do',
    slots: slots(2),
    workers: [worker(1, 1, 'ready'), worker(2, 1, 'ready')],
    want: { spawn: [], retire: [], end: [] },
  },
  {
    name: 'reload: new workers first, the old ones stay while their successors start',
    slots: slots(2),
    workers: [worker(1, 1, 'ready'), worker(2, 1, 'ready')],
    generation: 2,
    want: { spawn: [1, 2], retire: [], end: [] },
  },
  {
    name: 'reload with surge 1: one successor starts while the old workers serve',
    slots: slots(3),
    workers: [worker(1, 1, 'ready'), worker(2, 1, 'ready'), worker(3, 1, 'ready')],
    generation: 2,
    surge: 1,
    want: { spawn: [1], retire: [], end: [] },
  },
  {
    name: 'reload with surge 1: the next successor waits for the one starting',
    slots: slots(3),
    workers: [worker(1, 1, 'ready'), worker(1, 2, 'starting'), worker(2, 1, 'ready'), worker(3, 1, 'ready')],
    generation: 2,
    surge: 1,
    want: { spawn: [], retire: [], end: [] },
  },
  {
    name: 'reload with surge 1: once a successor is ready its predecessor retires and the next one starts',
    slots: slots(3),
    workers: [worker(1, 1, 'ready'), worker(1, 2, 'ready'), worker(2, 1, 'ready'), worker(3, 1, 'ready')],
    generation: 2,
    surge: 1,
    want: { spawn: [2], retire: ['1/g1:reload'], end: [] },
  },
  {
    name: 'reload with surge 2: two successors at once',
    slots: slots(3),
    workers: [worker(1, 1, 'ready'), worker(2, 1, 'ready'), worker(3, 1, 'ready')],
    generation: 2,
    surge: 2,
    want: { spawn: [1, 2], retire: [], end: [] },
  },
  {
    name: 'surge leaves alone a slot nobody serves: a dead worker, an old one already draining, a new slot',
    slots: slots(4),
    workers: [worker(1, 1, 'ready'), worker(1, 2, 'starting'), worker(3, 1, 'draining')],
    generation: 2,
    surge: 1,
    want: { spawn: [2, 3, 4], retire: [], end: [] },
  },
  {
    name: 'surge counts a recycle’s successor too (max-requests asked for one)',
    slots: slots(2),
    workers: [worker(1, 1, 'ready', { replace: 'max-requests' }), worker(1, 1, 'starting'), worker(2, 1, 'ready', { replace: 'max-requests' })],
    surge: 1,
    want: { spawn: [], retire: [], end: [] },
  },
  {
    name: 'a brutal reload is not held back by surge: its old workers end at once',
    slots: slots(2),
    workers: [worker(1, 1, 'ready'), worker(2, 1, 'ready')],
    generation: 2,
    brutal: true,
    surge: 1,
    want: { spawn: [1, 2], retire: [], end: ['1/g1', '2/g1'] },
  },
  {
    name: 'reload: an old worker is retired once its own slot’s successor is ready',
    slots: slots(2),
    workers: [worker(1, 1, 'ready'), worker(2, 1, 'ready'), worker(1, 2, 'ready'), worker(2, 2, 'starting')],
    generation: 2,
    want: { spawn: [], retire: ['1/g1:reload'], end: [] },
  },
  {
    name: 'brutal reload: old workers end at once',
    slots: slots(2),
    workers: [worker(1, 1, 'ready'), worker(2, 1, 'ready')],
    generation: 2,
    brutal: true,
    want: { spawn: [1, 2], retire: [], end: ['1/g1', '2/g1'] },
  },
  {
    name: 'a slot no longer wanted is retired at once, as scale-down or cheap',
    slots: slots(3, (s) => {
      if (s.id === 2) (s.active = false), (s.lastReason = 'scale-down');
      if (s.id === 3) (s.active = false), (s.lastReason = 'cheap');
    }),
    workers: [worker(1, 1, 'ready'), worker(2, 1, 'ready'), worker(3, 1, 'ready')],
    want: { spawn: [], retire: ['2/g1:scale-down', '3/g1:cheap'], end: [] },
  },
  {
    name: 'lifetime: a successor is spawned, then the old one retired when it is ready',
    slots: slots(1),
    workers: [worker(1, 1, 'ready', { replace: 'lifetime' })],
    want: { spawn: [1], retire: [], end: [] },
  },
  {
    name: 'lifetime: successor ready',
    slots: slots(1),
    workers: [worker(1, 1, 'ready', { replace: 'lifetime' }), worker(1, 1, 'ready')],
    want: { spawn: [], retire: ['1/g1:lifetime'], end: [] },
  },
  {
    name: 'crash-loop delay: no spawn before nextSpawnAt',
    slots: slots(2, (s) => (s.nextSpawnAt = s.id === 1 ? 5000 : 0)),
    workers: [],
    now: 1000,
    want: { spawn: [2], retire: [], end: [] },
  },
  {
    name: 'a worker killed by harakiri holds its slot until it is reaped',
    slots: slots(1),
    workers: [worker(1, 1, 'killed')],
    want: { spawn: [], retire: [], end: [] },
  },
  {
    name: 'draining workers are left alone',
    slots: slots(1),
    workers: [worker(1, 1, 'draining'), worker(1, 2, 'ready')],
    generation: 2,
    want: { spawn: [], retire: [], end: [] },
  },
];

for (const c of cases) {
  test(`planWorkers: ${c.name}`, () => {
    const plan = planWorkers({ slots: c.slots, workers: c.workers, generation: c.generation ?? 1, brutal: c.brutal ?? false, now: c.now ?? 0, ...(c.surge !== undefined ? { surge: c.surge } : {}) });
    assert.deepEqual(summary(plan), c.want);
  });
}

test('surgeLimit: reload-surge as set, else half the CPUs and at least 1', () => {
  assert.equal(surgeLimit(3, 2), 3);
  assert.equal(surgeLimit(0, 1), 1);
  assert.equal(surgeLimit(0, 2), 1);
  assert.equal(surgeLimit(0, 5), 2);
  assert.equal(surgeLimit(0, 16), 8);
});
