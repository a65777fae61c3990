/**
 * The orphan watchdog's thread (watchdog.ts): polls the parent pid beside the
 * worker's main thread and SIGKILLs the worker once its master is gone.
 * workerData: `{ masterPid, intervalMs }`.
 */
import { workerData } from 'node:worker_threads';

/** What startOrphanWatchdog passes to the thread. */
export interface WatchdogData {
  masterPid: number;
  intervalMs: number;
}

const { masterPid, intervalMs } = workerData as WatchdogData;

// Atomics.wait sleeps in a futex, with no event loop or timer to run: an idle worker's
// watchdog costs a wake-up and a getppid() per interval (a setInterval cost ~6x more CPU).
const sleeper = new Int32Array(new SharedArrayBuffer(4));
for (;;) {
  Atomics.wait(sleeper, 0, 0, intervalMs);
  if (process.ppid !== masterPid) process.kill(process.pid, 'SIGKILL');
}
