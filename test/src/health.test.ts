import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, utimesSync, openSync, writeSync, closeSync } from 'node:fs';
import { readStats } from '@tsgi/stats-protocol';
import { FIXTURES, Supervise, freePort, isAlive, load, request, sleep, tmp, writeIni , killAll, startApp } from './harness.js';

after(killAll);

const start = (processes: number, extra: string, app = 'misbehaving.mjs') => startApp({ app, processes, stats: true, ini: extra });

const pidOf = (body: string): number => Number(body.trim().split(' ')[2]);

describe('recycling', () => {
  test('max-requests = 5, min-worker-lifetime = 0: no worker serves more than 5, the pid changes, no request fails', async () => {
    const { sup, port } = await start(1, 'max-requests = 5\nmin-worker-lifetime = 0\n');
    const pids: number[] = [];
    for (let i = 0; i < 15; i++) {
      const r = await request(port, '/');
      assert.equal(r.status, 200);
      pids.push(pidOf(r.body));
    }
    const served = new Map<number, number>();
    for (const pid of pids) served.set(pid, (served.get(pid) ?? 0) + 1);
    for (const [pid, n] of served) assert.ok(n <= 5, `pid ${pid} served ${n}: ${pids.join(',')}`);
    assert.ok(served.size >= 3, pids.join(','));
    // each worker either reached 5 and stopped (uWSGI's way) or was retired once its successor was ready
    assert.match(sup.log, /The work of process \d+ is done \(max requests reached \(5 >= 5\)\)\. Seeya!|nears max-requests/);
    assert.match(sup.log, /worker 1 killed successfully \(pid: \d+\)/);
    await sup.kill();
  });

  test('max-requests with one worker under load: the successor is ready before its predecessor stops accepting', async () => {
    const { sup, port, stats } = await start(1, 'max-requests = 3000\nmin-worker-lifetime = 0\n');
    const first = [...sup.workerPids().values()][0]!;
    const gen = load(port, { connections: 8, keepAlive: true });
    const m = await sup.waitFor(new RegExp(`worker 1 \\(pid: ${first}\\) nears max-requests`), 20000);
    const from = m.index!;
    await sup.waitFor(new RegExp(`Gracefully killing worker 1 \\(pid: ${first}\\)`), 10000, from);
    const r = await gen.stop();
    assert.equal(r.failed, 0, JSON.stringify([...r.errors, ...r.statuses]));
    const after = sup.log.slice(from);
    const ready = after.search(/ready in \d+ ms on worker 1 \(pid: \d+\)/);
    const retired = after.search(new RegExp(`Gracefully killing worker 1 \\(pid: ${first}\\)`));
    assert.ok(ready >= 0 && ready < retired, `the successor was ready first:\n${after.slice(0, 2000)}`);
    assert.doesNotMatch(after.slice(0, retired), new RegExp(`The work of process ${first} is done`), 'it never had to stop on its own');
    const doc = await readStats(stats);
    assert.equal(doc.workers[0]!.recycle_reason, 'max-requests');
    await sup.kill();
  });

  test('reload-on-rss: a leaking app recycles after the request that crossed the limit', async () => {
    const { sup, port, stats } = await start(1, 'reload-on-rss = 120\nmin-worker-lifetime = 0\n');
    const first = pidOf((await request(port, '/')).body);
    assert.equal((await request(port, '/leak?mb=150')).status, 200);
    await sup.waitFor(/The work of process \d+ is done \(rss \d+ > \d+\)/);
    await sup.waitFor(/Respawned tsgi worker 1/);
    await sup.waitReady(2);
    const next = pidOf((await request(port, '/')).body);
    assert.notEqual(next, first);
    assert.equal((await readStats(stats)).workers[0]!.recycle_reason, 'rss');
    await sup.kill();
  });

  test('reload-on-rss from the master: a worker that leaks after answering is replaced, successor first, with no request', async () => {
    const { sup, port, stats } = await start(1, 'reload-on-rss = 120\nmin-worker-lifetime = 0\n');
    const first = pidOf((await request(port, '/')).body);
    assert.equal((await request(port, '/leak-later?mb=150')).status, 200);
    await sup.waitFor(new RegExp(`worker 1 \\(pid: ${first}\\) rss \\d+ > \\d+: starting its successor \\(reload-on-rss\\)`), 10000);
    await sup.waitFor(new RegExp(`Gracefully killing worker 1 \\(pid: ${first}\\)`), 10000);
    assert.doesNotMatch(sup.log, /The work of process \d+ is done/, 'the worker itself saw nothing: no request came after the leak');
    // until its drain message arrives the old worker may still take a connection (and answer it): wait for it to go
    for (let i = 0; i < 100 && isAlive(first); i++) await sleep(50);
    assert.equal(isAlive(first), false, 'the leaking worker exited');
    const next = pidOf((await request(port, '/')).body);
    assert.notEqual(next, first);
    assert.equal((await readStats(stats)).workers[0]!.recycle_reason, 'rss');
    await sup.kill();
  });

  test('max-worker-lifetime: the worker is replaced, successor first, with no failed request under load', async () => {
    const { sup, port } = await start(2, 'max-worker-lifetime = 2\nmin-worker-lifetime = 1\n');
    const first = [...sup.workerPids().values()];
    const gen = load(port, { connections: 8, keepAlive: true });
    await sup.waitFor(/worker \d lifetime reached/, 6000);
    await sleep(1500);
    const r = await gen.stop();
    assert.equal(r.failed, 0, JSON.stringify([...r.errors]));
    const now = [...sup.workerPids().values()];
    assert.ok(first.some((p) => !now.includes(p)));
    await sup.kill();
  });

  test('evil-reload-on-rss kills at once from the master', async () => {
    const { sup, port } = await start(1, 'evil-reload-on-rss = 120\n');
    // "at once" means what it says: when the master's once-a-second reading lands between the
    // allocation and the answer, the leaking request itself is cut, as with uWSGI; both are fine here
    await request(port, '/leak?mb=150').catch((err: NodeJS.ErrnoException) => assert.equal(err.code, 'ECONNRESET'));
    await sup.waitFor(/\*\*\* EVIL RELOAD ON WORKER 1 RSS: \d+ \(pid: \d+\) \*\*\*/, 5000);
    await sup.waitFor(/DAMN ! worker 1 \(pid: \d+\) died, killed by signal 9/);
    await sup.kill();
  });
});

describe('harakiri', () => {
  test('harakiri = 2 with a handler that never returns, loop free: that request alone gets a 504 after about 2 s; the worker lives, harakiri_count 1', async () => {
    const { sup, port, stats } = await start(2, 'harakiri = 2\nharakiri-verbose = true\n');
    const pids = [...sup.workerPids().values()];
    const t0 = Date.now();
    const hung = await request(port, '/hang', { ms: 8000 });
    const elapsed = Date.now() - t0;
    assert.equal(hung.status, 504);
    assert.ok(elapsed >= 1900 && elapsed < 4500, `504 after ${elapsed} ms`);
    await sup.waitFor(/HARAKIRI ON REQUEST GET \/hang \(older than 2 s\): 504, the worker goes on/);
    for (let i = 0; i < 10; i++) assert.equal((await request(port, '/')).status, 200);
    assert.doesNotMatch(sup.log, /HARAKIRI ON WORKER/, 'no worker killed: its neighbours were never at risk');
    assert.deepEqual([...sup.workerPids().values()], pids);
    let count = 0;
    for (let i = 0; i < 20 && count === 0; i++, await sleep(100)) count = (await readStats(stats)).workers.reduce((n, w) => n + w.harakiri_count, 0);
    assert.equal(count, 1);
    await sup.kill();
  });

  test('harakiri catches a worker whose event loop is blocked', async () => {
    const { sup, port } = await start(1, 'harakiri = 2\n');
    const pid = sup.workerPids().get(1)!;
    void request(port, '/spin', { ms: 8000 }).catch(() => undefined);
    await sup.waitFor(/HARAKIRI ON WORKER 1/, 6000);
    await sleep(300);
    assert.equal(isAlive(pid), false);
    await sup.waitReady(2);
    assert.equal((await request(port, '/')).status, 200);
    await sup.kill();
  });
});

describe('touch-reload and master-fifo', () => {
  test('touching the file reloads gracefully', async () => {
    const dir = tmp();
    const touch = path.join(dir, 'touchme');
    writeFileSync(touch, '');
    const { sup } = await start(1, `touch-reload = ${touch}\n`);
    const first = sup.workerPids().get(1);
    await sleep(1100);
    const t = new Date(Date.now() + 5000);
    utimesSync(touch, t, t);
    await sup.waitFor(/has been touched\.\.\. grace them all !!!/, 4000);
    await sup.waitFor(/reload complete/);
    assert.notEqual(sup.workerPids().get(1), first);
    await sup.kill();
  });

  test('master-fifo: w reloads the workers with the config in force, r re-reads it, q stops gracefully', async () => {
    const dir = tmp();
    const fifo = path.join(dir, 'master.fifo');
    const { sup, ini, stats } = await start(1, `master-fifo = ${fifo}\n`);
    const mode = spawnSync('stat', ['-c', '%a %F', fifo]).stdout.toString().trim();
    assert.equal(mode, '600 fifo');
    const write = (s: string): void => {
      const fd = openSync(fifo, 'w');
      writeSync(fd, s);
      closeSync(fd);
    };
    writeFileSync(ini, readFileSync(ini, 'utf8').replace('processes = 1', 'processes = 2'));
    const first = sup.workerPids().get(1);
    write('w');
    await sup.waitFor(/reload complete/);
    assert.notEqual(sup.workerPids().get(1), first, 'w replaced the worker');
    assert.equal((await readStats(stats)).workers.length, 1, 'w kept the config the master had');
    const mark = sup.log.length;
    write('r\n');
    await sup.waitFor(/reload complete/, 10000, mark);
    await sup.waitReady(2, 15000, mark);
    assert.equal((await readStats(stats)).workers.length, 2, 'r read the edited file');
    write('q');
    assert.equal(await sup.waitExit(), 0);
    assert.match(sup.log, /graceful shutdown triggered/);
  });
});

describe('mercy and scaling by hand', () => {
  test('worker-reload-mercy: a request outliving the mercy on reload gets its worker SIGKILLed', async () => {
    const { sup, port } = await start(1, 'worker-reload-mercy = 1\n');
    const hung = request(port, '/hang', { ms: 8000 }).then(
      () => 'answered',
      () => 'cut',
    );
    await sleep(200);
    const t0 = Date.now();
    sup.signal('SIGHUP');
    await sup.waitFor(/worker 1 \(pid: \d+\) is taking too much time to die\.\.\.NO MERCY !!!/, 5000);
    assert.ok(Date.now() - t0 < 4000);
    assert.equal(await hung, 'cut');
    await sup.waitFor(/reload complete/);
    await sup.kill();
  });

  test('SIGTTIN adds a worker up to processes, SIGTTOU retires an idle one down to cheaper', async () => {
    const { sup, stats } = await start(2, 'processes = 3\ncheaper = 1\ncheaper-algo = spare\ncheaper-overload = 30\ncheaper-initial = 2\n');
    const running = async (): Promise<number> => (await readStats(stats)).workers.filter((w) => w.pid > 0).length;
    assert.equal(await running(), 2);
    sup.signal('SIGTTIN');
    await sup.waitReady(3);
    assert.equal(await running(), 3);
    sup.signal('SIGTTIN');
    await sup.waitFor(/cannot add a worker: already at processes = 3/);
    sup.signal('SIGTTOU');
    await sup.waitFor(/cheaper: retiring worker \d \(idle\)/);
    sup.signal('SIGTTOU');
    const from = sup.log.length;
    await sup.waitFor(/cheaper: retiring worker \d \(idle\)/, 5000, from);
    sup.signal('SIGTTOU');
    await sup.waitFor(/cannot remove a worker: already at 1/);
    for (let i = 0; i < 40 && (await running()) !== 1; i++) await sleep(100);
    assert.equal(await running(), 1);
    await sup.kill();
  });
});

describe('logging', () => {
  test('logto sends the master log and the request log to a file', async () => {
    const dir = tmp();
    const file = path.join(dir, 'tsgi.log');
    const port = await freePort();
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 1\nlogto = ${file}\n`);
    const sup = new Supervise(['--ini', ini]);
    const { readFileSync, existsSync } = await import('node:fs');
    const logText = (): string => (existsSync(file) ? readFileSync(file, 'utf8') : '');
    for (let i = 0; i < 100 && !/ready in \d+ ms/.test(logText()); i++) await sleep(100);
    await request(port, '/logged');
    for (let i = 0; i < 20 && !/GET \/logged/.test(logText()); i++) await sleep(100);
    const text = logText();
    assert.match(text, /spawned tsgi worker 1/);
    assert.match(text, /GET \/logged => generated/);
    assert.doesNotMatch(sup.log, /spawned tsgi worker/, 'nothing on stderr');
    await sup.kill();
  });

  test('master-fifo l after logrotate moved the file: master, workers and request log go to the new file, no worker restarted, no request fails', async () => {
    const dir = tmp();
    const file = path.join(dir, 'tsgi.log');
    const fifo = path.join(dir, 'master.fifo');
    const port = await freePort();
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 2\nlogto = ${file}\nmaster-fifo = ${fifo}\n`);
    const sup = new Supervise(['--ini', ini]);
    const { readFileSync, existsSync, renameSync } = await import('node:fs');
    const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');
    const waitIn = async (f: string, re: RegExp, what: string): Promise<void> => {
      for (let i = 0; i < 150 && !re.test(read(f)); i++) await sleep(100);
      assert.match(read(f), re, what);
    };
    await waitIn(file, /ready in \d+ ms on worker 2/, 'both workers ready');
    await request(port, '/before');
    await waitIn(file, /GET \/before/, 'request logged');
    const spawned = (): string[] => [...(read(`${file}.1`) + read(file)).matchAll(/spawned tsgi worker \d+ \(pid: \d+|Respawned tsgi worker \d+/g)].map((m) => m[0]);
    const pids = spawned();
    assert.equal(pids.length, 2);
    renameSync(file, `${file}.1`); // what logrotate does
    const gen = load(port, { connections: 8, keepAlive: true });
    const fd = openSync(fifo, 'w');
    writeSync(fd, 'l');
    closeSync(fd);
    await waitIn(file, /tsgi\.log reopened\./, 'the master writes to the new file');
    const r = await gen.stop();
    assert.equal(r.failed, 0, JSON.stringify([...r.errors]));
    await request(port, '/after');
    await waitIn(file, /GET \/after/, 'the workers log requests to the new file');
    assert.deepEqual(spawned(), pids, 'no worker was restarted for it');
    assert.doesNotMatch(read(file) + read(`${file}.1`), /chain reload/);
    assert.doesNotMatch(read(`${file}.1`), /GET \/after/, 'nothing new in the rotated file');
    assert.match(read(`${file}.1`), /GET \/before/);
    await sup.kill();
  });
});

describe('chain reload (master-fifo c)', () => {
  test('workers are replaced one at a time, in slot order, with no failed request under load', async () => {
    const dir = tmp();
    const fifo = path.join(dir, 'master.fifo');
    const { sup, port } = await start(3, `master-fifo = ${fifo}\n`);
    const before = sup.workerPids();
    const gen = load(port, { connections: 16, keepAlive: true });
    await sleep(300);
    const fd = openSync(fifo, 'w');
    writeSync(fd, 'c');
    closeSync(fd);
    await sup.waitFor(/chain reloading complete/, 15000);
    const r = await gen.stop();
    assert.equal(r.failed, 0, JSON.stringify([...r.errors]));
    const victims = [...sup.log.matchAll(/chain next victim is worker (\d)/g)].map((m) => Number(m[1]));
    assert.deepEqual(victims, [1, 2, 3]);
    // one at a time: each victim is named only after the previous slot's successor was spawned
    const order = [...sup.log.matchAll(/chain next victim is worker (\d)|Respawned tsgi worker (\d)/g)].map((m) => (m[1] ? `v${m[1]}` : `r${m[2]}`));
    assert.deepEqual(order, ['v1', 'r1', 'v2', 'r2', 'v3', 'r3']);
    const after = sup.workerPids();
    for (const id of [1, 2, 3]) assert.notEqual(after.get(id), before.get(id));
    await sup.kill();
  });
});
