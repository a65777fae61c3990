import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { RECYCLE_REASONS, retirementMercyMs, type RecycleReason } from '../protocol.js';
import { planMurder } from './murder.js';
import type { WorkerRecord } from './worker-table.js';

const config = { workerReloadMercy: 60, reloadMercy: 0, workerStartTimeout: 0, harakiri: 0, evilReloadOnRss: 0, evilReloadOnAs: 0 };

function draining(reason: RecycleReason, since: number): WorkerRecord {
  return { slot: 1, pid: 7, child: {} as ChildProcess, generation: 1, state: { kind: 'draining', reason, since }, spawnedAt: 0, readyAt: 1, counters: undefined, lastReportAt: since };
}

/** The reasons whose drain is killed at `now` (ms after the drain began). */
function killedAt(now: number, c = config): RecycleReason[] {
  return RECYCLE_REASONS.filter((reason) => planMurder([draining(reason, 0)], new Map(), c, now, false).some((m) => m.kind === 'no-mercy'));
}

test('reload-mercy: a reload, chain reload or shutdown drain is killed at it; recycles keep worker-reload-mercy', () => {
  const withCap = { ...config, reloadMercy: 5 };
  assert.deepEqual(killedAt(5_001, withCap).sort(), ['chain-reload', 'reload', 'shutdown']);
  assert.deepEqual(killedAt(5_000, withCap), [], 'not before the mercy is over');
  assert.deepEqual(killedAt(60_001, withCap).sort(), [...RECYCLE_REASONS].sort(), 'every drain at worker-reload-mercy');
  assert.deepEqual(killedAt(5_001), [], 'reload-mercy 0: worker-reload-mercy alone');
  assert.deepEqual(killedAt(30_001, { ...config, workerReloadMercy: 30, reloadMercy: 90 }).length, RECYCLE_REASONS.length, 'a longer reload-mercy never extends worker-reload-mercy');
});

test('retirementMercyMs is what master and worker both bound a drain by', () => {
  assert.equal(retirementMercyMs('reload', 60_000, 8_000), 8_000);
  assert.equal(retirementMercyMs('shutdown', 60_000, 8_000), 8_000);
  assert.equal(retirementMercyMs('max-requests', 60_000, 8_000), 60_000);
  assert.equal(retirementMercyMs('reload', 60_000, 0), 60_000);
  assert.equal(retirementMercyMs('reload', 3_000, 8_000), 3_000);
});
