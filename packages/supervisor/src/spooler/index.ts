/**
 * The spooler (README, "Background tasks"): a durable task queue in a directory, served by
 * spooler processes the master supervises. This barrel is the app side: apps
 * need `spool` (and `setTaskHandlers` for inline mode); the master's pool
 * (pool.ts) imports only the protocol, which holds SPOOLER_MAIN.
 */
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
