import type { WorkerCounters } from '../protocol.js';

/** A worker's report for tests: an idle worker's figures, with `over` laid on top. */
export function reportedCounters(over: Partial<WorkerCounters> = {}): WorkerCounters {
  return {
    requests: 0,
    exceptions: 0,
    tx: 0,
    runningTime: 0,
    avgRt: 0,
    inFlight: 0,
    oldestStart: 0,
    cores: [],
    elu: 0,
    accepting: true,
    draining: false,
    ...over,
  };
}
