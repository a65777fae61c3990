import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { LOAD_HEARTBEAT_MS, type WorkerMessage } from '../protocol.js';
import { performance } from 'node:perf_hooks';
import { ROUTED_BLOCK_MS, RoutedLoad } from './routed-load.js';

type Load = Extract<WorkerMessage, { t: 'load' }>;

function subject(): { load: RoutedLoad; sent: Load[]; inFlight: { n: number } } {
  const sent: Load[] = [];
  const inFlight = { n: 0 };
  return { load: new RoutedLoad(() => inFlight.n, (m) => sent.push(m)), sent, inFlight };
}

test('RoutedLoad: nothing for a connection taken (Node acknowledges it), one message per turn when a request ends, whatever happened in it', async () => {
  const { load, sent, inFlight } = subject();
  const a = new EventEmitter();
  const b = new EventEmitter();
  load.took(a);
  load.took(b);
  await turn();
  assert.equal(sent.length, 0, 'the router knows from the acknowledgements');
  // the first request of a connection moves it from unread to in flight: nothing to tell
  inFlight.n = 1;
  load.began(a);
  await turn();
  assert.equal(sent.length, 0);
  // its end and its connection's close, in one turn: one message
  inFlight.n = 0;
  load.changed();
  a.emit('close');
  await turn();
  assert.deepEqual(sent, [{ t: 'load', taken: 2, busy: 1 }]);
  // a second request on a kept-alive connection is news
  b.emit('close');
  await turn();
  const c = new EventEmitter();
  load.took(c);
  inFlight.n = 1;
  load.began(c);
  load.began(c);
  await turn();
  assert.deepEqual(sent.at(-1), { t: 'load', taken: 3, busy: 1 });
  assert.equal(sent.length, 3);
});

test('RoutedLoad: an upgraded connection leaves the busy count; a closed unread one too', async () => {
  const { load, sent } = subject();
  const ws = new EventEmitter();
  const gone = new EventEmitter();
  load.took(ws);
  load.took(gone);
  await turn();
  load.upgraded(ws);
  await turn();
  assert.deepEqual(sent.at(-1), { t: 'load', taken: 2, busy: 1 });
  gone.emit('close');
  ws.emit('close');
  await turn();
  assert.deepEqual(sent.at(-1), { t: 'load', taken: 2, busy: 0 });
  assert.equal(sent.length, 2, 'the upgraded one closing is no news');
});

test('RoutedLoad: a heartbeat while busy, none once idle', async () => {
  const { load, sent } = subject();
  const c = new EventEmitter();
  load.took(c);
  await turn();
  const first = sent.length;
  assert.equal(first, 0);
  const until = Date.now() + 5000;
  while (sent.length < first + 2 && Date.now() < until) await sleep(LOAD_HEARTBEAT_MS);
  assert.ok(sent.length >= first + 2, `${sent.length - first} heartbeats within 5 s while busy`);
  assert.deepEqual(sent.at(-1), { t: 'load', taken: 1, busy: 1 });
  c.emit('close');
  await turn();
  assert.deepEqual(sent.at(-1), { t: 'load', taken: 1, busy: 0 });
  const idle = sent.length;
  await sleep(LOAD_HEARTBEAT_MS * 10);
  assert.equal(sent.length, idle, 'nothing more once idle');
});

test('RoutedLoad: the connections open while the loop was blocked past ROUTED_BLOCK_MS close after their next response, once; not after short turns', async () => {
  const { load, inFlight } = subject();
  const a = new EventEmitter();
  const b = new EventEmitter();
  load.took(a);
  load.took(b);
  inFlight.n = 1;
  load.began(a);
  await sleep(LOAD_HEARTBEAT_MS * 4);
  assert.equal(load.closes(a), false, 'a loop that turns');
  const until = performance.now() + ROUTED_BLOCK_MS + 50;
  while (performance.now() < until); // the loop blocked
  await sleep(LOAD_HEARTBEAT_MS * 2);
  assert.equal(load.closes(a), true);
  assert.equal(load.closes(b), true, 'every routed connection open meanwhile');
  assert.equal(load.closes(a), false, 'once');
  // the blocking request is the last one: its end stops the heartbeat, which still sees the block
  inFlight.n = 1;
  load.began(a);
  const until2 = performance.now() + ROUTED_BLOCK_MS + 50;
  while (performance.now() < until2);
  inFlight.n = 0;
  load.changed();
  b.emit('close');
  await turn();
  assert.equal(load.closes(a), true);
  assert.equal(load.closes(b), false, 'a closed connection is not marked');
});
