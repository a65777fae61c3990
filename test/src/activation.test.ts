/**
 * systemd socket activation: `systemd-socket-activate` binds and listens, then
 * starts supervise on the first connection with the socket as fd 3; the master
 * adopts it instead of binding, and that first connection is served.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { FIXTURES, SUPERVISE, freePort, killAll, request, sleep, tmp, writeIni } from './harness.js';

after(killAll);

const skip = existsSync('/usr/bin/systemd-socket-activate') ? false : 'no /usr/bin/systemd-socket-activate (systemd) here';

describe('socket activation', () => {
  test('systemd-socket-activate -l 127.0.0.1:PORT supervise …: served on the inherited socket, nothing bound again', { skip }, async () => {
    const dir = tmp();
    const port = await freePort();
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 2\ndisable-logging = true\n`);
    const act = spawn('/usr/bin/systemd-socket-activate', ['-l', `127.0.0.1:${port}`, process.execPath, SUPERVISE, '--ini', ini], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    act.stdout!.on('data', (d) => (log += d));
    act.stderr!.on('data', (d) => (log += d));
    try {
      for (let i = 0; i < 100 && !/Listening on/.test(log); i++) await sleep(50);
      // the first connection starts supervise, and waits in the inherited socket's backlog meanwhile
      const first = await request(port, '/', { ms: 15000 });
      assert.equal(first.status, 200, log);
      assert.match(log, /socket activation: 1 socket\(s\) inherited \(fd 3/);
      assert.doesNotMatch(log, /address already in use/);
      for (let i = 0; i < 20; i++) assert.equal((await request(port, '/')).status, 200);
    } finally {
      act.kill('SIGINT');
      await new Promise((r) => act.once('exit', r));
    }
  });
});
