/**
 * The framework examples (examples/frameworks/<name>/app.ini), each started as it is with
 * only its ports moved: GET, POST with a JSON body, the framework's own 500 and a throw the
 * framework cannot catch (500 from supervise), both counted in the stats' `responses_5xx`
 * and the second in `exceptions`, and 3 SIGHUPs under a keep-alive load with 0 failed requests.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readStats, type StatsDocument } from '@tsgi/stats-protocol';
import { ROOT, Supervise, freePort, killAll, load, request, sleep } from './harness.js';

after(killAll);

const FRAMEWORKS = ['express', 'fastify', 'koa', 'hono', 'nestjs'] as const;
const RELOADS = 3;

const sum = (doc: StatsDocument, key: 'requests' | 'exceptions' | 'responses_5xx'): number => doc.workers.reduce((n, w) => n + (w[key] ?? 0), 0);

/** The stats once `ready` holds, or the last document seen when `ms` runs out. */
async function statsWhen(address: string, ready: (doc: StatsDocument) => boolean, ms = 5000): Promise<StatsDocument> {
  const deadline = Date.now() + ms;
  for (;;) {
    const doc = await readStats(address);
    if (ready(doc) || Date.now() > deadline) return doc;
    await sleep(100);
  }
}

describe('framework examples', () => {
  for (const name of FRAMEWORKS) {
    test(`${name}: GET, POST JSON, 500s counted, ${RELOADS} SIGHUPs under load with 0 failed requests`, { timeout: 120_000 }, async () => {
      const [port, statsPort] = await Promise.all([freePort(), freePort()]);
      const stats = `127.0.0.1:${statsPort}`;
      const ini = path.join(ROOT, 'examples/frameworks', name, 'app.ini');
      const sup = new Supervise(['--ini', ini, '--http-socket', `127.0.0.1:${port}`, '--stats', stats, '--disable-logging']);
      await sup.waitReady(2, 60_000);

      const get = await request(port, '/');
      assert.equal(get.status, 200, get.body);
      assert.equal(JSON.parse(get.body).framework, name);

      const sent = { items: [1, 2, 3], name: 'größe', nested: { ok: true } };
      const post = await request(port, '/echo', { method: 'POST', body: JSON.stringify(sent), headers: { 'content-type': 'application/json' } });
      assert.equal(post.status, 200, post.body);
      assert.deepEqual(JSON.parse(post.body).received, sent);

      const first = [...sup.workerPids().values()];
      const gen = load(port, { connections: 8, keepAlive: true, maxMs: 90_000 });
      await sleep(200);
      for (let i = 0; i < RELOADS; i++) {
        const from = sup.log.length;
        sup.signal('SIGHUP');
        await sup.waitFor(/reload complete/, 60_000, from);
      }
      await sleep(200);
      const r = await gen.stop();
      assert.equal(r.failed, 0, `failed: ${r.failed} ${JSON.stringify([...r.errors, ...r.statuses])}`);
      assert.ok(r.ok > 0, 'the load was served');
      const now = [...sup.workerPids().values()];
      for (const pid of first) assert.ok(!now.includes(pid), `worker ${pid} replaced by the reloads`);

      // the framework's own error handling: a 500, and no exception reaches supervise
      assert.equal((await request(port, '/error')).status, 500);
      // a throw outside the framework: supervise answers 500 and counts it (and replaces the worker)
      assert.equal((await request(port, '/crash')).status, 500);
      const total = 2 + r.ok + 2;
      const doc = await statsWhen(stats, (d) => sum(d, 'exceptions') >= 1 && sum(d, 'responses_5xx') >= 2 && sum(d, 'requests') >= total);
      assert.equal(sum(doc, 'responses_5xx'), 2, 'both 500s counted as 5xx responses');
      assert.equal(sum(doc, 'exceptions'), 1, 'the crash is an exception; the framework-handled 500 is not');
      assert.equal(sum(doc, 'requests'), total, 'every request counted across the reloads, the two 500s included');
      await sup.kill();
    });
  }
});
