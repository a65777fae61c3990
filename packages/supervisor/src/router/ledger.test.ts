import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { marked, parseWorkerMessage } from '../protocol.js';
import { CHANNEL_END_POLL_MS, CHANNEL_END_WAIT_MS, HandoffLedger, channelEnded } from './ledger.js';
import { NO_HANDOFFS } from './pick.js';

test('HandoffLedger: a hand-off is untaken until its acknowledgement, oldest first; taken and not yet counted by the worker is busy', () => {
  const ledger = new HandoffLedger<object, string>();
  const w = {};
  assert.deepEqual(ledger.view(w, 5), NO_HANDOFFS, 'never handed anything');
  ledger.handed(w, 'a', 10);
  ledger.handed(w, 'b', 12);
  ledger.handed(w, 'c', 20);
  assert.deepEqual(ledger.view(w, 30), { unacked: 3, unackedMs: 20, busy: undefined, silentMs: 20 });
  assert.equal(ledger.acked(w, 31), 'a');
  assert.equal(ledger.acked(w, 32), 'b');
  assert.deepEqual(ledger.view(w, 35), { unacked: 1, unackedMs: 15, busy: 2, silentMs: 3 }, 'the first two taken, busy until the worker says');
  ledger.loaded(w, 2, 1, 36);
  assert.deepEqual(ledger.view(w, 37), { unacked: 1, unackedMs: 17, busy: 1, silentMs: 1 }, 'one of them done');
  assert.equal(ledger.acked(w, 38), 'c');
  ledger.loaded(w, 3, 0, 40);
  assert.deepEqual(ledger.view(w, 41), { unacked: 0, unackedMs: 0, busy: 0, silentMs: 1 });
  assert.equal(ledger.acked(w, 42), undefined, 'an acknowledgement of nothing handed');
});

test('HandoffLedger: a lost send is nobody’s to take; a refused one goes again; a gone worker’s are returned; counts that go back or run ahead are ignored', () => {
  const ledger = new HandoffLedger<object, number>();
  const w = {};
  ledger.handed(w, 1, 1);
  ledger.handed(w, 2, 2);
  ledger.handed(w, 3, 3);
  assert.equal(ledger.lost(w, 2), true);
  assert.equal(ledger.lost(w, 2), false, 'once');
  assert.equal(ledger.view(w, 4).unacked, 2);
  assert.equal(ledger.refused(w), 1, 'the oldest came without its descriptor');
  assert.equal(ledger.acked(w, 5), 3);
  ledger.loaded(w, 1, 1, 6);
  assert.deepEqual(ledger.view(w, 7), { unacked: 0, unackedMs: 0, busy: 1, silentMs: 1 });
  ledger.loaded(w, 0, 9, 8);
  assert.equal(ledger.view(w, 9).busy, 1, 'a count going back is ignored');
  ledger.loaded(w, 50, 0, 10);
  assert.equal(ledger.view(w, 11).busy, 1, 'a count past what was acknowledged is ignored');
  ledger.handed(w, 4, 12);
  ledger.handed(w, 5, 13);
  assert.deepEqual(ledger.forget(w), [4, 5]);
  assert.deepEqual(ledger.view(w, 14), NO_HANDOFFS);
  assert.equal(ledger.lost({}, 1), false, 'a worker never handed anything: nothing to do');
});

test("a worker's `load` message is checked on the wire: two whole counts", () => {
  assert.deepEqual(parseWorkerMessage(marked({ t: 'load', taken: 3, busy: 0 })), { t: 'load', taken: 3, busy: 0 });
  for (const [taken, busy] of [[-1, 0], [1.5, 0], [1, Number.NaN], [1, Infinity], ['1', 0], [1, null], [undefined, 0]]) {
    assert.equal(parseWorkerMessage(marked({ t: 'load', taken, busy })), undefined, `${taken} ${busy}`);
  }
  assert.equal(parseWorkerMessage({ t: 'load', taken: 1, busy: 1 }), undefined, 'unmarked: the app’s own');
});

/** A child process as channelEnded sees it: its events, and `connected` set by hand. */
class FakeChild extends EventEmitter {
  connected = true;
}

test('channelEnded: exit before the channel is read to its end waits for the end; an end that never reads is bounded; disconnect alone ends it; once', async () => {
  // 'exit' first, the channel's end of file read later, with no 'disconnect' (Node holds it back while a handle waits)
  const a = new FakeChild();
  let endsA = 0;
  channelEnded(a, () => void endsA++);
  a.emit('exit');
  await sleep(3 * CHANNEL_END_POLL_MS);
  assert.equal(endsA, 0, 'not while the channel may still hold acknowledgements');
  a.connected = false;
  await sleep(5 * CHANNEL_END_POLL_MS);
  assert.equal(endsA, 1, 'once the channel reads as closed');
  // the channel's end first, then 'exit'
  const b = new FakeChild();
  let endsB = 0;
  channelEnded(b, () => void endsB++);
  b.connected = false;
  b.emit('exit');
  await sleep(2 * CHANNEL_END_POLL_MS);
  assert.equal(endsB, 1);
  // 'disconnect', then 'exit': one call
  const c = new FakeChild();
  let endsC = 0;
  channelEnded(c, () => void endsC++);
  c.connected = false;
  c.emit('disconnect');
  c.emit('exit');
  await sleep(2 * CHANNEL_END_POLL_MS);
  assert.equal(endsC, 1);
  // a channel that never reads as closed after 'exit': bounded
  const d = new FakeChild();
  let endsD = 0;
  channelEnded(d, () => void endsD++);
  d.emit('exit');
  await sleep(CHANNEL_END_WAIT_MS + 10 * CHANNEL_END_POLL_MS);
  assert.equal(endsD, 1, `ended within ${CHANNEL_END_WAIT_MS} ms of the exit`);
});
