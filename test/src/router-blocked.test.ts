import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { FIXTURES, Supervise, freePort, killAll, request, sleep, tmp, writeIni } from './harness.js';

after(killAll);

/** supervise with the http router only, `processes` workers serving the node-listener fixture. */
async function startRouter(processes: number) {
  const dir = tmp();
  const port = await freePort();
  const ini = writeIni(dir, `[uwsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp = 127.0.0.1:${port}\nprocesses = ${processes}\ndisable-logging = true\n`);
  const sup = new Supervise(['--ini', ini]);
  await sup.waitReady(processes);
  return { sup, port };
}

/** The pid that answered `/` or `/spin` (the fixture ends both bodies with it). */
const pidOf = (body: string): string => body.trim().split(' ').at(-1)!;

describe('the http router and blocked workers', () => {
  test('4 workers, 2 blocked for 3 s: 50 new connections are all answered by the other two within 1 s', async () => {
    const { sup, port } = await startRouter(4);
    const pids = [...sup.workerPids().values()].map(String);
    assert.equal(pids.length, 4);
    // two CPU-bound requests, each on its own connection: the router gives the second to another worker than the first
    const spins = [request(port, '/spin?ms=3000', { ms: 20000 })];
    await sleep(50);
    spins.push(request(port, '/spin?ms=3000', { ms: 20000 }));
    // long enough for both loops to be seen blocked, far from the end of their 3 s
    await sleep(300);
    const t0 = Date.now();
    const answers = await Promise.all(Array.from({ length: 50 }, () => request(port, '/', { ms: 10000 }).then((r) => ({ ...r, ms: Date.now() - t0 }))));
    const took = Date.now() - t0;
    const spinners = (await Promise.all(spins)).map((r) => pidOf(r.body));
    assert.equal(new Set(spinners).size, 2, `two different workers spun: ${JSON.stringify(spinners)}`);
    assert.ok(spinners.every((pid) => pids.includes(pid)), `spinners ${spinners} among the workers ${pids}`);
    for (const r of answers) assert.equal(r.status, 200);
    const byPid = new Map<string, number>();
    for (const r of answers) byPid.set(pidOf(r.body), (byPid.get(pidOf(r.body)) ?? 0) + 1);
    const onBlocked = answers.filter((r) => spinners.includes(pidOf(r.body)));
    assert.equal(onBlocked.length, 0, `connections answered by a blocked worker (after ms: ${onBlocked.map((r) => r.ms).join(', ')}); by pid: ${JSON.stringify([...byPid])}`);
    assert.ok(took < 1000, `50 connections answered in ${took} ms; by pid: ${JSON.stringify([...byPid])}`);
    await sup.kill();
  });

  test('a keep-alive connection whose worker was blocked past the threshold is closed after its next response (its next connection goes through the router again)', async () => {
    const { sup, port } = await startRouter(2);
    // one keep-alive connection: every request of the agent goes through the same socket while it stays open
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request(port, '/', { agent });
      assert.equal(first.headers.connection, 'keep-alive');
      const home = pidOf(first.body);
      // block that worker: its own connection's next request spins for 600 ms
      const spun = await request(port, '/spin?ms=600', { agent, ms: 10000 });
      assert.equal(pidOf(spun.body), home);
      // the worker was blocked past the threshold: the answer after the block says close
      const last = await request(port, '/', { agent });
      assert.equal(pidOf(last.body), home);
      assert.equal(last.headers.connection, 'close', `the response after the block keeps the connection: ${JSON.stringify(last.headers)}`);
    } finally {
      agent.destroy();
    }
    await sup.kill();
  });
});
