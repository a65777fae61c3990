/**
 * The uWSGI options real [uwsgi] files carry: a production file starts with warnings only and
 * serves; buffer-size and limit-post bound a request without costing the worker;
 * touch-chain-reload replaces the workers one at a time under load; reload-mercy bounds a
 * stuck worker at a reload and at a shutdown.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES, Supervise, countMatches, exchange, freePort, isAlive, killAll, load, request, sleep, startApp, tmp } from './harness.js';

after(killAll);

/** The pid in node-listener.mjs's answer (`esm node <id> <pid>`). */
const pidOf = (body: string): number => Number(body.trim().split(' ')[3]);

/** Sets a file's mtime a few seconds ahead, so the master's once-a-second check sees it change. */
function touch(file: string): void {
  const t = new Date(Date.now() + 5000);
  if (!existsSync(file)) writeFileSync(file, '');
  utimesSync(file, t, t);
}

describe('a production [uwsgi] file', () => {
  test('starts with one warning per ignored option, no error, and serves', async () => {
    const run = tmp();
    const [port, statsPort] = [await freePort(), await freePort()];
    const ini = path.join(FIXTURES, 'uwsgi-production.ini');
    const sup = new Supervise(['--ini', ini], { env: { PORT: String(port), STATS_PORT: String(statsPort), RUN_DIR: run } });
    await sup.waitReady(2, 20000);
    const ignored = [
      'module', 'virtualenv', 'pythonpath', 'single-interpreter', 'enable-threads', 'py-call-osafterfork', 'plugins', 'strict', 'no-orphans',
      'thunder-lock', 'http-timeout', 'post-buffering', 'threads-stacksize', 'offload-threads', 'max-fd', 'reload-on-exception', 'ignore-sigpipe',
      'ignore-write-errors', 'disable-write-exception', 'mule-reload-mercy',
    ];
    for (const option of ignored) {
      assert.match(sup.log, new RegExp(`warning: ${ini.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: option "${option}" is ignored: \\S`), option);
    }
    assert.equal(countMatches(sup.log, /^warning: /gm), ignored.length, 'no other warning');
    const r = await request(port, '/');
    assert.equal(r.status, 200);
    assert.match(r.body, /^esm node \d+ \d+/);
    // disable-logging with log-5xx: the 500 alone is logged, in log-format, to the req-logger file, mode 640
    assert.equal((await request(port, '/throw', { headers: { 'user-agent': 'probe/1' } })).status, 500);
    const requests = path.join(run, 'shop-requests.log');
    for (const until = Date.now() + 5000; Date.now() < until && !(existsSync(requests) && readFileSync(requests, 'utf8').includes('\n')); ) await sleep(50);
    assert.match(readFileSync(requests, 'utf8'), /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/throw HTTP\/1\.1" 500 \d+ "-" "probe\/1" \d+ms\n$/);
    assert.equal(statSync(requests).mode & 0o777, 0o640);
    // logdate: uWSGI's date heads the server's lines
    assert.match(sup.log, /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} - /m);
    const stats = await request(statsPort, '/');
    assert.equal(JSON.parse(stats.body).workers.length, 4);
    assert.ok(existsSync(path.join(run, 'shop.pid')));
    sup.signal('SIGTERM');
    assert.equal(await sup.waitExit(20000), 0, 'die-on-term: a graceful shutdown');
    assert.ok(!existsSync(path.join(run, 'shop.pid')), 'vacuum removed the pidfile');
  });
});

describe('buffer-size and limit-post', () => {
  test('a head over buffer-size gets 431 and a body over limit-post 413; the worker lives and serves the next request', async () => {
    const { sup, port } = await startApp({ app: 'fetch-handler.mjs', processes: 1, ini: 'buffer-size = 4096\nlimit-post = 65536\n' });
    const pid = sup.workerPids().get(1)!;
    const head = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(6000)}\r\n\r\n`, 5000);
    assert.match(head.data, /^HTTP\/1\.1 431 /);
    assert.ok(head.closedAfter !== undefined, 'its connection is closed');
    const fits = await request(port, '/', { headers: { cookie: 'c'.repeat(3000) } });
    assert.equal(fits.status, 200);
    const big = await request(port, '/upload', { method: 'POST', body: 'x'.repeat(4 * 1024 * 1024), ms: 10000 });
    assert.equal(big.status, 413);
    assert.equal(big.body, 'Payload Too Large\n');
    const chunked = await exchange(port, `POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${`4000\r\n${'y'.repeat(0x4000)}\r\n`.repeat(8)}`, 5000);
    assert.match(chunked.data, /^HTTP\/1\.1 413 /);
    const small = await request(port, '/upload', { method: 'POST', body: 'x'.repeat(65536) });
    assert.deepEqual([small.status, small.body.slice(0, 11)], [201, 'echo 65536 ']);
    assert.match(sup.log, /the body of POST \/upload is over limit-post \(65536 bytes\): 413/);
    assert.ok(isAlive(pid));
    assert.deepEqual([...sup.workerPids()], [[1, pid]], 'the same worker throughout');
    await sup.kill();
  });

  test("by default a head may reach 16 KiB (Node's) and a body has no limit", async () => {
    const { sup, port } = await startApp({ app: 'fetch-handler.mjs', processes: 1 });
    assert.equal((await request(port, '/', { headers: { cookie: 'c'.repeat(12000) } })).status, 200);
    assert.match((await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20000)}\r\n\r\n`, 5000)).data, /^HTTP\/1\.1 431 /);
    const big = await request(port, '/', { method: 'POST', body: 'x'.repeat(4 * 1024 * 1024), ms: 10000 });
    assert.deepEqual([big.status, big.body.slice(0, 13)], [201, 'echo 4194304 ']);
    await sup.kill();
  });
});

describe('touch-chain-reload and touch-workers-reload', () => {
  test('touching the file replaces the workers one at a time, in slot order, with no failed request under load', async () => {
    const dir = tmp();
    const file = path.join(dir, 'chain');
    writeFileSync(file, '');
    const { sup, port } = await startApp({ processes: 3, ini: `touch-chain-reload = ${file}\n` });
    const before = sup.workerPids();
    const gen = load(port, { connections: 16, keepAlive: true, maxMs: 40000 });
    await sleep(1100);
    touch(file);
    await sup.waitFor(/has been touched\.\.\. chain reload !!!/, 5000);
    await sup.waitFor(/chain reloading complete/, 30000);
    const r = await gen.stop();
    assert.equal(r.failed, 0, JSON.stringify([...r.errors, ...r.statuses]));
    assert.ok(r.ok > 0);
    const order = [...sup.log.matchAll(/chain next victim is worker (\d)|Respawned tsgi worker (\d)/g)].map((m) => (m[1] ? `v${m[1]}` : `r${m[2]}`));
    assert.deepEqual(order, ['v1', 'r1', 'v2', 'r2', 'v3', 'r3'], 'each victim only after the previous successor');
    const after = sup.workerPids();
    for (const id of [1, 2, 3]) assert.notEqual(after.get(id), before.get(id));
    await sup.kill();
  });

  test('touch-workers-reload replaces the workers without re-reading the file', async () => {
    const dir = tmp();
    const file = path.join(dir, 'workers');
    const { sup, port } = await startApp({ processes: 1, ini: `touch-workers-reload = ${file}\n` });
    const first = pidOf((await request(port, '/')).body);
    await sleep(1100);
    touch(file);
    await sup.waitFor(/has been touched\.\.\. workers reload !!!/, 5000);
    await sup.waitFor(/reload complete/, 15000);
    assert.notEqual(pidOf((await request(port, '/')).body), first);
    await sup.kill();
  });
});

describe('reload-mercy', () => {
  /** A request the app answers after `ms`, left in flight; resolves with what became of it. */
  const stuck = (port: number, ms: number): Promise<string> =>
    request(port, `/sleep?ms=${ms}`, { ms: 60000 }).then(
      (r) => `answered ${r.status}`,
      (e: NodeJS.ErrnoException) => `failed ${e.code ?? e.message}`,
    );

  test('a worker stuck in a request is killed reload-mercy after a graceful reload, not worker-reload-mercy', async () => {
    const { sup, port } = await startApp({ processes: 1, ini: 'worker-reload-mercy = 60\nreload-mercy = 2\n' });
    const old = sup.workerPids().get(1)!;
    const pending = stuck(port, 45000);
    await sleep(300);
    const t0 = Date.now();
    sup.signal('SIGHUP');
    await sup.waitFor(new RegExp(`worker 1 \\(pid: ${old}\\) is taking too much time to die\\.\\.\\.NO MERCY !!!`), 15000);
    await sup.waitFor(/reload complete/, 15000);
    const took = Date.now() - t0;
    assert.ok(took < 12000, `the old worker went ${took} ms after the reload`);
    assert.ok(took >= 2000, `not before reload-mercy (${took} ms)`);
    assert.equal(isAlive(old), false);
    assert.match(await pending, /^failed/);
    assert.equal((await request(port, '/')).status, 200, 'the new worker serves');
    await sup.kill();
  });

  test('a graceful shutdown with a stuck worker ends within reload-mercy', async () => {
    const { sup, port } = await startApp({ processes: 2, ini: 'die-on-term = true\nworker-reload-mercy = 60\nreload-mercy = 2\n' });
    const pending = stuck(port, 45000);
    await sleep(300);
    const t0 = Date.now();
    sup.signal('SIGTERM');
    assert.equal(await sup.waitExit(15000), 0);
    const took = Date.now() - t0;
    assert.ok(took < 12000 && took >= 2000, `shutdown took ${took} ms`);
    assert.match(await pending, /^failed/);
    assert.match(sup.log, /NO MERCY/);
  });

  test('a recycle keeps worker-reload-mercy: a stuck request outlives reload-mercy when max-requests retires its worker', async () => {
    const { sup, port } = await startApp({ processes: 1, ini: 'worker-reload-mercy = 8\nreload-mercy = 1\nmax-requests = 2\nmin-worker-lifetime = 0\n' });
    const old = sup.workerPids().get(1)!;
    const pending = stuck(port, 3000);
    const retired = new RegExp(`The work of process ${old} is done|Gracefully killing worker 1 \\(pid: ${old}\\)`);
    // the stuck request counts once it ends: two more reach max-requests
    for (let i = 0; i < 2 && !retired.test(sup.log); i++) await request(port, '/');
    await sup.waitFor(retired, 15000);
    await sup.waitFor(new RegExp(`worker 1 killed successfully \\(pid: ${old}\\)`), 15000);
    assert.equal(await pending, 'answered 200', 'the recycled worker finished its request past reload-mercy');
    assert.doesNotMatch(sup.log, /NO MERCY/);
    await sup.kill();
  });
});
