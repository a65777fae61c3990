import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { FIXTURES, Supervise, freePort, killAll, tmp, writeIni } from './harness.js';
import { encodeUwsgiPacket } from '@tsgi/supervisor/uwsgi';
import { uwsgiVars } from './uwsgi-client.js';
import { assertReloadCloses, openWs } from './ws-client.js';

after(killAll);

async function start(app: string, processes: number) {
  const port = await freePort();
  const ini = writeIni(tmp(), `[tsgi]\napp = ${path.join(FIXTURES, app)}\nsocket = 127.0.0.1:${port}\nprocesses = ${processes}\ndisable-logging = true\nwebsocket-drain = 1\n`);
  const sup = new Supervise(['--ini', ini]);
  await sup.waitReady(processes);
  return { sup, port };
}

describe('WebSockets over the uwsgi protocol (a `socket` behind uwsgi_pass)', { timeout: 60000 }, () => {
  test('the handshake rides in HTTP_UPGRADE/HTTP_CONNECTION: 101 with the right accept key, then a raw tunnel', async () => {
    const { sup, port } = await start('websocket-upgrade.mjs', 1);
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const head = `GET /ws HTTP/1.1\r\nHost: example.org\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13`;
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const c = net.connect(port, '127.0.0.1', () => c.write(encodeUwsgiPacket(uwsgiVars(head, port))));
      const bound = setTimeout(() => c.destroy(new Error(`no answer: ${Buffer.concat(chunks).toString('latin1')}`)), 5000);
      c.on('error', reject);
      c.on('close', () => {
        clearTimeout(bound);
        reject(new Error(`closed after: ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`));
      });
      c.on('data', (d: Buffer) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (all.length === end + 4) {
          // a masked text frame "hi" (RFC 6455, 5.3): the server answers "<pid> hi"
          const mask = Buffer.from([1, 2, 3, 4]);
          c.write(Buffer.concat([Buffer.from([0x81, 0x82]), mask, Buffer.from([0x68 ^ 1, 0x69 ^ 2])]));
        } else if (all.length > end + 4 + 2 && all.length >= end + 4 + 2 + all[end + 5]!) {
          resolve(all);
          c.destroy();
        }
      });
    });
    const text = answer.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    // RFC 6455's own example key and accept value
    assert.match(text, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/i);
    const frame = answer.subarray(answer.indexOf('\r\n\r\n') + 4);
    assert.equal(frame[0], 0x81);
    assert.equal(frame.subarray(2, 2 + frame[1]!).toString(), `${sup.workerPids().get(1)} hi`);
    await sup.kill();
  });

  test('ws through setup(server): echo, 1001 on SIGHUP for each, none reset, reconnects reach the new workers', async () => {
    const { sup, port } = await start('websocket-setup.mjs', 2);
    await assertReloadCloses(sup, () => openWs(port, '/ws', { uwsgi: true }), 8);
    await sup.kill();
  });
});
