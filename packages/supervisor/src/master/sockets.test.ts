import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { bindSocket, listenSockets } from './sockets.js';

test('bound sockets listen after the helper exits: a client connects though nobody accepts', async (t) => {
  const s = await bindSocket('127.0.0.1:0', 'http', 16, undefined);
  t.after(() => s.close());
  assert.equal(s.kind, 'tcp');
  assert.ok(s.port > 0);
  listenSockets([s]);
  const client = net.connect(s.port, '127.0.0.1');
  t.after(() => client.destroy());
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
});
