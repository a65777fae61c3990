import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecycleReason, WorkerCounters } from '../protocol.js';
import { NO_HANDOFFS, STALL_MS, UPGRADED_PER_REQUEST, clientKey, leastLoaded, QUIET_WEIGHT, quietness, routeLoad, stalledFor, stickyWorker, type Handoffs, type RouteView } from './pick.js';

interface Given {
  inFlight?: number;
  upgraded?: number;
  generation?: number;
  readyAt?: number;
  replace?: RecycleReason;
  /** never reported yet */
  silent?: boolean;
}

/** A ready worker of `slot` as the router sees it. */
function worker(slot: number, g: Given = {}): RouteView {
  const counters = g.silent ? undefined : ({ inFlight: g.inFlight ?? 0, ...(g.upgraded ? { upgraded: g.upgraded } : {}) } as WorkerCounters);
  return { slot, generation: g.generation ?? 1, readyAt: g.readyAt ?? 1000, state: { kind: 'ready', ...(g.replace ? { replace: g.replace } : {}) }, counters };
}

const none = (): Handoffs => NO_HANDOFFS;
/** `n` connections handed and not yet taken, the oldest `ms` ago. */
const untaken = (n: number, ms = 0): Handoffs => ({ ...NO_HANDOFFS, unacked: n, unackedMs: n > 0 ? ms : 0 });

test('routeLoad: requests in flight, connections handed and not yet taken, UPGRADED_PER_REQUEST WebSockets to a request', () => {
  assert.equal(UPGRADED_PER_REQUEST, 10);
  assert.equal(routeLoad(worker(1, { inFlight: 2, upgraded: 30 }), untaken(1)), 6);
  assert.equal(routeLoad(worker(1, { silent: true }), NO_HANDOFFS), 0);
  assert.equal(routeLoad(worker(1, { upgraded: 10 }), NO_HANDOFFS), routeLoad(worker(2, { inFlight: 1 }), NO_HANDOFFS), 'ten WebSockets weigh one request');
  assert.equal(routeLoad(worker(1, { inFlight: 5, upgraded: 20 }), { ...untaken(1), busy: 0 }), 3, 'the live figure, once there is one, over the report’s');
});

test('leastLoaded: a table of ready workers and the one a new connection goes to', () => {
  const cases: { name: string; ready: Given[]; handed?: number[]; turn: number; want: number }[] = [
    { name: 'fewest in flight', ready: [{ inFlight: 3 }, { inFlight: 1 }, { inFlight: 2 }], turn: 0, want: 2 },
    { name: 'equal loads: round robin from the turn', ready: [{}, {}, {}], turn: 1, want: 2 },
    { name: 'equal loads, next turn', ready: [{}, {}, {}], turn: 2, want: 3 },
    { name: 'both idle: the one holding fewer WebSockets, whatever the turn', ready: [{ upgraded: 40 }, { upgraded: 5 }], turn: 0, want: 2 },
    { name: 'both idle, the other turn', ready: [{ upgraded: 5 }, { upgraded: 40 }], turn: 1, want: 1 },
    { name: 'a fresh worker takes newcomers from one holding hundreds of WebSockets', ready: [{ upgraded: 300, inFlight: 1 }, { inFlight: 4 }], turn: 0, want: 2 },
    { name: 'a few more WebSockets never outweigh a request more in flight', ready: [{ upgraded: 8 }, { inFlight: 1 }], turn: 1, want: 1 },
    { name: '30 WebSockets weigh as 3 requests: 2 in flight elsewhere is less', ready: [{ upgraded: 30 }, { inFlight: 2 }], turn: 0, want: 2 },
    { name: 'connections handed and not yet taken count as requests', ready: [{}, { inFlight: 1 }], handed: [2, 0], turn: 0, want: 2 },
    { name: 'a worker that has not reported yet is idle', ready: [{ inFlight: 1 }, { silent: true }], turn: 0, want: 2 },
  ];
  for (const c of cases) {
    const ready = c.ready.map((g, i) => worker(i + 1, g));
    const got = leastLoaded(ready, (w) => untaken(c.handed?.[w.slot - 1] ?? 0), c.turn);
    assert.equal(got?.slot, c.want, c.name);
  }
  assert.equal(leastLoaded([], none, 0), undefined);
});

test('leastLoaded: without WebSockets, idle workers take turns', () => {
  const ready = [worker(1), worker(2), worker(3)];
  const picked = [0, 1, 2, 3, 4, 5].map((turn) => leastLoaded(ready, none, turn % 3)!.slot);
  assert.deepEqual(picked, [1, 2, 3, 1, 2, 3]);
});

test('stalledFor: a hand-off left untaken, or silence while busy, past STALL_MS; an idle worker’s silence is nothing', () => {
  const cases: [Handoffs, number][] = [
    [NO_HANDOFFS, 0],
    [untaken(1, STALL_MS - 1), 0],
    [untaken(2, STALL_MS + 5), STALL_MS + 5],
    [{ ...NO_HANDOFFS, busy: 1, silentMs: STALL_MS - 1 }, 0],
    [{ ...NO_HANDOFFS, busy: 1, silentMs: 400 }, 400],
    [{ ...NO_HANDOFFS, busy: 0, silentMs: 60_000 }, 0],
    [{ ...NO_HANDOFFS, busy: undefined, silentMs: 60_000 }, 0],
    [{ unacked: 1, unackedMs: 30, busy: 1, silentMs: 400 }, 400],
  ];
  for (const [h, want] of cases) assert.equal(stalledFor(h), want, JSON.stringify(h));
});

test('leastLoaded: a worker whose loop is blocked is never chosen while another is free', () => {
  const blockedBusy: Handoffs = { ...NO_HANDOFFS, busy: 1, silentMs: 400 };
  const cases: { name: string; ready: Given[]; live: Handoffs[]; want: number }[] = [
    { name: 'a hand-off untaken past STALL_MS: the other, however busy', ready: [{}, {}], live: [untaken(1, STALL_MS + 1), { ...NO_HANDOFFS, busy: 6, silentMs: 1 }], want: 2 },
    { name: 'busy and silent: the other at equal load', ready: [{}, {}], live: [blockedBusy, { ...NO_HANDOFFS, busy: 1, silentMs: 1 }], want: 2 },
    { name: 'busy and silent: the other, busier but heard from', ready: [{}, {}], live: [blockedBusy, { ...NO_HANDOFFS, busy: 3, silentMs: 2 }], want: 2 },
    { name: 'a stale report does not make a blocked worker look idle', ready: [{ inFlight: 0 }, { inFlight: 4 }], live: [blockedBusy, { ...NO_HANDOFFS, busy: 2, silentMs: 0 }], want: 2 },
    { name: 'a hand-off in the pipe for less than STALL_MS is load, not a stall', ready: [{}, {}], live: [untaken(1, 2), { ...NO_HANDOFFS, busy: 3, silentMs: 1 }], want: 1 },
    { name: 'an idle worker long silent is free', ready: [{}, {}], live: [{ ...NO_HANDOFFS, busy: 0, silentMs: 60_000 }, { ...NO_HANDOFFS, busy: 1, silentMs: 1 }], want: 1 },
    { name: 'every worker blocked: the one heard from last', ready: [{}, {}, {}], live: [blockedBusy, untaken(3, 40), { ...NO_HANDOFFS, busy: 2, silentMs: 900 }], want: 2 },
  ];
  for (const c of cases) {
    const ready = c.ready.map((g, i) => worker(i + 1, g));
    for (const turn of [0, 1, 2]) assert.equal(leastLoaded(ready, (w) => c.live[w.slot - 1]!, turn % ready.length)?.slot, c.want, `${c.name} (turn ${turn})`);
  }
});

/** `n` client addresses, spread as real ones are (10.a.b.c). */
function clients(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
}

/** Each client's slot among `ready`. */
function mapping(addresses: string[], ready: RouteView[]): Map<string, number> {
  return new Map(addresses.map((a) => [a, stickyWorker(a, ready)!.slot]));
}

test('stickyWorker: a client always gets the same slot, whatever the order of the ready list', () => {
  const ready = [1, 2, 3, 4].map((s) => worker(s));
  const reversed = [...ready].reverse();
  for (const a of clients(500)) assert.equal(stickyWorker(a, ready)!.slot, stickyWorker(a, reversed)!.slot, a);
  assert.equal(stickyWorker('10.0.0.1', []), undefined);
});

test('stickyWorker: clients spread evenly over the slots (each within 5 % of its share)', () => {
  const counts = new Map<number, number>();
  for (const slot of mapping(clients(20000), [1, 2, 3, 4].map((s) => worker(s))).values()) counts.set(slot, (counts.get(slot) ?? 0) + 1);
  for (const s of [1, 2, 3, 4]) {
    const n = counts.get(s) ?? 0;
    assert.ok(Math.abs(n - 5000) < 250, `slot ${s}: ${n} of 20000`);
  }
  // neighbouring addresses (one office, one NAT pool) spread too
  const office = Array.from({ length: 200 }, (_, i) => `192.168.1.${i}`);
  const used = new Set(mapping(office, [1, 2].map((s) => worker(s))).values());
  assert.equal(used.size, 2);
});

test('stickyWorker: a slot that goes away moves its own clients only, spread over the others', () => {
  const addresses = clients(8000);
  const before = mapping(addresses, [1, 2, 3, 4].map((s) => worker(s)));
  const after = mapping(addresses, [1, 2, 4].map((s) => worker(s)));
  const movedTo = new Map<number, number>();
  for (const a of addresses) {
    if (before.get(a) !== 3) assert.equal(after.get(a), before.get(a), `${a} stays`);
    else movedTo.set(after.get(a)!, (movedTo.get(after.get(a)!) ?? 0) + 1);
  }
  for (const s of [1, 2, 4]) assert.ok((movedTo.get(s) ?? 0) > 500, `slot ${s} takes a share of slot 3's clients: ${JSON.stringify([...movedTo])}`);
});

test('stickyWorker: a slot that comes takes about 1/n of the clients, each from wherever it was, and nobody else moves', () => {
  const addresses = clients(8000);
  const before = mapping(addresses, [1, 2, 3].map((s) => worker(s)));
  const after = mapping(addresses, [1, 2, 3, 4].map((s) => worker(s)));
  let moved = 0;
  for (const a of addresses) {
    if (after.get(a) === before.get(a)) continue;
    assert.equal(after.get(a), 4, `${a} moves only to the new slot`);
    moved++;
  }
  assert.ok(Math.abs(moved - 2000) < 200, `moved ${moved} of 8000`);
});

test('stickyWorker: while a slot has two ready workers, its successor takes the clients', () => {
  const addresses = clients(400);
  const slot1Clients = addresses.filter((a) => stickyWorker(a, [worker(1), worker(2)])!.slot === 1);
  assert.ok(slot1Clients.length > 100);
  const cases: { name: string; old: Given; successor: Given }[] = [
    { name: 'a recycle (max-requests): the predecessor is marked for replacement', old: { replace: 'max-requests', readyAt: 1000 }, successor: { readyAt: 500 } },
    { name: 'a reload: the successor is of the new generation', old: { generation: 1, readyAt: 2000 }, successor: { generation: 2, readyAt: 1000 } },
    { name: 'otherwise the last one ready', old: { readyAt: 1000 }, successor: { readyAt: 2000 } },
  ];
  for (const c of cases) {
    const old = worker(1, c.old);
    const successor = worker(1, c.successor);
    for (const ready of [[old, successor, worker(2)], [successor, worker(2), old]]) {
      for (const a of slot1Clients) assert.equal(stickyWorker(a, ready), successor, c.name);
    }
  }
});

test('clientKey: an IPv4 client on a dual-stack listener is the same client; a unix socket peer has no key', () => {
  assert.equal(clientKey('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(clientKey('10.1.2.3'), '10.1.2.3');
  assert.equal(clientKey('2001:db8::1'), '2001:db8::1');
  assert.equal(clientKey('::ffff:abcd'), '::ffff:abcd');
  assert.equal(clientKey(undefined), undefined);
  assert.equal(clientKey(''), undefined);
});

test('quietness: a busy worker’s silence or an untaken hand-off weighs up to QUIET_WEIGHT requests at STALL_MS, with its square; an idle one’s nothing', () => {
  assert.equal(quietness(NO_HANDOFFS), 0);
  assert.equal(quietness({ ...NO_HANDOFFS, busy: 0, silentMs: 1000 }), 0, 'idle and silent: nothing to say');
  assert.equal(quietness({ ...NO_HANDOFFS, busy: 1, silentMs: STALL_MS / 2 }), QUIET_WEIGHT / 4);
  assert.equal(quietness({ ...NO_HANDOFFS, busy: 1, silentMs: STALL_MS * 3 }), QUIET_WEIGHT);
  assert.equal(quietness({ ...untaken(1, STALL_MS / 4), busy: 0, silentMs: 0 }), QUIET_WEIGHT / 16);
});

test('leastLoaded: at equal requests in flight, the busy worker heard from last; a little silence weighs less than a request, missed heartbeats more than a few', () => {
  const ready = [worker(1), worker(2)];
  const live = (a: Handoffs, b: Handoffs) => (w: RouteView): Handoffs => (w.slot === 1 ? a : b);
  const spoke = (busy: number, ms: number): Handoffs => ({ ...NO_HANDOFFS, busy, silentMs: ms });
  assert.equal(leastLoaded(ready, live(spoke(1, STALL_MS - 2), spoke(1, 0.5)), 0)?.slot, 2);
  assert.equal(leastLoaded(ready, live(spoke(1, 0.5), spoke(1, STALL_MS - 2)), 1)?.slot, 1, 'whatever the turn');
  assert.equal(leastLoaded(ready, live(spoke(1, STALL_MS / 4), spoke(2, 0)), 1)?.slot, 1, 'a few ms of silence weigh less than a request');
  assert.equal(leastLoaded(ready, live(spoke(1, STALL_MS * 0.8), spoke(4, 0)), 0)?.slot, 2, 'missed heartbeats weigh more than a few quick requests');
  assert.equal(leastLoaded(ready, live(spoke(0, 900), spoke(0, 0)), 0)?.slot, 1, 'idle workers take turns whatever their silence');
});
