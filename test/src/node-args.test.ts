/**
 * `node-args`: Node options for the workers. A .ts app served through tsx's loader (the
 * example in examples/typescript), and an APM-like agent preloaded with `--require` that
 * runs before the app in every worker and traces the requests the worker serves.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES, ROOT, Supervise, freePort, killAll, request, startApp, tmp } from './harness.js';

after(killAll);

describe('node-args', () => {
  test('examples/typescript: a .ts app runs with node-args = --import tsx', async () => {
    const port = await freePort();
    const stats = await freePort();
    const sup = new Supervise(['--ini', path.join(ROOT, 'examples/typescript/app.ini'), '--http-socket', `127.0.0.1:${port}`, '--stats', `127.0.0.1:${stats}`]);
    await sup.waitReady(2);
    const r = await request(port, '/');
    assert.equal(r.status, 200, sup.log);
    assert.equal(JSON.parse(r.body).language, 'TypeScript');
    await sup.kill();
  });

  test('an agent given with --require loads before the app in every worker, and sees its requests', async () => {
    const marker = path.join(tmp(), 'marker');
    const agent = path.join(FIXTURES, 'apm-agent.cjs');
    const { sup, port } = await startApp({
      app: 'traced-app.mjs',
      processes: 2,
      ini: `node-args = --require ${agent}\nenv = APM_MARKER=${marker}\n`,
    });
    const r = await request(port, '/');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-apm-traced'], '1', 'the agent patched the http server before the worker served');
    const body = JSON.parse(r.body) as { pid: number; execArgv: string[] };
    assert.deepEqual(body.execArgv.slice(-2), ['--require', agent]);
    const lines = readFileSync(marker, 'utf8').trim().split('\n');
    const pids = [...sup.workerPids().values()];
    assert.equal(pids.length, 2);
    for (const pid of pids) {
      const agentAt = lines.findIndex((l) => l.startsWith(`agent ${pid} `));
      const appAt = lines.indexOf(`app ${pid} agent-loaded=true`);
      assert.ok(agentAt >= 0 && appAt > agentAt, `worker ${pid}: agent first, then the app; marker:\n${lines.join('\n')}`);
    }
    await sup.kill();
  });

  test('a value node would misread is a config error naming the option, and nothing starts', async () => {
    const port = await freePort();
    const sup = new Supervise(['--app', path.join(FIXTURES, 'node-listener.mjs'), '--http-socket', `127.0.0.1:${port}`, '--node-args', 'tsx']);
    assert.equal(await sup.waitExit(), 2);
    assert.match(sup.log, /option "node-args": "tsx" does not start with a Node option/);
  });
});
