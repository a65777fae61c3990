import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Accounting } from './accounting.js';

/** A request as the accounting reads it, beginning and ending when told. */
function fakeRequest(acct: Accounting) {
  const req = { socket: { bytesWritten: 0 }, headers: {}, rawHeaders: [] } as unknown as IncomingMessage;
  const res = { req } as unknown as ServerResponse;
  return { begin: () => acct.begin(req, res), end: () => acct.end(req, res) };
}

/** An Accounting on a fake clock, and requests that begin and end at given times. */
function clocked(threads = 1) {
  let now = 0;
  const acct = new Accounting(threads, () => now);
  const at = (ms: number): void => void (now = ms);
  return { acct, at, request: () => fakeRequest(acct) };
}

test('no request in the interval: a share of 0', () => {
  const { acct, at } = clocked();
  at(250);
  assert.equal(acct.takeBusyShare(), 0);
});

test('the busy share is the time with at least one request in flight over the interval (here 250 ms), overlaps counted once', () => {
  const table: [what: string, spans: [begin: number, end: number][], share: number][] = [
    ['one request of 100 ms', [[50, 150]], 0.4],
    ['back to back', [[0, 100], [100, 200]], 0.8],
    ['overlapping requests count once', [[20, 120], [70, 170]], 0.6],
    ['one inside another', [[0, 200], [50, 60]], 0.8],
    ['short requests with gaps', [[0, 10], [50, 60], [100, 110], [150, 160], [200, 210]], 0.2],
  ];
  for (const [what, spans, share] of table) {
    const { acct, at, request } = clocked(4);
    const events = spans.flatMap(([b, e]) => {
      const r = request();
      return [
        { t: b, ends: false, go: r.begin },
        { t: e, ends: true, go: r.end },
      ];
    });
    // at a tie, a request ends before the next begins, as on the event loop
    events.sort((x, y) => x.t - y.t || Number(y.ends) - Number(x.ends));
    for (const e of events) {
      at(e.t);
      e.go();
    }
    at(250);
    assert.ok(Math.abs(acct.takeBusyShare() - share) < 1e-9, what);
  }
});

test('a request still in flight counts up to the report, and from there in the next interval', () => {
  const { acct, at, request } = clocked();
  const r = request();
  at(150);
  r.begin();
  at(250);
  assert.equal(acct.takeBusyShare(), 0.4);
  at(500);
  assert.equal(acct.takeBusyShare(), 1, 'in flight over the whole interval');
  at(600);
  r.end();
  at(750);
  assert.equal(acct.takeBusyShare(), 0.4);
  at(1000);
  assert.equal(acct.takeBusyShare(), 0, 'ended in an earlier interval');
});

test('a report at the same instant as the last one reads the in-flight count', () => {
  const { acct, at, request } = clocked();
  at(100);
  acct.takeBusyShare();
  assert.equal(acct.takeBusyShare(), 0);
  request().begin();
  assert.equal(acct.takeBusyShare(), 1);
});

test('the measure touches the clock only where a request does already', () => {
  let reads = 0;
  const acct = new Accounting(1, () => (reads++, 0));
  const base = reads;
  const r = fakeRequest(acct);
  r.begin();
  r.end();
  assert.equal(reads - base, 2, 'one read at the start of a request, one at its end');
});
