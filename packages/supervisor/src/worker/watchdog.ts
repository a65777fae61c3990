import { Worker } from 'node:worker_threads';

/**
 * Kills this worker when its master goes away, even by SIGKILL, even while the
 * app blocks the event loop, so a dead master never leaves orphans holding the
 * sockets (README, "Keeping workers healthy"). The IPC `disconnect` event
 * covers the common case; this thread covers a worker stuck in a busy loop,
 * since it runs beside the main thread and polls the parent pid.
 */
export function startOrphanWatchdog(masterPid: number, intervalMs = 200): void {
  // Atomics.wait sleeps in a futex, with no event loop or timer to run: an idle worker's
  // watchdog costs a wake-up and a getppid() per interval (a setInterval cost ~6x more CPU).
  const code = `
    const { workerData } = require('node:worker_threads');
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      Atomics.wait(sleeper, 0, 0, workerData.intervalMs);
      if (process.ppid !== workerData.masterPid) process.kill(process.pid, 'SIGKILL');
    }
  `;
  const thread = new Worker(code, {
    eval: true,
    workerData: { masterPid, intervalMs },
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
