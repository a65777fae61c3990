import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatsDocument } from '@tsgi/stats-protocol';
import { cacheStats } from './cache.js';

test('one snapshot and one encoding per interval, however many readers', () => {
  let t = 0;
  let builds = 0;
  const cache = cacheStats(() => ({ pid: ++builds }) as unknown as StatsDocument, 100, () => t);
  const first = cache.json(true);
  for (let i = 0; i < 50; i++) assert.equal(cache.json(true), first);
  assert.equal(cache.derived('m', (d) => `pid ${d.pid}`), 'pid 1');
  assert.equal(builds, 1);
  t = 99;
  cache.document();
  assert.equal(builds, 1);
  t = 100;
  assert.notEqual(cache.json(true), first);
  assert.equal(cache.derived('m', (d) => `pid ${d.pid}`), 'pid 2');
  assert.equal(builds, 2);
});
