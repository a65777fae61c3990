import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { checkIdle, createCheaper, initialIdleState, type CheaperAlgoName, type CheaperSettings } from '../cheaper/index.js';
import { settingsWith } from '../cheaper/fixtures.js';
import type { WorkerCounters } from '../protocol.js';
import { reportedCounters } from '../testing/counters.js';
import { cheaperInput } from './adapt.js';
import { newSlot, type SlotRecord, type WorkerRecord } from './worker-table.js';

/** A ready worker in `slot` whose last report, at `reportAt`, carried `counters`. */
function worker(slot: number, counters: Partial<WorkerCounters>, spawnedAt = 0, reportAt = 0): WorkerRecord {
  return {
    slot,
    pid: 100 + slot,
    child: {} as ChildProcess,
    generation: 1,
    state: { kind: 'ready' },
    spawnedAt,
    readyAt: spawnedAt + 1,
    counters: reportedCounters(counters),
    lastReportAt: reportAt,
  };
}

/** `processes` slots, the first `active` of them wanted. */
function slots(processes: number, active: number): SlotRecord[] {
  return Array.from({ length: processes }, (_, i) => ({ ...newSlot(i + 1), active: i < active }));
}

/** Runs `algo` once a second for `seconds` over the same workers; returns the seconds at which it spawned. */
function spawnTimes(algo: CheaperAlgoName, settings: CheaperSettings, table: SlotRecord[], workers: WorkerRecord[], seconds: number): number[] {
  const cheaper = createCheaper(algo);
  let state = cheaper.initialState();
  const at: number[] = [];
  for (let s = 0; s < seconds; s++) {
    const now = s * 1000;
    // a fresh report each tick: the worker is alive and its loop turns
    for (const w of workers) w.lastReportAt = now;
    const r = cheaper.step(state, cheaperInput(table, workers, 0, 0, now), settings);
    state = r.state;
    if (r.decision.spawn > 0) at.push(s);
  }
  return at;
}

const spare = settingsWith({ algo: 'spare', processes: 4, cheaper: 1, overload: 1 });

test('spare counts a worker in requests most of its report interval as busy, though it reports between two of them', () => {
  const table: [share: number | undefined, spawned: number[]][] = [
    [0.97, [1, 3, 5, 7, 9]],
    [0.5, [1, 3, 5, 7, 9]],
    [0.3, []],
    [undefined, []],
  ];
  for (const [busy, spawned] of table) {
    const w = worker(1, { inFlight: 0, elu: 0.97, requests: 500, ...(busy === undefined ? {} : { busy }) });
    assert.deepEqual(spawnTimes('spare', spare, slots(4, 1), [w], 10), spawned, `busy share ${busy}`);
  }
});

test('a worker busy most of its interval is not the one the algorithms cheap, even the oldest', () => {
  const table = slots(4, 2);
  const workers = [worker(1, { busy: 0.9 }, 0), worker(2, { busy: 0.1 }, 5000)];
  const input = cheaperInput(table, workers, 0, 0, 10_000);
  assert.deepEqual(input.workers.slice(0, 2).map((w) => w.busy), [true, false]);
  const r = createCheaper('backlog').step(createCheaper('backlog').initialState(), input, settingsWith({ algo: 'backlog', processes: 4, cheaper: 1, overload: 3 }));
  assert.deepEqual(r.decision.retire, [2]);
});

test('idle does not put to sleep a worker busy most of its interval', () => {
  const table = slots(2, 1);
  const run = (busy: number): boolean => {
    let state = initialIdleState();
    for (let s = 0; s < 5; s++) {
      const r = checkIdle(state, cheaperInput(table, [worker(1, { busy, requests: 7 }, 0, s * 1000)], 7, 0, s * 1000), { idle: 2 });
      state = r.state;
      if (r.decision.goCheap) return true;
    }
    return false;
  };
  assert.equal(run(0.8), false);
  assert.equal(run(0), true);
});
