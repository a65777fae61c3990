import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { ROOT, Supervise, freePort, killAll, load, request, sleep, tmp } from './harness.js';
import { assertReloadCloses, openWs } from './ws-client.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
const started: ChildProcess[] = [];
after(async () => {
  // nginx runs in its own process group: kill its master and workers together
  for (const nginx of started) {
    try {
      process.kill(-nginx.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await killAll();
});

/** Starts nginx on `conf` in a scratch prefix and resolves once it answers HTTP on `front` (any status). */
async function startNginx(conf: string, front: number): Promise<{ errorLog: string }> {
  const dir = tmp('tsgi-nginx-');
  writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const errorLog = path.join(dir, 'error.log');
  const logFd = openSync(errorLog, 'a');
  const child = spawn(NGINX!, ['-p', dir, '-c', 'nginx.conf', '-g', 'daemon off;'], { stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  started.push(child);
  for (let i = 0; i < 100; i++) {
    if (await request(front, '/').then(() => true, () => false)) return { errorLog };
    await sleep(100);
  }
  throw new Error(`nginx does not answer on ${front}:\n${readFileSync(errorLog, 'utf8')}`);
}

describe('nginx in front (examples/nginx)', { skip: NGINX ? false : 'nginx is not installed (apt-get install nginx-light)' }, () => {
  test('one nginx balances two supervise instances; a SIGHUP to one under load fails no request', async () => {
    const [p1, p2, s1, s2, front] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const ini = path.join(ROOT, 'examples/nginx/instance.ini');
    const a = new Supervise(['--ini', ini, '--processes', '2', '--disable-logging'], { env: { PORT: String(p1), STATS_PORT: String(s1) } });
    const b = new Supervise(['--ini', ini, '--processes', '2', '--disable-logging'], { env: { PORT: String(p2), STATS_PORT: String(s2) } });
    await Promise.all([a.waitReady(2), b.waitReady(2)]);

    const conf = readFileSync(path.join(ROOT, 'examples/nginx/nginx.conf'), 'utf8')
      .replace('127.0.0.1:5000', `127.0.0.1:${p1}`)
      .replace('127.0.0.1:5001', `127.0.0.1:${p2}`)
      .replace('listen 127.0.0.1:8080', `listen 127.0.0.1:${front}`);
    const { errorLog } = await startNginx(conf, front);
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

  test("behind nginx, log-x-forwarded-for logs the client's address chain, not nginx's", async () => {
    const [port, stats, front] = await Promise.all([freePort(), freePort(), freePort()]);
    const sup = new Supervise(['--ini', path.join(ROOT, 'examples/nginx/instance.ini'), '--processes', '1'], { env: { PORT: String(port), STATS_PORT: String(stats) } });
    await sup.waitReady(1);
    const conf = readFileSync(path.join(ROOT, 'examples/nginx/nginx.conf'), 'utf8')
      .replace('127.0.0.1:5000', `127.0.0.1:${port}`)
      .replace(/\n\s*server 127\.0\.0\.1:5001[^\n]*/, '')
      .replace('listen 127.0.0.1:8080', `listen 127.0.0.1:${front}`);
    await startNginx(conf, front);
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await request(front, '/via-nginx', { headers: { 'X-Forwarded-For': '203.0.113.9' } }).then((r) => r.status, () => 0);
      if (status !== 200) await sleep(100);
    }
    assert.equal(status, 200);
    await sup.waitFor(/\] 203\.0\.113\.9, 127\.0\.0\.1 \(\) \{.* GET \/via-nginx => generated/);
    await sup.kill();
  });

  test('uwsgi_pass with include uwsgi_params reaches the app through `socket`, body and headers intact', async () => {
    const [up, front] = await Promise.all([freePort(), freePort()]);
    const sup = new Supervise(
      ['--ini', path.join(ROOT, 'examples/nginx/uwsgi.ini'), '--socket', `127.0.0.1:${up}`, '--app', path.join(ROOT, 'test/fixtures/fetch-handler.mjs'), '--processes', '2'],
    );
    await sup.waitReady(2);
    const conf = readFileSync(path.join(ROOT, 'examples/nginx/uwsgi.conf'), 'utf8')
      .replace('uwsgi_pass 127.0.0.1:3031', `uwsgi_pass 127.0.0.1:${up}`)
      .replace('listen 127.0.0.1:8081', `listen 127.0.0.1:${front}`);
    await startNginx(conf, front);
    const get = await request(front, '/via-uwsgi?q=1');
    assert.equal(get.status, 200);
    assert.equal(get.body, 'fetch /via-uwsgi');
    assert.deepEqual(get.headers['set-cookie'], ['a=1', 'b=2']);
    const post = await request(front, '/', { method: 'POST', body: 'y'.repeat(200000) });
    assert.equal(post.status, 201);
    assert.equal(post.body, `echo 200000 ${'y'.repeat(20)}`);
    assert.match(sup.log, /tsgi uwsgi socket 0 bound to TCP address/);
  });
});

describe('WebSockets behind nginx (examples/websocket)', { skip: NGINX ? false : 'nginx is not installed (apt-get install nginx-light)', timeout: 90000 }, () => {
  const EXAMPLE = path.join(ROOT, 'examples/websocket');

  /** supervise on the example's app.ini and nginx on its nginx.conf, every port ephemeral. */
  async function startExample() {
    const [httpSocket, uwsgiSocket, viaProxy, viaUwsgi] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const sup = new Supervise([
      '--ini', path.join(EXAMPLE, 'app.ini'),
      '--http-socket', `127.0.0.1:${httpSocket}`,
      '--socket', `127.0.0.1:${uwsgiSocket}`,
      '--websocket-drain', '1',
      '--disable-logging',
    ]);
    await sup.waitReady(2);
    const conf = readFileSync(path.join(EXAMPLE, 'nginx.conf'), 'utf8')
      .replace('server 127.0.0.1:8000;', `server 127.0.0.1:${httpSocket};`)
      .replace('uwsgi_pass 127.0.0.1:3031;', `uwsgi_pass 127.0.0.1:${uwsgiSocket};`)
      .replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${viaProxy};`)
      .replace('listen 127.0.0.1:8081;', `listen 127.0.0.1:${viaUwsgi};`);
    const { errorLog } = await startNginx(conf, viaProxy);
    return { sup, errorLog, fronts: { proxy_pass: viaProxy, uwsgi_pass: viaUwsgi } };
  }

  for (const via of ['proxy_pass', 'uwsgi_pass'] as const) {
    test(`ws echo through ${via}; a SIGHUP closes every one with 1001, none reset, and they reconnect to new workers`, async () => {
      const { sup, errorLog, fronts } = await startExample();
      const front = fronts[via];
      const page = await request(front, '/');
      assert.equal(page.status, 200);
      assert.match(page.body, /tsgi chat/);
      await assertReloadCloses(sup, () => openWs(front, '/echo'), 8);
      assert.doesNotMatch(readFileSync(errorLog, 'utf8'), /upstream prematurely closed|reset by peer|\[error\]/);
      await sup.kill();
    });
  }

  test('the socket.io chat through proxy_pass: a message round-trips; a SIGHUP disconnects it cleanly and it reconnects to a new worker', async () => {
    const { sup, fronts } = await startExample();
    // the page's client library, served by socket.io itself
    assert.equal((await request(fronts.proxy_pass, '/socket.io/socket.io.js')).status, 200);
    const client = ioClient(`http://127.0.0.1:${fronts.proxy_pass}`, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500, timeout: 5000 });
    try {
      const hello = (): Promise<number> => new Promise((resolve) => client.once('hello', ({ pid }: { pid: number }) => resolve(pid)));
      const chat = (text: string): Promise<{ pid: number; text: string }> =>
        new Promise((resolve) => {
          client.once('chat', resolve);
          client.emit('chat', text);
        });
      const first = await hello();
      const oldPids = [...sup.workerPids().values()];
      assert.ok(oldPids.includes(first));
      assert.deepEqual(await chat('before'), { pid: first, text: 'before' });
      const disconnected = new Promise<string>((resolve) => client.once('disconnect', resolve));
      const again = new Promise<number>((resolve) => disconnected.then(() => resolve(hello())));
      const from = sup.log.length;
      sup.signal('SIGHUP');
      await sup.waitFor(/reload complete/, 15000, from);
      // the server's close frame ends the transport: "transport close"; a reset would be "transport error"
      assert.equal(await disconnected, 'transport close');
      const second = await again;
      assert.ok(!oldPids.includes(second), `reconnected to a new worker: ${second}`);
      assert.deepEqual(await chat('after'), { pid: second, text: 'after' });
    } finally {
      client.close();
      await sup.kill();
    }
  });
});
