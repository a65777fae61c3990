import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkerCounters } from '../protocol.js';
import { reportedCounters } from '../testing/counters.js';
import { collectStats, publicVars, type SlotView, type StatsView, type WorkerView } from './collect.js';
import { renderMetrics } from './metrics.js';

test('request vars keep the request line and harmless headers, never credentials', () => {
  const vars = [
    'REQUEST_METHOD=GET',
    'PATH_INFO=/slow',
    'REQUEST_URI=/slow?a=1',
    'QUERY_STRING=a=1',
    'SERVER_PROTOCOL=HTTP/1.1',
    'REMOTE_ADDR=127.0.0.1',
    'HTTP_HOST=example.com',
    'HTTP_USER_AGENT=curl/8',
    'HTTP_COOKIE=session=SECRET',
    'HTTP_AUTHORIZATION=Bearer SECRET',
    'HTTP_PROXY_AUTHORIZATION=Basic SECRET',
    'HTTP_X_API_KEY=SECRET',
    'HTTP_X_AUTH_TOKEN=SECRET',
    'HTTP_X_CSRF_TOKEN=SECRET',
    'http_host=lower',
    'NOEQUALS',
    '',
  ];
  const kept = publicVars(vars);
  assert.deepEqual(kept, [...vars.slice(0, 8), '']);
  assert.ok(!kept.join('\n').includes('SECRET'));
  assert.deepEqual(publicVars([]), ['']);
});

/** A one-slot view whose process last reported `counters` (none: the slot is cheap). */
function oneSlot(counters: Partial<WorkerCounters> | undefined, paused = false): StatsView {
  const slot: SlotView = {
    id: 1,
    everSpawned: true,
    base: { requests: 0, exceptions: 0, tx: 0, runningTime: 0, cores: [] },
    avgRt: 0,
    respawnCount: 1,
    lastSpawn: 0,
    harakiriCount: 0,
    nextSpawnAt: 0,
    lastReason: '',
  };
  const full = reportedCounters({ requests: 100, elu: 0.95, ...counters });
  const workers: WorkerView[] = counters ? [{ slot: 1, pid: 42, generation: 1, state: 'ready', reason: '', since: 0, counters: full }] : [];
  return { pid: 1, uid: 0, gid: 0, cwd: '/', phase: 'running', paused, startedAt: 0, reloads: 0, threads: 1, chdir: '', memoryReport: false, slots: [slot], workers, sockets: [], samples: new Map() };
}

test('status: busy with a request in flight at the last report, or one in flight for half its interval; cheap and pause first', () => {
  const table: [what: string, view: StatsView, status: string][] = [
    ['a saturated CPU-bound worker, between two requests at its report', oneSlot({ busy: 0.97 }), 'busy'],
    ['in flight half the interval', oneSlot({ busy: 0.5 }), 'busy'],
    ['a light load', oneSlot({ busy: 0.2 }), 'idle'],
    ['a report without the share', oneSlot({}), 'idle'],
    ['a long request in flight', oneSlot({ inFlight: 1, busy: 0.1 }), 'busy'],
    ['paused between requests, however busy before', oneSlot({ busy: 0.97 }, true), 'pause'],
    ['paused with a request in hand', oneSlot({ inFlight: 1 }, true), 'busy'],
    ['no process', oneSlot(undefined), 'cheap'],
  ];
  for (const [what, view, status] of table) {
    const doc = collectStats(view, 0);
    assert.equal(doc.workers[0]!.status, status, what);
    const gauge = /^tsgi_worker_busy\{worker="1"\} (\d)$/m.exec(renderMetrics(doc))?.[1];
    assert.equal(gauge, status === 'busy' ? '1' : '0', `metrics: ${what}`);
  }
});
