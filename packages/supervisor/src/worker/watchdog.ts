import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { WatchdogData } from './watchdog-thread.js';

const WATCHDOG_THREAD = fileURLToPath(new URL('./watchdog-thread.js', import.meta.url));

/**
 * Kills this worker when its master goes away, even by SIGKILL, even while the
 * app blocks the event loop, so a dead master never leaves orphans holding the
 * sockets (README, "Keeping workers healthy"). The IPC `disconnect` event
 * covers the common case; this thread covers a worker stuck in a busy loop,
 * since it runs beside the main thread and polls the parent pid.
 */
export function startOrphanWatchdog(masterPid: number, intervalMs = 200): void {
  const thread = new Worker(WATCHDOG_THREAD, {
    workerData: { masterPid, intervalMs } satisfies WatchdogData,
    stdout: false,
    stderr: false,
  });
  thread.on('error', (err) => {
    // Without the watchdog an orphaned worker could outlive its master: better to stop now.
    process.stderr.write(`tsgi worker ${process.pid}: orphan watchdog failed: ${err.message}\n`);
    process.exit(1);
  });
  thread.unref();
}
