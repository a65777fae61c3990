import { readsBusy } from '../busy.js';
import type { CheaperInput } from '../cheaper/index.js';
import { isLive, type SlotRecord, type WorkerRecord } from './worker-table.js';

/** A report older than this, with requests in hand, means a blocked event loop. */
const OVERDUE_MS = 2000;

/** What the cheaper algorithms and the idle check see of the slots, once a second. */
export function cheaperInput(
  slots: readonly SlotRecord[],
  workers: readonly WorkerRecord[],
  totalRequests: number,
  listenQueue: number,
  now: number,
): CheaperInput {
  return {
    now,
    listenQueue,
    totalRequests,
    workers: slots.map((slot) => {
      const procs = workers.filter((w) => w.slot === slot.id);
      const cur = procs.find(isLive);
      const inFlight = cur?.counters?.inFlight ?? 0;
      const overdue = cur !== undefined && now - cur.lastReportAt > OVERDUE_MS && inFlight > 0;
      return {
        id: slot.id,
        active: slot.active,
        // a retired slot counts as running until its process is gone: no spawning over it
        running: procs.length > 0,
        // as the stats' status: a worker busy most of its last report interval is busy, whatever it held at the report
        busy: readsBusy(cur?.counters),
        elu: overdue ? 1 : (cur?.counters?.elu ?? 0),
        spawnedAt: cur?.spawnedAt ?? 0,
      };
    }),
  };
}
