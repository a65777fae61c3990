/**
 * The app's side of the spooler (uWSGI's `uwsgi.spool()`):
 *
 *     import { spool } from 'tsgi/spool'; // '@tsgi/supervisor/spool' inside the repository
 *     await spool('sendMail', { to: 'a@example.org' }, { at: Date.now() + 60_000 });
 *
 * Under `supervise` with `spooler = dir`, the master sets TSGI_SPOOLER in the
 * workers, and `spool` writes a durable task file there. Without a spooler
 * (development) it runs the handler inline, so spooler code can be debugged
 * step by step in the request that queues it, as the seed notes suggest.
 */
import { delimiter, resolve } from 'node:path';
import { SpoolerError } from './errors.js';
import { loadHandlers, retryCause, runHandler, SPOOL_IGNORE, SPOOL_RETRY, type TaskHandlers } from './handlers.js';
import { marked } from '../protocol.js';
import { ENV_SPOOLER, ENV_SPOOLER_IMPORT, type SpooledMessage } from './protocol.js';
import { createTask, enqueueTask } from './task-file.js';

export interface SpoolOptions {
  /** not before this time (epoch ms or a Date); ignored inline, where the task runs at once */
  at?: number | Date;
  /** 0–9999, lower runs first (default 0) */
  priority?: number;
  /** another spool directory than TSGI_SPOOLER's (uWSGI's `spooler` key) */
  spooler?: string;
}

let inlineHandlers: TaskHandlers | undefined;
let importedHandlers: Promise<TaskHandlers> | undefined;
let inlineLog = (line: string): void => void process.stderr.write(line + '\n');

/**
 * Queues a task; resolves with its id once the file is durable. With no
 * spooler configured, runs it inline instead and resolves when it is done.
 */
export async function spool(taskName: string, args: unknown = {}, opts: SpoolOptions = {}): Promise<string> {
  const at = opts.at instanceof Date ? opts.at.getTime() : opts.at;
  const dir = opts.spooler ?? spoolerDir();
  if (dir === undefined) return runInline({ name: taskName, args, at, priority: opts.priority });
  const absolute = resolve(dir);
  const id = await enqueueTask(absolute, { name: taskName, args, at, priority: opts.priority });
  // Spoolers wake at once instead of at their next scan; the master forwards this to them.
  if (process.send && process.connected) process.send(marked({ t: 'spooled', dir: absolute } satisfies SpooledMessage));
  return id;
}

/**
 * Registers the handlers `spool` runs inline when no spooler is configured
 * (usually the same module `spooler-import` names). Has no effect on a
 * configured spooler, whose processes load `spooler-import` themselves.
 */
export function setTaskHandlers(handlers: TaskHandlers, opts: { log?: (line: string) => void } = {}): void {
  inlineHandlers = { ...handlers };
  if (opts.log) inlineLog = opts.log;
}

/** The first directory of TSGI_SPOOLER (the master may list several, `:`-separated). */
function spoolerDir(): string | undefined {
  const value = process.env[ENV_SPOOLER];
  return value ? value.split(delimiter).find((d) => d !== '') : undefined;
}

/** Inline mode: the same checks and verdicts as a spooler, but a retry has no queue to go back to. */
async function runInline(t: { name: string; args: unknown; at: number | undefined; priority: number | undefined }): Promise<string> {
  const { task } = createTask(t);
  const handlers = await inlineHandlersFor(task.name);
  const handler = Object.hasOwn(handlers, task.name) ? handlers[task.name] : undefined;
  if (!handler) {
    throw new SpoolerError('TSGI_SPOOLER_NOT_CONFIGURED', `spool("${task.name}"): no spooler is configured and no inline handler has that name (have: ${Object.keys(handlers).join(', ') || 'none'})`);
  }
  const outcome = await runHandler(handler, task);
  const prefix = `[spooler inline pid: ${process.pid}] task ${task.id}`;
  if (outcome.result === SPOOL_RETRY) inlineLog(`${prefix} ${retryCause(outcome) || 'asked to retry'}; no spooler to retry it, dropped`);
  else if (outcome.result === SPOOL_IGNORE) inlineLog(`${prefix} ignored by its handler, dropped`);
  return task.id;
}

async function inlineHandlersFor(name: string): Promise<TaskHandlers> {
  if (inlineHandlers) return inlineHandlers;
  const importPath = process.env[ENV_SPOOLER_IMPORT];
  if (!importPath) {
    throw new SpoolerError(
      'TSGI_SPOOLER_NOT_CONFIGURED',
      `spool("${name}"): no spooler is configured (set \`spooler = dir\` and \`spooler-import = tasks.js\` in the ini), ` +
        `and no handlers to run it inline (call setTaskHandlers() or set ${ENV_SPOOLER_IMPORT})`,
    );
  }
  importedHandlers ??= loadHandlers(importPath);
  return importedHandlers;
}
