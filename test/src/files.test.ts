/**
 * Files that cannot be turned against root (docs/security.md, "the app user against
 * root"): the pidfile, vacuum after the drop, and the control commands. Every test
 * here runs as root, as a system service would, and is skipped with a message otherwise.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { FIXTURES, Supervise, freePort, isAlive, killAll, startApp, tmp, writeIni } from './harness.js';
import { dropTestsSkip } from './harness.js';

after(killAll);

const ROOT_ONLY = dropTestsSkip('plants files as nobody and starts supervise as root');
const NOBODY = 65534;

/** A directory the app user (nobody) owns, inside a root-owned one others may traverse. */
function appUserDir(): { parent: string; dir: string } {
  const parent = tmp();
  chmodSync(parent, 0o755);
  const dir = path.join(parent, 'run');
  mkdirSync(dir);
  chownSync(dir, NOBODY, NOBODY);
  return { parent, dir };
}

const SECRET = 'root:IMPORTANT\n';

/**
 * Starts supervise on a fixture app with `ini` lines that must keep it from starting:
 * resolves with its log once it exited 1, having spawned no worker.
 */
async function startFails(ini: string): Promise<string> {
  const port = await freePort();
  const file = writeIni(tmp(), `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 1\n${ini}`);
  const sup = new Supervise(['--ini', file]);
  assert.equal(await sup.waitExit(15000), 1, sup.log);
  assert.doesNotMatch(sup.log, /spawned tsgi worker/);
  return sup.log;
}

/** A root-only file, and a symlink to it named `name` in the app user's directory, as the app user would plant it. */
function plantLink(name: string): { victim: string; link: string } {
  const { parent, dir } = appUserDir();
  const victim = path.join(parent, 'victim');
  writeFileSync(victim, SECRET, { mode: 0o600 });
  const link = path.join(dir, name);
  symlinkSync(victim, link);
  lchownSync(link, NOBODY, NOBODY);
  return { victim, link };
}

describe('pidfile', { skip: ROOT_ONLY }, () => {
  test('a symlink planted at the pidfile: its root-owned target is untouched, the link is replaced by a file owned by the app user', async () => {
    const { victim, link: pidfile } = plantLink('app.pid');
    const { sup } = await startApp({ processes: 1, ini: `pidfile = ${pidfile}\nuid = nobody\ngid = nogroup\n` });
    assert.equal(readFileSync(victim, 'utf8'), SECRET);
    assert.equal(lstatSync(victim).uid, 0);
    const st = lstatSync(pidfile);
    assert.ok(st.isFile(), 'the link itself was replaced');
    assert.equal(st.uid, NOBODY, 'owned by the user the master drops to');
    assert.equal(readFileSync(pidfile, 'utf8').trim(), String(sup.pid));
    await sup.kill();
  });

  test('a pidfile naming a live tsgi master: the second supervise starts nothing, the first keeps serving', async () => {
    const dir = tmp();
    const pidfile = path.join(dir, 'app.pid');
    const first = await startApp({ processes: 1, ini: `pidfile = ${pidfile}\n` });
    assert.match(await startFails(`pidfile = ${pidfile}\n`), /TSGI_PIDFILE_LIVE/);
    assert.equal(readFileSync(pidfile, 'utf8').trim(), String(first.sup.pid));
    assert.ok(isAlive(first.sup.pid));
    await first.sup.kill();
  });
});

describe('vacuum after the drop', { skip: ROOT_ONLY }, () => {
  test('removes what the app user may remove, logs the rest, exits 0', async () => {
    const { parent, dir } = appUserDir();
    const pidfile = path.join(parent, 'app.pid');
    const sock = path.join(dir, 'app.sock');
    const { sup } = await startApp({ processes: 1, ini: `pidfile = ${pidfile}\nsocket = ${sock}\nuid = nobody\ngid = nogroup\nvacuum = true\n` });
    assert.ok(existsSync(sock));
    sup.signal('SIGINT');
    assert.equal(await sup.waitExit(15000), 0, sup.log);
    assert.ok(!existsSync(sock), 'the socket in the app user\'s directory is removed');
    assert.match(sup.log, /vacuum: cannot remove pidfile .*EACCES/);
  });
});

describe('supervise --stop pidfile', { skip: ROOT_ONLY }, () => {
  test('a pid that is not a tsgi master is not signalled', async () => {
    const sleeper = spawn('sleep', ['1000'], { stdio: 'ignore' });
    try {
      const pidfile = path.join(tmp(), 'app.pid');
      writeFileSync(pidfile, `${sleeper.pid}\n`);
      const stop = new Supervise(['--stop', pidfile]);
      assert.equal(await stop.waitExit(), 1);
      assert.match(stop.log, /is not a tsgi master.*\[TSGI_NOT_A_MASTER\]/);
      assert.ok(isAlive(sleeper.pid!), 'sleep 1000 lives');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  test('a tsgi master is stopped', async () => {
    const pidfile = path.join(tmp(), 'app.pid');
    const { sup } = await startApp({ processes: 1, ini: `pidfile = ${pidfile}\n` });
    const stop = new Supervise(['--stop', pidfile]);
    assert.equal(await stop.waitExit(), 0, stop.log);
    assert.equal(await sup.waitExit(15000), 0);
  });
});

/** GET / over a unix socket: the status, or the error code. */
function getUnix(socketPath: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

describe('unix sockets', { skip: ROOT_ONLY }, () => {
  test('a live socket of another instance is never unlinked: the second supervise fails clearly, the first keeps serving', async () => {
    const sock = path.join(tmp(), 'app.sock');
    const first = await startApp({ processes: 1, ini: `http-socket = ${sock}\n` });
    assert.equal(await getUnix(sock), 200);
    const ino = lstatSync(sock).ino;
    assert.match(await startFails(`http-socket = ${sock}\n`), /unix socket .*app\.sock is in use.*\[TSGI_SOCKET_IN_USE\]/);
    assert.equal(lstatSync(sock).ino, ino);
    assert.equal(await getUnix(sock), 200);
    await first.sup.kill();
  });

  test('chown-socket and umask: the socket belongs to the front end\'s user, mode 0600; the pidfile follows the umask', async () => {
    const dir = tmp();
    const sock = path.join(dir, 'app.sock');
    const pidfile = path.join(dir, 'app.pid');
    const { sup } = await startApp({ processes: 1, ini: `http-socket = ${sock}\nchown-socket = nobody:nogroup\numask = 077\npidfile = ${pidfile}\n` });
    const st = statSync(sock);
    assert.equal(st.uid, NOBODY);
    assert.equal(st.gid, NOBODY);
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(statSync(pidfile).mode & 0o777, 0o600);
    assert.equal(await getUnix(sock), 200);
    await sup.kill();
  });
});

describe('log files', { skip: ROOT_ONLY }, () => {
  test('a symlink planted at logto is not followed: startup fails clearly, the root file is untouched', async () => {
    const { victim, link: log } = plantLink('app.log');
    assert.match(await startFails(`logto = ${log}\nuid = nobody\ngid = nogroup\n`), /cannot open log file .*symlink.*\[TSGI_LOGTO\]/);
    assert.equal(readFileSync(victim, 'utf8'), SECRET);
  });

  test('logto with uid: the log file belongs to the app user', async () => {
    const { dir } = appUserDir();
    const log = path.join(dir, 'app.log');
    const port = await freePort();
    const ini = writeIni(tmp(), `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 1\nlogto = ${log}\nuid = nobody\ngid = nogroup\n`);
    const sup = new Supervise(['--ini', ini]);
    await waitForFile(log, /ready in \d+ ms on worker/);
    assert.equal(statSync(log).uid, NOBODY);
    await sup.kill();
  });
});

async function waitForFile(file: string, re: RegExp, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(existsSync(file) && re.test(readFileSync(file, 'utf8')))) {
    if (Date.now() > deadline) throw new Error(`${file} never matched ${re}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('supervise --stop pidfile, daemonized', () => {
  test('a daemonized master (started as supervise/dist/main.js) is recognised and stopped', async () => {
    const dir = tmp();
    const logfile = path.join(dir, 'daemon.log');
    const pidfile = path.join(dir, 'app.pid');
    const port = await freePort();
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 1\ndaemonize = ${logfile}\npidfile = ${pidfile}\n`);
    assert.equal(await new Supervise(['--ini', ini]).waitExit(5000), 0);
    await waitForFile(logfile, /ready in \d+ ms on worker/);
    const master = Number(readFileSync(pidfile, 'utf8').trim());
    try {
      const stop = new Supervise(['--stop', pidfile]);
      assert.equal(await stop.waitExit(), 0, stop.log);
      for (let i = 0; i < 100 && isAlive(master); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(!isAlive(master), 'the master is gone');
    } finally {
      if (isAlive(master)) process.kill(master, 'SIGKILL');
    }
  });
});
