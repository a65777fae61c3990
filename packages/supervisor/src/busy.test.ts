import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUSY_SHARE, readsBusy } from './busy.js';
import { marked, parseWorkerMessage, type WorkerCounters } from './protocol.js';
import { reportedCounters } from './testing/counters.js';

test('a worker reads busy with a request in flight at its report, or one in flight for at least half the interval', () => {
  const table: [inFlight: number, busy: number | undefined, reads: boolean][] = [
    [0, undefined, false],
    [0, 0, false],
    [0, 0.49, false],
    [0, BUSY_SHARE, true],
    [0, 0.97, true],
    [1, 0, true],
    [3, undefined, true],
  ];
  for (const [inFlight, busy, reads] of table) {
    assert.equal(readsBusy({ inFlight, ...(busy === undefined ? {} : { busy }) }), reads, `inFlight=${inFlight} busy=${busy}`);
  }
  assert.equal(readsBusy(undefined), false, 'no report yet');
});

test("a report's busy share is checked on the wire: absent, or a number from 0 to 1", () => {
  const counters = reportedCounters({ requests: 1, tx: 10, runningTime: 40_000, avgRt: 40_000, elu: 0.9 });
  const parse = (busy: unknown) => parseWorkerMessage(marked({ t: 'report', c: { ...counters, busy } }));
  assert.ok(parseWorkerMessage(marked({ t: 'report', c: counters })), 'absent');
  for (const ok of [0, 0.5, 1]) assert.equal((parse(ok) as { c: WorkerCounters } | undefined)?.c.busy, ok);
  for (const bad of [-0.1, 1.01, Number.NaN, Infinity, '0.5', null, true]) assert.equal(parse(bad), undefined, String(bad));
});
