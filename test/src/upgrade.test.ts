/**
 * `supervise --upgrade pidfile`: a new master takes the listening sockets over
 * while the old one serves, and only then does the old one drain — no request
 * fails under keep-alive load. A new master that cannot start leaves the old
 * one serving, and the command says why.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { FIXTURES, SUPERVISE, Supervise, freePort, isAlive, killAll, load, request, sleep, tmp, writeIni } from './harness.js';

after(killAll);

const pidOf = (file: string): number => Number(readFileSync(file, 'utf8').trim());
/** `supervise --upgrade`, run without blocking this process: the load generator in it must keep going. */
function upgradeCli(pidfile: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SUPERVISE, '--upgrade', pidfile], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A master whose app is a copy the test may break, with a pidfile. */
async function master(extra = '') {
  const dir = tmp();
  const app = path.join(dir, 'app.mjs');
  copyFileSync(path.join(FIXTURES, 'node-listener.mjs'), app);
  const port = await freePort();
  const pidfile = path.join(dir, 'tsgi.pid');
  const ini = writeIni(dir, `[tsgi]\napp = ${app}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 2\npidfile = ${pidfile}\ndisable-logging = true\n${extra}`);
  const sup = new Supervise(['--ini', ini]);
  await sup.waitReady(2);
  return { sup, port, pidfile, app, ini };
}

describe('master upgrade', () => {
  test('under keep-alive load: 0 failed requests, the pidfile names a new master, the old master and its workers are gone', async () => {
    const { sup, port, pidfile } = await master();
    const oldWorkers = [...sup.workerPids().values()];
    const gen = load(port, { connections: 64, keepAlive: true, maxMs: 60_000 });
    await sleep(1000);
    const r = await upgradeCli(pidfile);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /upgraded: the new master is pid \d+/);
    await sleep(500);
    const res = await gen.stop();
    assert.equal(res.failed, 0, JSON.stringify([...res.errors, ...res.statuses]));
    assert.ok(res.ok > 500, `${res.ok} requests served`);
    const next = pidOf(pidfile);
    assert.notEqual(next, sup.pid);
    assert.ok(isAlive(next));
    await sup.waitExit(5000);
    for (const pid of oldWorkers) assert.equal(isAlive(pid), false, `old worker ${pid} still runs`);
    const served = await request(port, '/');
    assert.equal(served.status, 200);
    assert.ok(!oldWorkers.includes(Number(served.body.trim().split(' ').at(-1))), 'served by a new worker');
    process.kill(next, 'SIGINT');
  });

  test('with the http router: its socket is handed over too, and no request through it fails', async () => {
    const router = await freePort();
    const { sup, pidfile } = await master(`http = 127.0.0.1:${router}\n`);
    const gen = load(router, { connections: 32, keepAlive: true, maxMs: 60_000 });
    await sleep(800);
    const r = await upgradeCli(pidfile);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await sleep(500);
    const res = await gen.stop();
    assert.equal(res.failed, 0, JSON.stringify([...res.errors, ...res.statuses]));
    assert.ok(res.ok > 200, `${res.ok} requests served`);
    await sup.waitExit(5000);
    const next = pidOf(pidfile);
    assert.equal((await request(router, '/')).status, 200);
    process.kill(next, 'SIGINT');
  });

  test('a configuration with errors: refused before anything starts, exit 2 with the reason, the old master serves on', async () => {
    const { sup, port, pidfile, ini } = await master();
    writeFileSync(ini, readFileSync(ini, 'utf8') + 'processes = many\n');
    const r = await upgradeCli(pidfile);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /app\.ini:\d+: option "processes"/);
    assert.match(r.stderr, /upgrade refused: the configuration has errors/);
    assert.equal(pidOf(pidfile), sup.pid);
    assert.equal((await request(port, '/')).status, 200);
    await sup.kill();
  });

  test('a new master that cannot load the app (need-app) exits; the old one serves on and the command says so', async () => {
    const { sup, port, pidfile, app } = await master('need-app = true\n');
    writeFileSync(app, "throw new Error('broken deploy');\n");
    const r = await upgradeCli(pidfile);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /upgrade failed: the new master \(pid \d+\) exited before it was ready; the old master \(pid \d+\) serves on/);
    await sup.waitFor(/upgrade failed: the new master \(pid \d+\) exited before it was ready \(status 22\); this master serves on/);
    assert.ok(isAlive(sup.pid));
    for (let i = 0; i < 5; i++) assert.equal((await request(port, '/')).status, 200);
    await sup.kill();
  });
});
