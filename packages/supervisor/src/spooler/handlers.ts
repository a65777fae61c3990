/**
 * Task handlers: how they are found in the `spooler-import` module and what
 * their return value means. Shared by the spooler process and `spool()`'s
 * inline mode, so a task behaves the same in development and production.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SpoolerError } from './errors.js';
import type { TaskRecord } from './task-file.js';

/** uWSGI's SPOOL_OK / SPOOL_RETRY / SPOOL_IGNORE, as strings. */
export const SPOOL_OK = 'ok';
export const SPOOL_RETRY = 'retry';
export const SPOOL_IGNORE = 'ignore';
export type TaskResult = typeof SPOOL_OK | typeof SPOOL_RETRY | typeof SPOOL_IGNORE;

/** What a handler learns about the task besides its args. */
export interface TaskContext {
  id: string;
  name: string;
  /** runs that ended in retry before this one */
  attempts: number;
  enqueuedAt: number;
}

/**
 * A task handler: `export async function sendMail(args) { …; return 'ok' }`.
 * It should resolve to a TaskResult; the type says `unknown` because
 * TypeScript widens `async () => 'ok'` to Promise<string>, and anything else
 * is read as retry at run time anyway. `args` is `any` so an app can declare
 * the shape it enqueued.
 */
export type TaskHandler = (args: any, task: TaskContext) => unknown;
export type TaskHandlers = Record<string, TaskHandler>;

/** What came of one run; `retry` also covers a throw and an unexpected return value. */
export interface Outcome {
  result: TaskResult;
  /** what the handler threw */
  error?: unknown;
  /** set when the handler returned something other than ok/retry/ignore */
  returned?: unknown;
}

/**
 * Imports the `spooler-import` module. Its exported functions are the
 * handlers, by export name; a default export that is an object of functions
 * adds its own (named exports win on a clash).
 */
export async function loadHandlers(importPath: string): Promise<TaskHandlers> {
  const file = isAbsolute(importPath) ? importPath : resolve(importPath);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new SpoolerError('TSGI_SPOOLER_IMPORT', `cannot load spooler-import ${file}: ${(err as Error)?.stack ?? String(err)}`);
  }
  const handlers = handlersOf(mod);
  if (Object.keys(handlers).length === 0) {
    throw new SpoolerError('TSGI_SPOOLER_IMPORT', `spooler-import ${file} exports no task handler (export async function myTask(args) { return 'ok' })`);
  }
  return handlers;
}

/** The functions of a module namespace (or a plain object of handlers). */
export function handlersOf(mod: Record<string, unknown>): TaskHandlers {
  const handlers: TaskHandlers = {};
  const def = mod['default'];
  if (typeof def === 'object' && def !== null) Object.assign(handlers, functionsOf(def as Record<string, unknown>));
  const { default: _ignored, ...named } = mod;
  return Object.assign(handlers, functionsOf(named));
}

function functionsOf(o: Record<string, unknown>): TaskHandlers {
  const out: TaskHandlers = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === 'function') out[k] = v as TaskHandler;
  return out;
}

/**
 * Runs a handler and reads its answer the way uWSGI does: anything but
 * ok/retry/ignore, a throw included, means retry, since dropping a task that
 * did not say it was done could lose work.
 */
export async function runHandler(handler: TaskHandler, task: TaskRecord): Promise<Outcome> {
  const ctx: TaskContext = { id: task.id, name: task.name, attempts: task.attempts, enqueuedAt: task.enqueuedAt };
  try {
    const returned: unknown = await handler(task.args, ctx);
    if (returned === SPOOL_OK || returned === SPOOL_RETRY || returned === SPOOL_IGNORE) return { result: returned };
    return { result: SPOOL_RETRY, returned };
  } catch (error) {
    return { result: SPOOL_RETRY, error };
  }
}

/** Why a run counts as retry, for the log; empty when the handler asked for it. */
export function retryCause(o: Outcome): string {
  if ('error' in o) return `raised ${(o.error as Error)?.stack ?? String(o.error)}`;
  if ('returned' in o) return `returned ${describe(o.returned)} (expected 'ok', 'retry' or 'ignore')`;
  return '';
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v); // circular or BigInt: its string form is enough for a log line
  }
}
