import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bindHost, listenOn, parseSocketAddress, fileIdentity, removeOwnSocket, removeStaleSocket } from './address.js';

test('addresses are read by the config rules: a path with a colon stays a unix socket', () => {
  assert.deepEqual(parseSocketAddress('127.0.0.1:9090'), { kind: 'tcp', host: '127.0.0.1', port: 9090 });
  assert.deepEqual(parseSocketAddress(':0'), { kind: 'tcp', host: '', port: 0 });
  assert.deepEqual(parseSocketAddress('[::1]:80'), { kind: 'tcp', host: '::1', port: 80 });
  assert.deepEqual(parseSocketAddress('/run/app:80'), { kind: 'unix', path: '/run/app:80' });
  assert.deepEqual(parseSocketAddress('stats.sock'), { kind: 'unix', path: 'stats.sock' });
  assert.equal(bindHost(''), '0.0.0.0');
  assert.throws(() => parseSocketAddress('localhost'), { code: 'TSGI_BIND_FAILED' });
});

test('listenOn replaces a stale unix socket, refuses a live one, applies the mode, and leaves other files alone', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsgi-net-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'a.sock');
  const first = net.createServer();
  t.after(() => first.close());
  const { fileId } = await listenOn(first, { kind: 'unix', path: file }, { mode: undefined });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(fileIdentity(file), fileId);
  // something answers there: another instance's socket is never taken over
  await assert.rejects(listenOn(net.createServer(), { kind: 'unix', path: file }, { mode: undefined }), { code: 'TSGI_SOCKET_IN_USE' });
  assert.equal(fileIdentity(file), fileId);
  // closed, its file stays behind as a killed master's would: stale, so it is replaced
  await new Promise((r) => first.close(r));
  const server = net.createServer();
  t.after(() => server.close());
  await listenOn(server, { kind: 'unix', path: file }, { mode: 0o660, backlog: 16 });
  assert.equal(statSync(file).mode & 0o777, 0o660);
  assert.equal(removeOwnSocket(file, fileId), false, 'the first inode is gone: not ours to remove');

  const data = path.join(dir, 'data.txt');
  writeFileSync(data, 'keep me');
  await removeStaleSocket(data);
  assert.equal(statSync(data).isFile(), true);
  const refused = net.createServer();
  t.after(() => refused.close());
  await assert.rejects(listenOn(refused, { kind: 'unix', path: data }, { mode: undefined }), { code: 'EADDRINUSE' });
  assert.equal(readFileSync(data, 'utf8'), 'keep me');
});

test('listenOn on tcp binds every interface for an empty host', async (t) => {
  const server = net.createServer();
  t.after(() => server.close());
  await listenOn(server, parseSocketAddress(':0'), { mode: undefined });
  const bound = server.address() as net.AddressInfo;
  assert.equal(bound.address, '0.0.0.0');
  assert.ok(bound.port > 0);
});
