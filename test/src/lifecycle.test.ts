import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { FIXTURES, Supervise, freePort, isAlive, load, request, sleep, tmp, writeIni , killAll, startApp } from './harness.js';

after(killAll);

const start = (processes: number, extra = '') => startApp({ processes, ini: extra });

describe('workers die and come back', () => {
  test('kill -9 of a worker: respawned into the same slot, the others untouched', async () => {
    const { sup, port } = await start(3);
    const before = sup.workerPids();
    assert.equal(before.size, 3);
    const victim = before.get(2)!;
    process.kill(victim, 'SIGKILL');
    const m = await sup.waitFor(/Respawned tsgi worker (\d+) \(new pid: (\d+)\)/);
    assert.equal(m[1], '2');
    assert.match(sup.log, new RegExp(`DAMN ! worker 2 \\(pid: ${victim}\\) died, killed by signal 9 :\\( trying respawn \\.\\.\\.`));
    await sup.waitReady(4);
    const afterPids = sup.workerPids();
    assert.equal(afterPids.get(1), before.get(1));
    assert.equal(afterPids.get(3), before.get(3));
    assert.notEqual(afterPids.get(2), victim);
    assert.ok(isAlive(before.get(1)!) && isAlive(before.get(3)!));
    assert.equal((await request(port, '/')).status, 200);
    // the respawned worker knows its slot id
    let sawTwo = false;
    for (let i = 0; i < 60 && !sawTwo; i++) sawTwo = (await request(port, '/')).body.startsWith('esm node 2 ');
    assert.ok(sawTwo, 'slot 2 serves again with TSGI_WORKER_ID=2');
    await sup.kill();
  });

  test('kill -9 of the master: no worker alive 1 s later, even one stuck in a busy loop', async () => {
    const { sup, port } = await start(2);
    const workers = [...sup.workerPids().values()];
    // keep one worker's event loop busy so only the watchdog can notice
    const busy = request(port, '/spin?ms=3000').catch(() => undefined);
    await sleep(100);
    process.kill(sup.pid, 'SIGKILL');
    await sup.waitExit(2000);
    await sleep(1000);
    for (const pid of workers) assert.equal(isAlive(pid), false, `worker ${pid} outlived its master`);
    await busy;
  });

  test('kill -9 of a master whose workers are paused (SIGTSTP): none left stopped, holding the sockets, 1 s later', async () => {
    const { sup } = await start(2);
    const workers = [...sup.workerPids().values()];
    sup.signal('SIGTSTP');
    await sup.waitFor(/\*\*\* worker 2 suspended \*\*\*/);
    // the log line comes as SIGSTOP is sent: the kernel stops the process a moment later
    const stopped = (pid: number): boolean => /^T/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!);
    for (let i = 0; i < 50 && !workers.every(stopped); i++) await sleep(20);
    for (const pid of workers) assert.ok(stopped(pid), `worker ${pid} is stopped`);
    process.kill(sup.pid, 'SIGKILL');
    await sup.waitExit(2000);
    await sleep(1000);
    for (const pid of workers) assert.equal(isAlive(pid), false, `paused worker ${pid} outlived its master`);
  });
});

describe('pidfile and control commands', () => {
  test('--reload pidfile reloads, --stop pidfile stops, vacuum removes the pidfile', async () => {
    const dir = tmp();
    const pidfile = path.join(dir, 'tsgi.pid');
    const { sup } = await start(1, `pidfile = ${pidfile}\nvacuum = true\n`);
    assert.equal(Number(readFileSync(pidfile, 'utf8').trim()), sup.pid);
    const first = sup.workerPids().get(1)!;
    const reload = new Supervise(['--reload', pidfile]);
    assert.equal(await reload.waitExit(), 0);
    await sup.waitFor(/Respawned tsgi worker 1 \(new pid: (\d+)\)/);
    await sup.waitFor(/reload complete/);
    assert.notEqual(sup.workerPids().get(1), first);
    const stop = new Supervise(['--stop', pidfile]);
    assert.equal(await stop.waitExit(), 0);
    assert.equal(await sup.waitExit(), 0);
    assert.match(sup.log, /goodbye to tsgi\./);
    assert.equal(existsSync(pidfile), false);
  });

  test('a missing pidfile is a clear error', async () => {
    const sup = new Supervise(['--stop', '/nonexistent/tsgi.pid']);
    assert.equal(await sup.waitExit(), 1);
    assert.match(sup.log, /cannot read pidfile \/nonexistent\/tsgi\.pid: no such file/);
    assert.doesNotMatch(sup.log, /\n\s+at /, 'no stack trace');
  });

  test('a pidfile naming a dead process is a clear error', async () => {
    const dir = tmp();
    const pidfile = writeIni(dir, '999999\n', 'stale.pid');
    const sup = new Supervise(['--reload', pidfile]);
    assert.equal(await sup.waitExit(), 1);
    assert.match(sup.log, /no process with pid 999999/);
  });
});

describe('shutdown', () => {
  test('SIGINT stops the workers and exits 0', async () => {
    const { sup } = await start(2);
    const workers = [...sup.workerPids().values()];
    sup.signal('SIGINT');
    assert.equal(await sup.waitExit(), 0);
    await sleep(200);
    for (const pid of workers) assert.equal(isAlive(pid), false);
  });

  test('SIGQUIT stops too', async () => {
    const { sup } = await start(1);
    sup.signal('SIGQUIT');
    assert.equal(await sup.waitExit(), 0);
  });

  test('die-on-term: SIGTERM is a graceful shutdown, in-flight requests finish, exit 0', async () => {
    const { sup, port } = await start(1, 'die-on-term = true\n');
    const slow = request(port, '/sleep?ms=800');
    await sleep(200);
    sup.signal('SIGTERM');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'slept 800\n');
    assert.equal(await sup.waitExit(), 0);
    assert.match(sup.log, /graceful shutdown triggered/);
  });

  test('keep-alive load while shutting down gracefully: every request answered', async () => {
    const { sup, port } = await start(2, 'die-on-term = true\n');
    const gen = load(port, { connections: 16, keepAlive: true });
    await sleep(500);
    sup.signal('SIGTERM');
    assert.equal(await sup.waitExit(), 0);
    const r = await gen.stop();
    // after the master is gone new connections are refused: only failures before exit count
    assert.ok(r.ok > 0);
  });
});

describe('pause', () => {
  test('SIGTSTP pauses every worker (status pause, connections wait), a second SIGTSTP resumes and they are served', async () => {
    const { sup, port, stats } = await startApp({ processes: 2, stats: true });
    sup.signal('SIGTSTP');
    await sup.waitFor(/\*\*\* worker 2 suspended \*\*\*/);
    const { readStats } = await import('@tsgi/stats-protocol');
    assert.deepEqual((await readStats(stats)).workers.map((w) => w.status), ['pause', 'pause']);
    let answered = false;
    const waiting = request(port, '/', { ms: 8000 }).finally(() => (answered = true));
    await sleep(700);
    assert.equal(answered, false, 'nobody serves while paused');
    sup.signal('SIGTSTP');
    await sup.waitFor(/resuming workers/);
    assert.equal((await waiting).status, 200);
    // the next report (every 250 ms) no longer counts the request in flight
    let statuses: string[] = [];
    for (let i = 0; i < 20; i++) {
      statuses = (await readStats(stats)).workers.map((w) => w.status);
      if (statuses.every((s) => s === 'idle')) break;
      await sleep(100);
    }
    assert.deepEqual(statuses, ['idle', 'idle']);
    await sup.kill();
  });
});

describe('daemonize', () => {
  test('daemonize = file: the command returns at once, the master runs detached and logs to the file', async () => {
    const { readFileSync, existsSync } = await import('node:fs');
    const dir = tmp();
    const logfile = path.join(dir, 'daemon.log');
    const port = await freePort();
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'commonjs.cjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 1\ndaemonize = ${logfile}\n`);
    const cmd = new Supervise(['--ini', ini]);
    assert.equal(await cmd.waitExit(5000), 0);
    assert.match(cmd.log, /daemonized \(pid: \d+\), logging to/);
    const text = (): string => (existsSync(logfile) ? readFileSync(logfile, 'utf8') : '');
    for (let i = 0; i < 100 && !/ready in \d+ ms/.test(text()); i++) await sleep(100);
    const master = Number(/spawned tsgi master process \(pid: (\d+)\)/.exec(text())?.[1]);
    const worker = Number(/spawned tsgi worker 1 \(pid: (\d+)/.exec(text())?.[1]);
    try {
      assert.ok(master > 0 && master !== cmd.pid);
      assert.equal((await request(port, '/')).body, 'cjs 1\n');
    } finally {
      for (const pid of [master, worker]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });
});

describe('scheduling priority', () => {
  /** The nice value of a process, from /proc (field 19 of stat). */
  const niceOf = (pid: number): number => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  };

  test('prio sets the nice value of the master, worker-prio that of the workers; a reload gives new workers a new worker-prio', async () => {
    const { sup, port, ini } = await start(2, 'prio = 2\nworker-prio = 6\n');
    assert.match(sup.log, /scheduler priority set to 2/);
    assert.equal(niceOf(sup.pid), 2);
    const first = [...sup.workerPids().values()];
    for (const pid of first) assert.equal(niceOf(pid), 6, `worker ${pid}`);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(ini, readFileSync(ini, 'utf8').replace('worker-prio = 6', 'worker-prio = 9'));
    const from = sup.log.length;
    sup.signal('SIGHUP');
    await sup.waitFor(/reload complete/, 20000, from);
    const now = [...sup.workerPids().values()];
    assert.equal(now.filter((p) => first.includes(p)).length, 0, 'every worker replaced');
    for (const pid of now) assert.equal(niceOf(pid), 9, `new worker ${pid}`);
    assert.equal(niceOf(sup.pid), 2, 'the master keeps prio');
    assert.equal((await request(port, '/')).status, 200);
    await sup.kill();
  });
});
