/**
 * The spooler (README, "Background tasks"): a durable task queue in a directory, served by
 * spooler processes the master supervises. The master needs SPOOLER_MAIN and
 * the protocol; apps need `spool` (and `setTaskHandlers` for inline mode).
 */
import { fileURLToPath } from 'node:url';

/** The script a spooler process runs (spawn it with an IPC channel and TSGI_SPOOLER_BOOT). */
export const SPOOLER_MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

export * from './protocol.js';
export { SpoolerError, SPOOLER_ERROR_CODES, type SpoolerErrorCode } from './errors.js';
export { spool, setTaskHandlers, type SpoolOptions } from './spool.js';
export { SPOOL_OK, SPOOL_RETRY, SPOOL_IGNORE, loadHandlers, type TaskResult, type TaskHandler, type TaskHandlers, type TaskContext } from './handlers.js';
export { runSpooler, type RunSpoolerOptions, type Spooler, type SpoolerStats, type SpoolerEnd, type TaskEvent, type TaskVerdict } from './runner.js';
export {
  enqueueTask,
  claimNextTask,
  completeTask,
  retryTask,
  ignoreTask,
  failTask,
  recoverOrphans,
  ensureSpoolDir,
  pidAlive,
  type TaskRecord,
  type NewTask,
  type Claimed,
  type Recovery,
} from './task-file.js';
