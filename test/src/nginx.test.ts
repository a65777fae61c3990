import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, Supervise, freePort, killAll, load, request, sleep, tmp } from './harness.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
let nginx: ChildProcess | undefined;
after(async () => {
  // nginx runs in its own process group: kill its master and workers together
  if (nginx?.pid) {
    try {
      process.kill(-nginx.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await killAll();
});

describe('nginx in front (examples/nginx)', { skip: NGINX ? false : 'nginx is not installed (apt-get install nginx-light)' }, () => {
  test('one nginx balances two supervise instances; a SIGHUP to one under load fails no request', async () => {
    const [p1, p2, s1, s2, front] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const ini = path.join(ROOT, 'examples/nginx/instance.ini');
    const a = new Supervise(['--ini', ini, '--processes', '2', '--disable-logging'], { env: { PORT: String(p1), STATS_PORT: String(s1) } });
    const b = new Supervise(['--ini', ini, '--processes', '2', '--disable-logging'], { env: { PORT: String(p2), STATS_PORT: String(s2) } });
    await Promise.all([a.waitReady(2), b.waitReady(2)]);

    const dir = tmp('tsgi-nginx-');
    const conf = readFileSync(path.join(ROOT, 'examples/nginx/nginx.conf'), 'utf8')
      .replace('127.0.0.1:5000', `127.0.0.1:${p1}`)
      .replace('127.0.0.1:5001', `127.0.0.1:${p2}`)
      .replace('listen 127.0.0.1:8080', `listen 127.0.0.1:${front}`);
    writeFileSync(path.join(dir, 'nginx.conf'), conf);
    const errorLog = path.join(dir, 'error.log');
    const logFd = openSync(errorLog, 'a');
    nginx = spawn(NGINX!, ['-p', dir, '-c', 'nginx.conf', '-g', 'daemon off;'], { stdio: ['ignore', logFd, logFd], detached: true });
    closeSync(logFd);
    for (let i = 0; i < 50; i++) {
      if (await request(front, '/').then(() => true, () => false)) break;
      await sleep(100);
    }
    const pids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const r = await request(front, '/');
      assert.equal(r.status, 200);
      pids.add(/pid (\d+)/.exec(r.body)![1]!);
    }
    const instancePids = (s: Supervise) => [...s.workerPids().values()].map(String);
    assert.ok(instancePids(a).some((p) => pids.has(p)) && instancePids(b).some((p) => pids.has(p)), 'both instances serve');

    const gen = load(front, { connections: 32, keepAlive: true });
    await sleep(500);
    a.signal('SIGHUP');
    await a.waitFor(/reload complete/, 15000);
    await sleep(500);
    const r = await gen.stop();
    const nginxLog = readFileSync(errorLog, 'utf8');
    assert.equal(r.failed, 0, `${JSON.stringify([...r.errors, ...r.statuses])}\n${nginxLog}`);
    assert.ok(r.ok > 200);
    assert.doesNotMatch(nginxLog, /upstream prematurely closed|Connection reset/);
  });
});
