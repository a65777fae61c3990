/**
 * systemd's notify protocol, end to end: a fake NOTIFY_SOCKET receiver (a unix
 * datagram socket, which Node cannot bind, so python3 holds it) records what
 * the real supervise sends through systemd-notify.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { FIXTURES, Supervise, freePort, killAll, sleep, tmp, writeIni } from './harness.js';

after(killAll);

const RECEIVER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('bound', flush=True)
while True:
    print(s.recv(65536).decode().replace('\\n', ' '), flush=True)
`;

const python = spawnSync('python3', ['--version']).status === 0;
const why = !python ? 'python3 is needed to hold a unix datagram socket' : !existsSync('/usr/bin/systemd-notify') ? 'no /usr/bin/systemd-notify' : false;

describe('systemd notify', () => {
  test('READY=1 at start, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on stop, WATCHDOG=1 at half WATCHDOG_USEC', { skip: why }, async () => {
    const dir = tmp();
    const sock = path.join(dir, 'notify.sock');
    const receiver = spawn('python3', ['-c', RECEIVER, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
    let heard = '';
    receiver.stdout!.setEncoding('utf8').on('data', (d: string) => (heard += d));
    try {
      for (let i = 0; i < 100 && !heard.includes('bound'); i++) await sleep(50);
      const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${await freePort()}\nprocesses = 2\ndisable-logging = true\n`);
      const sup = new Supervise(['--ini', ini], { env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '1000000' } });
      const lines = (): string[] => heard.split('\n').filter((l) => l && l !== 'bound' && l !== 'BARRIER=1');
      const waitHeard = async (re: RegExp, from = 0): Promise<number> => {
        for (let i = 0; i < 200; i++) {
          const at = lines().findIndex((l, j) => j >= from && re.test(l));
          if (at >= 0) return at;
          await sleep(50);
        }
        throw new Error(`not heard ${re}: ${lines().join(' | ')}`);
      };
      const ready = await waitHeard(/^READY=1 STATUS=ready: 2 worker\(s\) ready/);
      const pingsBefore = lines().filter((l) => l === 'WATCHDOG=1').length;
      await sleep(2100);
      const pings = lines().filter((l) => l === 'WATCHDOG=1').length - pingsBefore;
      assert.ok(pings >= 3 && pings <= 6, `${pings} watchdog pings in 2.1 s at WATCHDOG_USEC = 1 s`);
      sup.signal('SIGHUP');
      const reloading = await waitHeard(/^RELOADING=1 MONOTONIC_USEC=\d+ STATUS=reloading/, ready + 1);
      await waitHeard(/^READY=1 STATUS=ready/, reloading + 1);
      sup.signal('SIGINT');
      await waitHeard(/^STOPPING=1 STATUS=shutting down/);
      assert.equal(await sup.waitExit(10000), 0);
    } finally {
      receiver.kill('SIGKILL');
    }
  });
});
