/**
 * The contract between the master, its workers and its spooler processes:
 * environment variables, the boot record and the IPC messages. The master's
 * side, pool.ts, imports only this file from the rest of the spooler.
 */
import { fileURLToPath } from 'node:url';
import { isMarked } from '../protocol.js';

/** The script a spooler process runs (spawn it with an IPC channel and TSGI_SPOOLER_BOOT). */
export const SPOOLER_MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** Set by the master in workers (and spoolers): the spool directory `spool()` writes to. */
export const ENV_SPOOLER = 'TSGI_SPOOLER';
/** Optional, for inline mode only: a handlers module `spool()` imports when no spooler is configured. */
export const ENV_SPOOLER_IMPORT = 'TSGI_SPOOLER_IMPORT';
/** The SpoolerBoot of a spooler process, as JSON. */
export const ENV_SPOOLER_BOOT = 'TSGI_SPOOLER_BOOT';

/** Everything a spooler process needs, passed in TSGI_SPOOLER_BOOT. */
export interface SpoolerBoot {
  /** 1..N over all spooler processes, for log lines and stats */
  id: number;
  /** the master's pid: a spooler whose parent is not this process is an orphan and exits */
  masterPid: number;
  /** absolute spool directory (`spooler`) */
  dir: string;
  /** `spooler-import`, resolved against the master's working directory */
  importPath: string;
  /** `spooler-frequency` */
  frequencySeconds: number;
  /** `spooler-max-tasks`; 0 = never recycle */
  maxTasks: number;
  /** `spooler-harakiri`; 0 = off. Enforced by the master from the reports' `taskStart`. */
  harakiriSeconds: number;
  /** `spooler-quiet` */
  quiet: boolean;
  /** process title, e.g. `tsgi spooler 1` (auto-procname) */
  procname?: string;
}

/** A worker (or spooler) to the master: a task was queued in `dir`, wake its spoolers. */
export interface SpooledMessage {
  t: 'spooled';
  dir: string;
}

/** A spooler to the master, every second and once at start. */
export interface SpoolerReport {
  t: 'spooler-report';
  /** tasks run by this process (ok, retry, ignore, failed) */
  tasks: number;
  running: 0 | 1;
  /** epoch ms the current task started, 0 when idle: the master's `spooler-harakiri` clock */
  taskStart: number;
  /** id of the current task, '' when idle */
  task: string;
}

/** The master to a spooler: `wake` rescans now; `stop` finishes the current task and exits 0. */
export type SpoolerCommand = { t: 'wake' } | { t: 'stop' };

/** A spool() wake-up, marked as tsgi's (an app's own `t: 'spooled'` is not one). */
export function isSpooledMessage(m: unknown): m is SpooledMessage {
  return isMarked(m) && (m as { t?: unknown }).t === 'spooled' && typeof (m as { dir?: unknown }).dir === 'string' && (m as { dir: string }).dir.length <= 4096;
}

export function isSpoolerReport(m: unknown): m is SpoolerReport {
  return typeof m === 'object' && m !== null && (m as { t?: unknown }).t === 'spooler-report';
}
