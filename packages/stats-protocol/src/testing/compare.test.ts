import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareShape, keyPaths } from './compare.js';
import { decodeStats } from '../decode.js';
import { encodeStats } from '../encode.js';
import { tsgiDocument, uwsgiSample } from '../fixtures.js';

test('a tsgi document has every key of the uWSGI sample, same types, same order', () => {
  const candidate = JSON.parse(encodeStats(tsgiDocument())) as unknown;
  assert.deepEqual(compareShape(uwsgiSample(), candidate), []);
});

test('keys that only some reference elements have are not demanded', () => {
  // Only the busy core has req_info.request_start and vars; locks entries all differ.
  const candidate = JSON.parse(JSON.stringify(uwsgiSample())) as ReturnType<typeof uwsgiSample>;
  for (const worker of candidate.workers) {
    for (const core of worker.cores) {
      core.vars = [];
      core.req_info = {};
    }
  }
  candidate.locks = [{ 'user 0': 0 }];
  assert.deepEqual(compareShape(uwsgiSample(), candidate), []);
});

test('reports missing keys, changed types and reordered keys', () => {
  const doc = uwsgiSample() as unknown as Record<string, unknown>;
  const workers = doc['workers'] as Array<Record<string, unknown>>;
  const candidate = {
    ...doc,
    pid: '9499',
    workers: workers.map(({ rss, vsz, ...rest }) => ({ ...rest, vsz, rss, avg_rt: 1.5 })),
  } as Record<string, unknown>;
  delete candidate['cwd'];
  assert.deepEqual(compareShape(uwsgiSample(), candidate), [
    '$.pid: expected integer, got string',
    '$.cwd: missing',
    '$.workers[*].avg_rt: expected integer, got number',
    '$.workers[*]: key order differs: expected "rss" at that point, found "running_time" (expected order: id, pid, accepting, requests, delta_requests, exceptions, harakiri_count, signals, signal_queue, status, rss, vsz, running_time, last_spawn, respawn_count, tx, avg_rt, apps, cores)',
  ]);
});

test('keyPaths lists every path with its type, in document order', () => {
  const paths = keyPaths(uwsgiSample());
  assert.equal(paths[0], '$: object');
  assert.equal(paths[1], '$.version: string');
  assert.ok(paths.includes('$.workers[*].cores[*].vars[*]: string'));
  assert.ok(paths.includes('$.workers[*].cores[*].req_info: object'));
  assert.ok(!paths.includes('$.workers[*].cores[*].req_info.request_start: integer'));
  const decoded = decodeStats(encodeStats(tsgiDocument()));
  assert.ok(decoded.ok);
  const tsgiPaths = keyPaths(decoded.doc);
  assert.ok(tsgiPaths.indexOf('$.workers[*].elu: number') > tsgiPaths.indexOf('$.workers[*].cores: list'));
  assert.equal(tsgiPaths.at(-1), '$.tsgi.draining[*].in_flight: integer');
});
