/**
 * Readiness and liveness on the stats HTTP server, and `shutdown-delay`: on
 * SIGTERM readiness goes 503 at once while the workers keep serving, so a load
 * balancer (or Kubernetes' endpoints controller) stops sending before anything
 * drains.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { freePort, killAll, load, sleep, startApp } from './harness.js';

after(killAll);

function get(address: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const [host, port] = address.split(':');
    const req = http.get({ host, port: Number(port), path, agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('probe timeout')));
    req.on('error', reject);
  });
}

describe('probes and shutdown-delay', () => {
  test('/readyz is 503 while no worker can load the app, 200 with a ready worker; /livez is 200 while the loop turns', async () => {
    const broken = await startApp({ app: 'throws-on-load.mjs', processes: 1, stats: true, ready: 0, ini: 'stats-http = true\n' });
    await broken.sup.waitFor(/failed loading app in worker 1/);
    const notReady = await get(broken.stats, '/readyz');
    assert.equal(notReady.status, 503, notReady.body);
    assert.match(notReady.body, /^not ok: 0 worker\(s\) ready/);
    assert.equal((await get(broken.stats, '/livez')).status, 200, 'the master itself is fine');
    await broken.sup.kill();

    const { sup, stats } = await startApp({ app: 'node-listener.mjs', processes: 1, stats: true, ini: 'stats-http = true\n' });
    const ready = await get(stats, '/readyz');
    assert.equal(ready.status, 200, ready.body);
    assert.match(ready.body, /^ok: 1 worker\(s\) ready/);
    const live = await get(stats, '/livez');
    assert.equal(live.status, 200, live.body);
    await sup.kill();
  });

  test('SIGTERM with die-on-term and shutdown-delay = 2: /readyz 503 within 0.5 s, requests keep getting 200, then a drain with 0 failed requests', async () => {
    const { sup, port, stats } = await startApp({
      processes: 2,
      stats: true,
      ini: 'stats-http = true\ndie-on-term = true\nshutdown-delay = 2\n',
    });
    assert.equal((await get(stats, '/readyz')).status, 200);
    const gen = load(port, { connections: 32, keepAlive: true, maxMs: 20000 });
    await sleep(500);
    const t0 = Date.now();
    sup.signal('SIGTERM');
    let flipped = -1;
    while (Date.now() - t0 < 1000) {
      if ((await get(stats, '/readyz')).status === 503) {
        flipped = Date.now() - t0;
        break;
      }
      await sleep(25);
    }
    assert.ok(flipped >= 0 && flipped <= 500, `readiness went 503 after ${flipped} ms`);
    const okAtFlip = gen.result.ok;
    // the load balancer takes a moment to act on readiness: traffic goes on, and is served
    await sleep(1200);
    assert.ok(gen.result.ok > okAtFlip + 100, `served during the delay: ${gen.result.ok - okAtFlip}`);
    assert.doesNotMatch(sup.log, /Gracefully killing worker/, 'no drain before the delay is over');
    const r = await gen.stop();
    assert.equal(r.failed, 0, JSON.stringify([...r.errors, ...r.statuses]));
    const drain = await sup.waitFor(/shutdown-delay is over, draining the workers/, 5000);
    assert.ok(drain.index !== undefined);
    assert.equal(await sup.waitExit(15000), 0);
    const took = Date.now() - t0;
    assert.ok(took >= 1900, `the drain began after the delay (${took} ms to exit)`);
  });

  test('probes = address: /readyz and /livez without the stats; nothing else is served there', async () => {
    const probes = await freePort();
    const { sup } = await startApp({ processes: 1, ini: `probes = 127.0.0.1:${probes}\n` });
    assert.equal((await get(`127.0.0.1:${probes}`, '/readyz')).status, 200);
    assert.equal((await get(`127.0.0.1:${probes}`, '/livez')).status, 200);
    assert.equal((await get(`127.0.0.1:${probes}`, '/')).status, 404, 'no stats document here');
    sup.signal('SIGINT');
    await sup.waitExit(10000);
  });
});
