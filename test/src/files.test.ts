/**
 * Files that cannot be turned against root (docs/security.md, "the app user against
 * root"): the pidfile, vacuum after the drop, and the control commands. Every test
 * here runs as root, as a system service would, and is skipped with a message otherwise.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Supervise, isAlive, killAll, startApp, tmp } from './harness.js';

after(killAll);

const ROOT_ONLY = process.getuid?.() === 0 ? false : 'needs root: plants files as nobody and starts supervise as root';
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

describe('pidfile', { skip: ROOT_ONLY }, () => {
  test('a symlink planted at the pidfile: its root-owned target is untouched, the link is replaced by a file owned by the app user', async () => {
    const { parent, dir } = appUserDir();
    const victim = path.join(parent, 'victim');
    writeFileSync(victim, 'root:IMPORTANT\n', { mode: 0o600 });
    const pidfile = path.join(dir, 'app.pid');
    symlinkSync(victim, pidfile);
    const { sup } = await startApp({ processes: 1, ini: `pidfile = ${pidfile}\nuid = nobody\ngid = nogroup\n` });
    assert.equal(readFileSync(victim, 'utf8'), 'root:IMPORTANT\n');
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
    const second = await startApp({ processes: 1, ini: `pidfile = ${pidfile}\n` }).catch((e: Error) => e);
    assert.ok(second instanceof Error, 'the second supervise did not start');
    assert.match(second.message, /TSGI_PIDFILE_LIVE/);
    assert.doesNotMatch(second.message, /spawned tsgi worker/);
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
