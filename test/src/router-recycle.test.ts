import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, Supervise, countMatches, freePort, killAll, load, sleep, tmp, writeIni } from './harness.js';

after(killAll);

/** supervise with the http router only, 2 workers, `extra` ini lines. */
async function startRouter(extra: string) {
  const dir = tmp();
  const port = await freePort();
  const ini = writeIni(dir, `[uwsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp = 127.0.0.1:${port}\nprocesses = 2\ndisable-logging = true\n${extra}`);
  const sup = new Supervise(['--ini', ini]);
  await sup.waitReady(2);
  return { sup, port };
}

describe('the http router through reloads and recycling', () => {
  for (const keepAlive of [false, true]) {
    test(`SIGHUP under ${keepAlive ? 'keep-alive' : 'new-connection'} load through the router: 0 failed requests`, async () => {
      const { sup, port } = await startRouter('');
      const gen = load(port, { connections: keepAlive ? 32 : 16, keepAlive });
      await sleep(300);
      for (let i = 0; i < 3; i++) {
        const from = sup.log.length;
        sup.signal('SIGHUP');
        await sup.waitFor(/reload complete/, 15000, from);
      }
      const r = await gen.stop();
      assert.equal(r.failed, 0, JSON.stringify([...r.errors, ...r.statuses]));
      assert.ok(r.ok > 100, `${r.ok} requests`);
      await sup.kill();
    });
  }

  for (const keepAlive of [false, true]) {
    test(`max-requests recycling under ${keepAlive ? 'keep-alive' : 'new-connection'} load through the router: 0 failed requests`, async () => {
      const { sup, port } = await startRouter('max-requests = 100\nmin-worker-lifetime = 0\n');
      const gen = load(port, { connections: 16, keepAlive });
      // until several recycles happened (bounded)
      const until = Date.now() + 30000;
      while (countMatches(sup.log, /Respawned tsgi worker/g) < 4 && Date.now() < until) await sleep(100);
      const r = await gen.stop();
      const recycled = countMatches(sup.log, /Respawned tsgi worker/g);
      assert.ok(recycled >= 4, `${recycled} recycles in 30 s`);
      // the master's last lines on a failure: which worker was retiring when the request was lost
      assert.equal(r.failed, 0, `${JSON.stringify([...r.errors, ...r.statuses])}\n${sup.log.split('\n').slice(-40).join('\n')}`);
      await sup.kill();
    });
  }
});
