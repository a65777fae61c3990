import assert from 'node:assert/strict';
import { test } from 'node:test';
import { marked, parseWorkerMessage } from '../protocol.js';
import { HandoffLedger } from './ledger.js';
import { NO_HANDOFFS } from './pick.js';

test('HandoffLedger: hand-offs are untaken until the worker’s cumulative count passes them, oldest first', () => {
  const ledger = new HandoffLedger<object>();
  const w = {};
  assert.deepEqual(ledger.view(w, 5), NO_HANDOFFS, 'never handed anything');
  ledger.handed(w, 10);
  ledger.handed(w, 12);
  ledger.handed(w, 20);
  assert.deepEqual(ledger.view(w, 30), { unacked: 3, unackedMs: 20, busy: undefined, silentMs: 20 });
  ledger.loaded(w, 2, 2, 31);
  assert.deepEqual(ledger.view(w, 35), { unacked: 1, unackedMs: 15, busy: 2, silentMs: 4 }, 'the first two taken');
  ledger.loaded(w, 3, 0, 36);
  assert.deepEqual(ledger.view(w, 40), { unacked: 0, unackedMs: 0, busy: 0, silentMs: 4 });
});

test('HandoffLedger: a lost send is nobody’s to take; counts that go back or run ahead do not corrupt the lane', () => {
  const ledger = new HandoffLedger<object>();
  const w = {};
  ledger.handed(w, 1);
  ledger.handed(w, 2);
  ledger.handed(w, 3);
  ledger.lost(w, 2);
  assert.equal(ledger.view(w, 4).unacked, 2);
  ledger.loaded(w, 1, 1, 5);
  assert.deepEqual(ledger.view(w, 6), { unacked: 1, unackedMs: 3, busy: 1, silentMs: 1 }, 'the third is the one left');
  ledger.loaded(w, 0, 9, 7);
  assert.deepEqual(ledger.view(w, 8), { unacked: 1, unackedMs: 5, busy: 1, silentMs: 3 }, 'a count going back is ignored');
  ledger.loaded(w, 50, 0, 9);
  assert.equal(ledger.view(w, 10).unacked, 0, 'a count past what was handed empties the lane');
  ledger.handed(w, 11);
  ledger.loaded(w, 51, 1, 12);
  assert.equal(ledger.view(w, 13).unacked, 0, 'and counting goes on from it');
  ledger.lost({}, 1); // a worker never handed anything: nothing to do
});

test("a worker's `load` message is checked on the wire: two whole counts", () => {
  assert.deepEqual(parseWorkerMessage(marked({ t: 'load', taken: 3, busy: 0 })), { t: 'load', taken: 3, busy: 0 });
  for (const [taken, busy] of [[-1, 0], [1.5, 0], [1, Number.NaN], [1, Infinity], ['1', 0], [1, null], [undefined, 0]]) {
    assert.equal(parseWorkerMessage(marked({ t: 'load', taken, busy })), undefined, `${taken} ${busy}`);
  }
  assert.equal(parseWorkerMessage({ t: 'load', taken: 1, busy: 1 }), undefined, 'unmarked: the app’s own');
});
