import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QUIET_REPORT_MS } from '../protocol.js';
import { reportDue, type Reported } from './report-gate.js';

const idle: Reported = { requests: 10, exceptions: 0, inFlight: 0, elu: 0.002, accepting: true, draining: false };

test('a quiet worker reports only as a heartbeat', () => {
  assert.equal(reportDue(undefined, idle, 0), true, 'the first report always goes');
  assert.equal(reportDue(idle, { ...idle, elu: 0.004 }, 250), false);
  assert.equal(reportDue(idle, idle, QUIET_REPORT_MS - 1), false);
  assert.equal(reportDue(idle, idle, QUIET_REPORT_MS), true, 'heartbeat');
});

test('anything the master acts on is reported at once', () => {
  assert.equal(reportDue(idle, { ...idle, requests: 11 }, 250), true);
  assert.equal(reportDue(idle, { ...idle, exceptions: 1 }, 250), true);
  assert.equal(reportDue(idle, { ...idle, inFlight: 1 }, 250), true, 'a request in flight: every interval');
  assert.equal(reportDue({ ...idle, inFlight: 1 }, { ...idle, inFlight: 1 }, 250), true, 'even when nothing else moved');
  assert.equal(reportDue({ ...idle, inFlight: 1 }, idle, 250), true, 'the request ended');
  assert.equal(reportDue(idle, { ...idle, accepting: false }, 250), true);
  assert.equal(reportDue(idle, { ...idle, draining: true }, 250), true);
  assert.equal(reportDue({ ...idle, elu: 0.4 }, idle, 250), true, 'the load went away');
  assert.equal(reportDue({ ...idle, busy: 0.9 }, { ...idle, busy: 0 }, 250), true, 'the busy share fell');
  assert.equal(reportDue(idle, { ...idle, busy: 0.6 }, 250), true, 'the busy share rose');
  assert.equal(reportDue({ ...idle, busy: 0.5 }, { ...idle, busy: 0.505 }, 250), false, 'a share that barely moved is no news');
});
