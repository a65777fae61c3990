/**
 * The entry point of a spooler process. The master spawns it (like a worker,
 * with an IPC channel) with a SpoolerBoot in TSGI_SPOOLER_BOOT; it runs tasks
 * until told to stop, until `spooler-max-tasks` (exit 0: the master respawns
 * it), or until the master goes away. Being killed at any moment is safe: the
 * task in hand stays in running/ and the next spooler runs it again.
 */
import { writeSync } from 'node:fs';
import { EXIT } from '../protocol.js';
import { fdLogger } from '../log/logger.js';
import { startOrphanWatchdog } from '../worker/watchdog.js';
import { ENV_SPOOLER, ENV_SPOOLER_BOOT, type SpoolerBoot, type SpoolerCommand, type SpoolerReport } from './protocol.js';
import { runSpooler, type Spooler } from './runner.js';
import { pidAlive } from './task-file.js';

const REPORT_INTERVAL_MS = 1000;

const boot = JSON.parse(process.env[ENV_SPOOLER_BOOT] ?? 'null') as SpoolerBoot | null;
if (!boot) {
  writeSync(2, 'tsgi: this is the spooler entry point; it is started by `supervise`, not by hand\n');
  process.exit(2);
}
delete process.env[ENV_SPOOLER_BOOT];
// A task may queue further tasks with spool(); they go to this spooler's directory.
process.env[ENV_SPOOLER] ??= boot.dir;

const logger = fdLogger(2);
// Not process.ppid: a master killed right after spawning us has already left us to init.
if (process.ppid !== boot.masterPid || !process.connected) process.exit(EXIT.END); // born an orphan
// A thread polls the parent pid every 500 ms, so even a task blocking the event loop cannot outlive the master.
startOrphanWatchdog(boot.masterPid, 500);
process.on('disconnect', () => process.exit(EXIT.END));
// the log's reader may go away (`supervise | head`, a restarting log shipper): a lost line, never a lost spooler
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
// Ending at once is safe (the task in hand is requeued by the next spooler); uWSGI SIGKILLs its spoolers.
process.on('SIGTERM', () => process.exit(EXIT.END));
process.on('SIGINT', () => process.exit(EXIT.END));
if (boot.procname) process.title = boot.procname;

let spooler: Spooler;
try {
  spooler = await runSpooler({
    dir: boot.dir,
    importPath: boot.importPath,
    frequencySeconds: boot.frequencySeconds,
    maxTasks: boot.maxTasks,
    harakiriSeconds: boot.harakiriSeconds,
    quiet: boot.quiet,
    log: logger.log,
    // The only runner in this process: anything left in running/ under our pid is a leftover.
    isAlive: (pid) => pid !== process.pid && pidAlive(pid),
  });
} catch (err) {
  logger.log(`tsgi spooler ${boot.id} (pid: ${process.pid}): ${(err as Error).message}`);
  process.exit(EXIT.FAILED_APP);
}

process.on('message', (m: SpoolerCommand) => {
  if (m?.t === 'wake') spooler.wake();
  else if (m?.t === 'stop') void spooler.stop();
});
report();
setInterval(report, REPORT_INTERVAL_MS).unref();

await spooler.done;
// Exit once the final report is handed to the channel, so the master's task count is exact.
if (process.connected) {
  process.send!(reportMessage(), () => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
} else {
  process.exit(0);
}

function report(): void {
  if (process.connected) process.send!(reportMessage());
}

function reportMessage(): SpoolerReport {
  return { t: 'spooler-report', ...spooler.stats() };
}
