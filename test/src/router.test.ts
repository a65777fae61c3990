import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readStats } from '@tsgi/stats-protocol';
import { FIXTURES, Supervise, freePort, killAll, request, sleep, tmp, writeIni } from './harness.js';

after(killAll);

/** supervise with only the http router (uWSGI's `http =`, as the seed ini files use it). */
async function startRouter(extra = '', processes = 2) {
  const dir = tmp();
  const [port, stats] = await Promise.all([freePort(), freePort()]);
  const ini = writeIni(
    dir,
    `[uwsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp = 127.0.0.1:${port}\nprocesses = ${processes}\nstats = 127.0.0.1:${stats}\ndisable-logging = true\n${extra}`,
  );
  const sup = new Supervise(['--ini', ini]);
  if (processes > 0 && !/cheap = true/.test(extra)) await sup.waitReady(processes);
  else await sup.waitFor(/spawned tsgi master process/);
  return { sup, port, stats: `127.0.0.1:${stats}` };
}

describe('the http router (http =)', () => {
  test('spreads new connections over the workers by load', async () => {
    const { sup, port, stats } = await startRouter('', 2);
    const byPid = new Map<string, number>();
    const one = async (): Promise<void> => {
      const r = await request(port, '/sleep?ms=30');
      assert.equal(r.status, 200);
    };
    for (let round = 0; round < 10; round++) await Promise.all(Array.from({ length: 8 }, one));
    for (let i = 0; i < 40; i++) {
      const pid = (await request(port, '/')).body.trim().split(' ')[3]!;
      byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
    }
    assert.equal(byPid.size, 2, `both workers get connections: ${JSON.stringify([...byPid])}`);
    // counters reach the master with the next report (every 250 ms)
    let doc = await readStats(stats);
    for (let i = 0; i < 40 && doc.workers.reduce((n, w) => n + w.requests, 0) < 120; i++) {
      await sleep(100);
      doc = await readStats(stats);
    }
    assert.equal(doc.workers.reduce((n, w) => n + w.requests, 0), 120);
    const served = doc.workers.map((w) => w.requests);
    const share = Math.min(...served) / (served[0]! + served[1]!);
    assert.ok(share > 0.3, `fair share: ${served.join(' / ')}`);
    assert.ok(doc.sockets.some((s) => s.proto === 'http-router' && s.name === `127.0.0.1:${port}`));
    await sup.kill();
  });

  test('a worker whose loop is blocked gets no new connection while the other is free', async () => {
    const { sup, port } = await startRouter('', 2);
    const pids = [...sup.workerPids().values()].map(String);
    assert.equal(pids.length, 2);
    const pidOf = (body: string): string => body.trim().split(' ')[3]!;
    // a CPU-bound request blocks one worker's loop for 500 ms; the fast requests come meanwhile, each on a new connection
    const slow = request(port, '/spin?ms=500', { ms: 10000 });
    await sleep(100);
    const fast: string[] = [];
    const until = Date.now() + 300;
    while (Date.now() < until) {
      const answers = await Promise.all(Array.from({ length: 3 }, () => request(port, '/', { ms: 10000 })));
      for (const r of answers) {
        assert.equal(r.status, 200);
        fast.push(pidOf(r.body));
      }
    }
    const slowAnswer = await slow;
    const spinner = /^spun 500 (\d+)\n$/.exec(slowAnswer.body)?.[1];
    assert.ok(spinner && pids.includes(spinner), `the spinning worker: ${slowAnswer.body}`);
    assert.ok(fast.length >= 3, `${fast.length} fast requests`);
    const free = pids.find((pid) => pid !== spinner)!;
    assert.deepEqual(fast.filter((pid) => pid !== free), [], `${fast.length} fast requests while worker ${spinner} spun, all answered by worker ${free}: ${JSON.stringify(fast)}`);
    await sup.kill();
  });

  test('cheap = true with the router: the first connection wakes a worker and is served', async () => {
    const { sup, port } = await startRouter('cheap = true\n', 2);
    await sleep(300);
    const r = await request(port, '/woken', { ms: 5000 });
    assert.equal(r.status, 200);
    await sup.waitFor(/cheap mode ended by a connection/);
    await sup.kill();
  });
});
