import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { bindSocket, listenSockets, type BoundSocket } from '../master/sockets.js';
import type { WorkerRecord } from '../master/worker-table.js';
import { CheapMode } from './cheap-mode.js';
import { WAKER_MERCY_MS, type Waker } from './waker.js';

async function listening(t: { after(fn: () => void): void }): Promise<BoundSocket> {
  const s = await bindSocket('127.0.0.1:0', 'http', 16, undefined);
  t.after(() => s.close());
  listenSockets([s]);
  return s;
}

/** A ready worker that records the connections it is handed. */
function fakeWorker(): { worker: WorkerRecord; handed: net.Socket[] } {
  const handed: net.Socket[] = [];
  const child = { connected: true, send: (_m: unknown, socket: net.Socket) => handed.push(socket) };
  return { worker: { child } as unknown as WorkerRecord, handed };
}

const wakerChild = (cheap: CheapMode): ChildProcess => (cheap as unknown as { waker: Waker }).waker.child;

test('the waker rings on a connection, hands it to the first ready worker, and exits by itself when told to stop', async (t) => {
  const s = await listening(t);
  let rings = 0;
  const cheap = new CheapMode(() => rings++);
  t.after(() => cheap.close());
  cheap.tend([s], 0);
  const child = wakerChild(cheap);
  const client = net.connect(s.port, '127.0.0.1');
  t.after(() => client.destroy());
  for (let i = 0; i < 100 && rings === 0; i++) await sleep(50);
  assert.equal(rings, 1);
  const { worker, handed } = fakeWorker();
  t.after(() => handed.forEach((h) => h.destroy()));
  const exited = once(child, 'exit');
  cheap.handOver(worker, Date.now());
  assert.equal(handed.length, 1);
  assert.deepEqual(await exited, [0, null]);
});

test('murder: a stopped waker that lingers is SIGKILLed at its deadline, not before', async (t) => {
  const s = await listening(t);
  const cheap = new CheapMode(() => undefined);
  t.after(() => cheap.close());
  cheap.tend([s], 0);
  const child = wakerChild(cheap);
  // a stopped process cannot obey the stop message: only the deadline ends it
  child.kill('SIGSTOP');
  const before = Date.now();
  cheap.handOver(fakeWorker().worker, Date.now());
  cheap.murder(before);
  await sleep(100);
  assert.equal(child.exitCode, null);
  assert.equal(child.signalCode, null);
  const exited = once(child, 'exit');
  cheap.murder(Date.now() + WAKER_MERCY_MS);
  assert.deepEqual(await exited, [null, 'SIGKILL']);
});
