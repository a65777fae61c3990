import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatsDocument, StatsWorker, TsgiDrainingWorker } from '@tsgi/stats-protocol';
import { DashboardModel, HISTORY_POINTS, RECYCLES_KEPT, isStatsDocument, statusOf } from './model.js';
import { sortRows } from './columns.js';
import { rangeOf, sparkPoints } from './spark.js';
import * as format from './format.js';

function worker(id: number, pid: number, requests: number, extra: Partial<StatsWorker> = {}): StatsWorker {
  return {
    id, pid, accepting: 1, requests, delta_requests: requests, exceptions: 0, harakiri_count: 0, signals: 0, signal_queue: 0,
    status: pid ? 'idle' : 'cheap', rss: 50 << 20, vsz: 1 << 30, running_time: 0, last_spawn: 1_700_000_000, respawn_count: 1,
    tx: 0, avg_rt: 0, apps: [], cores: [], elu: 0.1, cpu: 5, in_flight: 0, draining: 0, recycle_reason: '', backoff: 0, ready: pid ? 1 : 0, upgraded: 0,
    ...extra,
  };
}

function doc(workers: StatsWorker[], tsgi: { started_at?: number; reloads?: number; draining?: TsgiDrainingWorker[]; pid?: number } = {}): StatsDocument {
  return {
    version: '2.0.21-tsgi', listen_queue: 0, listen_queue_errors: 0, signal_queue: 0, load: 0, pid: tsgi.pid ?? 100, uid: 0, gid: 0, cwd: '/srv',
    locks: [], sockets: [{ name: ':8080', proto: 'http', queue: 0, max_queue: 100, shared: 0, can_offload: 0 }], workers,
    tsgi: { version: '0.1.0', started_at: tsgi.started_at ?? 1_700_000_000, reloads: tsgi.reloads ?? 0, phase: 'running', draining: tsgi.draining ?? [] },
  };
}

test('rates come from counter deltas: none for a first snapshot, none for a counter that went down', () => {
  const m = new DashboardModel();
  assert.equal(m.ingest(doc([worker(1, 11, 100), worker(2, 12, 50)]), 1000, 0), true);
  assert.deepEqual(m.rows.map((r) => r.rps), [undefined, undefined]);
  assert.equal(m.rps, undefined);
  m.ingest(doc([worker(1, 11, 120), worker(2, 12, 40)]), 3000, 2000);
  assert.deepEqual(m.rows.map((r) => r.rps), [10, undefined]);
  assert.equal(m.rps, 10);
  assert.deepEqual(m.connection, { state: 'up', since: 1000 });
});

test('a slot whose pid changed is a recycle, with the reason the master gave the draining process', () => {
  const m = new DashboardModel();
  m.ingest(doc([worker(1, 11, 100), worker(2, 12, 100), worker(3, 13, 100)]), 0, 0);
  m.ingest(
    doc([worker(1, 21, 101, { draining: 1, recycle_reason: 'max-requests' }), worker(2, 0, 100, { recycle_reason: 'scale-down' }), worker(3, 13, 100)], {
      draining: [{ id: 1, pid: 11, reason: 'max-requests', since: 1, in_flight: 1 }],
    }),
    1000,
    1000,
  );
  assert.deepEqual(m.recycles, [
    { at: 1000, id: 1, oldPid: 11, newPid: 21, reason: 'max-requests' },
    { at: 1000, id: 2, oldPid: 12, newPid: 0, reason: 'scale-down' },
  ]);
  assert.equal(m.rows[0]!.draining, true);
  // a process that died with nothing said about it
  m.ingest(doc([worker(1, 21, 101), worker(2, 0, 100), worker(3, 33, 100)]), 2000, 2000);
  assert.deepEqual(m.recycles[0], { at: 2000, id: 3, oldPid: 13, newPid: 33, reason: 'exited' });
  for (let i = 0; i < RECYCLES_KEPT + 5; i++) m.ingest(doc([worker(1, 100 + i, 101)]), 3000 + i, 3000 + i);
  assert.equal(m.recycles.length, RECYCLES_KEPT);
});

test('a new master restarts the comparison and says so; a reload and a recovery are noticed', () => {
  const m = new DashboardModel();
  m.ingest(doc([worker(1, 11, 500)]), 0, 0);
  m.ingest(doc([worker(1, 11, 510)], { reloads: 1 }), 1000, 1000);
  assert.deepEqual(m.notice, { at: 1000, text: 'reloaded (reload #1)' });
  m.disconnected(2000, 'connection closed');
  m.disconnected(2500, 'connection closed');
  assert.deepEqual(m.connection, { state: 'down', since: 2000, error: 'connection closed' });
  assert.equal(m.rows.length, 1, 'the last snapshot stays');
  m.ingest(doc([worker(1, 41, 3)], { pid: 200, started_at: 1_700_000_100 }), 5000, 5000);
  assert.deepEqual(m.notice, { at: 5000, text: 'master restarted (pid 100 → 200)' });
  assert.deepEqual(m.connection, { state: 'up', since: 5000 });
  assert.equal(m.rows[0]!.rps, undefined, 'no rate against another master');
  assert.deepEqual(m.recycles, [], 'a restart is not a recycle');
  assert.deepEqual(m.series.get('w1')?.rps, [0]);
  m.disconnected(6000, 'x');
  m.ingest(doc([worker(1, 41, 5)], { pid: 200, started_at: 1_700_000_100 }), 7000, 7000);
  assert.deepEqual(m.notice, { at: 7000, text: 'stats server is back' });
});

test('anything but a stats document is refused and changes nothing; missing figures read as 0', () => {
  const m = new DashboardModel();
  m.ingest(doc([worker(1, 11, 1)]), 0, 0);
  for (const bad of [null, 'x', {}, { pid: 1, sockets: [], workers: [{ id: 1 }] }, { pid: 1, sockets: [], workers: 3 }]) {
    assert.equal(isStatsDocument(bad), false, JSON.stringify(bad));
    assert.equal(m.ingest(bad, 1, 1), false);
  }
  assert.equal(m.rows[0]!.pid, 11);
  // uWSGI's own document has none of tsgi's keys
  const uwsgi = worker(1, 11, 2);
  for (const key of ['elu', 'cpu', 'in_flight', 'draining', 'recycle_reason', 'backoff', 'ready', 'upgraded'] as const) delete uwsgi[key];
  assert.equal(m.ingest({ ...doc([uwsgi]), tsgi: undefined }, 2, 2), true);
  assert.deepEqual([m.rows[0]!.cpu, m.rows[0]!.elu, m.rows[0]!.status, m.rows[0]!.reason], [0, 0, 'idle', '']);
});

test('sparkline histories are bounded and follow the slots that exist', () => {
  const m = new DashboardModel();
  for (let i = 0; i < HISTORY_POINTS + 10; i++) m.ingest(doc([worker(1, 11, i * 2), worker(2, 12, i)]), i * 1000, i * 1000);
  assert.equal(m.series.get('w1')!.rps.length, HISTORY_POINTS);
  assert.equal(m.series.get('w1')!.rps.at(-1), 2);
  assert.equal(m.totals.rps.at(-1), 3);
  m.ingest(doc([worker(1, 11, 1000)]), 999_000, 999_000);
  assert.equal(m.series.has('w2'), false);
});

test('status: backoff and start-up before uWSGI\'s status, sig<N> as sig', () => {
  assert.equal(statusOf(worker(1, 0, 0, { backoff: 2.5 })), 'backoff');
  assert.equal(statusOf(worker(1, 0, 0)), 'cheap');
  assert.equal(statusOf(worker(1, 5, 0, { ready: 0 })), 'starting');
  assert.equal(statusOf(worker(1, 5, 0, { status: 'sig12' })), 'sig');
  assert.equal(statusOf(worker(1, 5, 0, { status: 'pause' })), 'pause');
  assert.equal(statusOf(worker(1, 5, 0, { status: 'busy' })), 'busy');
  assert.equal(statusOf(worker(1, 5, 0, { status: 'whatever' })), 'idle');
});

test('sorting: each column in its natural direction, reversed on demand, ties in worker order', () => {
  const m = new DashboardModel();
  m.ingest(doc([worker(1, 30, 5), worker(2, 10, 9), worker(3, 20, 5, { status: 'busy' })]), 0, 0);
  assert.deepEqual(sortRows(m.rows, 'REQ', false).map((r) => r.id), [2, 1, 3]);
  assert.deepEqual(sortRows(m.rows, 'REQ', true).map((r) => r.id), [1, 3, 2]);
  assert.deepEqual(sortRows(m.rows, 'PID', false).map((r) => r.pid), [10, 20, 30]);
  assert.deepEqual(sortRows(m.rows, 'STATUS', false).map((r) => r.id), [3, 1, 2]);
});

test('sparklines: newest at the right edge, values clamped to the range, memory around its own level', () => {
  assert.equal(sparkPoints([0, 5, 10], { low: 0, high: 10 }, 100, 20, 3), '0,20 50,10 100,0');
  assert.equal(sparkPoints([10], { low: 0, high: 10 }, 100, 20, 3), '100,0');
  assert.equal(sparkPoints([-5, 50], { low: 0, high: 10 }, 100, 20, 2), '0,20 100,0');
  assert.deepEqual(rangeOf('elu', [0.2]), { low: 0, high: 1 });
  assert.deepEqual(rangeOf('cpu', [30]), { low: 0, high: 100 });
  assert.deepEqual(rangeOf('rps', [0, 0]), { low: 0, high: 1 });
  const mib = 1024 * 1024;
  const rss = rangeOf('rss', [100 * mib, 101 * mib]);
  assert.ok(rss.low > 90 * mib && rss.high < 110 * mib && rss.high - rss.low >= 4 * mib, JSON.stringify(rss));
});

test('figures as the page writes them', () => {
  assert.deepEqual([format.size(512), format.size(1536), format.size(230.4 * 1024 * 1024), format.size(3 * 1024 ** 3)], ['512', '1.5K', '230.4M', '3.0G']);
  assert.deepEqual([format.rate(undefined), format.rate(3.14159), format.rate(1234.5)], ['—', '3.1', '1235']);
  assert.equal(format.count(1234567), '1,234,567');
  assert.deepEqual([format.duration(45), format.duration(192), format.duration(7500), format.duration(360_000)], ['45s', '3m 12s', '2h 05m', '4d 4h']);
  assert.deepEqual([format.responseTime(0), format.responseTime(850), format.responseTime(12_345), format.responseTime(2_500_000)], ['—', '850µs', '12ms', '2.5s']);
  assert.equal(format.ago(0, 5000), '—');
});
