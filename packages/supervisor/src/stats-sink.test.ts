import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import type { MasterView } from './master/view.js';
import { LIVE_SILENCE_MS, probe } from './stats-sink.js';

function view(state: MasterView['state'], ready: number, tickedAt: number): MasterView {
  const worker = (i: number) => ({ slot: i, pid: 100 + i, child: {} as ChildProcess, generation: 1, state: { kind: 'ready' as const }, spawnedAt: 0, readyAt: 1, counters: undefined, lastReportAt: 0 });
  return { pid: 1, uid: 0, gid: 0, cwd: '/', state, generation: 1, startedAt: 0, tickedAt, reloads: 0, config: {} as MasterView['config'], slots: [], workers: Array.from({ length: ready }, (_, i) => worker(i + 1)), sockets: [], samples: new Map(), spoolers: [], handedOver: false };
}

test('readiness: a ready worker and a master that is not stopping (nor in its shutdown delay)', () => {
  const running = { phase: 'running' as const, paused: false, cheap: false };
  assert.equal(probe(view(running, 1, 1000), 1000).ready, true);
  assert.equal(probe(view(running, 0, 1000), 1000).ready, false);
  assert.equal(probe(view({ phase: 'reloading', brutal: false, binding: false, cheap: false }, 1, 1000), 1000).ready, true, 'a reload keeps serving');
  const delayed = probe(view({ phase: 'stopping', graceful: true, drainAt: 5000 }, 2, 1000), 1000);
  assert.equal(delayed.ready, false);
  assert.match(delayed.why, /shutdown-delay/);
});

test('liveness: the loop turned within LIVE_SILENCE_MS', () => {
  const running = { phase: 'running' as const, paused: false, cheap: false };
  assert.equal(probe(view(running, 1, 1000), 1000 + LIVE_SILENCE_MS - 1).live, true);
  assert.equal(probe(view(running, 1, 1000), 1000 + LIVE_SILENCE_MS + 1).live, false);
  assert.equal(probe(view(running, 1, 0), 1000).live, false, 'never turned yet');
});
