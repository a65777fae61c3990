import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { evilReloadDue, harakiriDue, harakiriReport, lifetimeDue, memoryRecycleDue } from './health.js';
import type { WorkerRecord } from './worker-table.js';
import type { WorkerCounters } from '../protocol.js';
import { reportedCounters } from '../testing/counters.js';

const MB = 1024 * 1024;

function worker(extra: Partial<WorkerRecord> = {}, counters: Partial<WorkerCounters> = {}): WorkerRecord {
  return {
    slot: 2,
    pid: 42,
    child: {} as ChildProcess,
    generation: 1,
    state: { kind: 'ready' },
    spawnedAt: 0,
    readyAt: 100,
    counters: reportedCounters(counters),
    lastReportAt: 10_000,
    ...extra,
  };
}

test('harakiri: a ready worker silent longer than the limit; a request only past twice the limit (the worker ends it at the limit)', () => {
  assert.equal(harakiriDue(worker({}, { oldestStart: 8_000 }), 2, 10_001), false, 'old request, loop turning: the worker answers 504 itself');
  assert.equal(harakiriDue(worker({}, { oldestStart: 6_000 }), 2, 10_001), true, 'still in flight at twice the limit');
  assert.equal(harakiriDue(worker({ lastReportAt: 7_000 }), 2, 10_000), true, 'a blocked loop reports nothing');
  assert.equal(harakiriDue(worker({ state: { kind: 'killed', reason: 'harakiri', since: 0 } }, { oldestStart: 1 }), 2, 10_000), false, 'once');
  assert.equal(harakiriDue(worker({}, { oldestStart: 1 }), 0, 10_000), false, 'off');
  assert.equal(harakiriDue(worker({ state: { kind: 'starting' }, readyAt: 0, lastReportAt: 0 }), 2, 10_000), false, 'not while loading');
  // a quiet worker reports once a second: silence counts only past two heartbeats
  assert.equal(harakiriDue(worker({ lastReportAt: 8_500 }), 1, 10_000), false, 'harakiri = 1, quiet for 1.5 s');
  assert.equal(harakiriDue(worker({ lastReportAt: 7_900 }), 1, 10_000), true, 'harakiri = 1, silent for 2.1 s');
  assert.equal(harakiriDue(worker({}, { oldestStart: 7_900 }), 1, 10_000), true, 'a request past 2 s with harakiri = 1');
});

test('harakiri report names what each busy core was doing', () => {
  const w = worker({}, { cores: [{ requests: 3, inRequest: 1, start: 5_000_000, vars: ['REQUEST_METHOD=GET', 'REQUEST_URI=/hang?x=1', 'REMOTE_ADDR=127.0.0.1', ''] }] });
  assert.deepEqual(harakiriReport(w), ['HARAKIRI [core 0] 127.0.0.1 - GET /hang?x=1 since 5000']);
});

test('evil reload compares the master’s reading with MiB limits', () => {
  const c = { evilReloadOnRss: 100, evilReloadOnAs: 0 };
  assert.deepEqual(evilReloadDue({ rss: 101 * MB, vsz: 0, cpu: 0 }, c), { reason: 'rss', what: `RSS: ${101 * MB}` });
  assert.equal(evilReloadDue({ rss: 99 * MB, vsz: 0, cpu: 0 }, c), undefined);
  assert.equal(evilReloadDue(undefined, c), undefined);
  assert.equal(evilReloadDue({ rss: 0, vsz: 900 * MB, cpu: 0 }, { evilReloadOnRss: 0, evilReloadOnAs: 800 })?.reason, 'as');
});

test('max-worker-lifetime adds the per-slot delta and fires once', () => {
  const c = { maxWorkerLifetime: 10, maxWorkerLifetimeDelta: 5 };
  assert.equal(lifetimeDue(worker(), c, 15_000), false, 'slot 2: 10 + 5 s');
  assert.equal(lifetimeDue(worker(), c, 15_001), true);
  assert.equal(lifetimeDue(worker({ state: { kind: 'ready', replace: 'lifetime' } }), c, 99_000), false);
  assert.equal(lifetimeDue(worker(), { maxWorkerLifetime: 0, maxWorkerLifetimeDelta: 0 }, 99_000), false);
});

test('reload-on-rss/as from the master: over the limit, a ready worker past min-worker-lifetime is replaced gracefully', () => {
  const c = { reloadOnRss: 100, reloadOnAs: 0, minWorkerLifetime: 10 };
  const big = { rss: 120 * MB, vsz: 900 * MB, cpu: 0 };
  assert.deepEqual(memoryRecycleDue(worker(), big, c, 20_000), { reason: 'rss', what: `rss ${120 * MB} > ${100 * MB}` });
  assert.equal(memoryRecycleDue(worker(), { ...big, rss: 90 * MB }, c, 20_000), undefined, 'under the limit');
  assert.equal(memoryRecycleDue(worker(), big, c, 9_000), undefined, 'younger than min-worker-lifetime');
  assert.equal(memoryRecycleDue(worker({ state: { kind: 'ready', replace: 'rss' } }), big, c, 20_000), undefined, 'already being replaced');
  assert.equal(memoryRecycleDue(worker({ state: { kind: 'draining', reason: 'reload', since: 0 } }), big, c, 20_000), undefined, 'already leaving');
  assert.equal(memoryRecycleDue(worker(), undefined, c, 20_000), undefined, 'no reading yet');
  assert.equal(memoryRecycleDue(worker(), big, { reloadOnRss: 0, reloadOnAs: 800, minWorkerLifetime: 0 }, 20_000)?.reason, 'as');
});
