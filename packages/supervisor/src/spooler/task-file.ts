/**
 * The spool directory: one JSON file per task, and the queue operations that
 * several spooler processes may run on it at once; a task runs at least once, even when
 * a spooler or the master is killed at any moment.
 *
 *     <dir>/0000-1795303766000-sendMail-2105-1-9f3a1c.task   queued: <priority>-<due ms>-<id>.task
 *     <dir>/.tmp-2105-2-77ab01                               being written (never read as a task)
 *     <dir>/running/<queued name>.<pid>                      claimed by the spooler with that pid
 *     <dir>/failed/<queued name>  + <queued name>.reason     malformed, or no handler for it
 *
 * uWSGI keeps a task as a file and skips locked or future ones; here every
 * state change is a rename, which is atomic on one filesystem, so two spoolers
 * racing for a task see one win and the other ENOENT, and a task is always in
 * exactly one place. A spooler killed mid-task leaves its file in `running/`,
 * and `recoverOrphans` puts it back: delivery is at least once, as in uWSGI.
 *
 * Priority: uWSGI's `spooler-ordered` scans numeric priority subdirectories in
 * version order, so a lower number runs first. tsgi keeps that meaning but puts
 * the priority at the front of the file name (4 digits, 0–9999, default 0), so
 * one sorted listing orders the queue by priority, then due time. Unlike
 * uWSGI, a task without a priority is priority 0, not "after all prioritised".
 */
import { randomBytes } from 'node:crypto';
import { fsync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SpoolerError } from './errors.js';

/** The content of a task file (format version 1). */
export interface TaskRecord {
  v: 1;
  /** `<name>-<pid>-<counter>-<random>`: unique, and stable across retries */
  id: string;
  /** the handler's name */
  name: string;
  /** any JSON value; handed to the handler as it was given to `spool` */
  args: unknown;
  /** epoch ms from which the task is due */
  at: number;
  priority: number;
  /** how many runs ended in retry so far */
  attempts: number;
  enqueuedAt: number;
}

export interface NewTask {
  name: string;
  args?: unknown;
  /** epoch ms; the task is not run before it (default: now) */
  at?: number;
  /** 0–9999, lower runs first (default 0) */
  priority?: number;
}

/** A task this process has taken: its file is in `running/` under our pid. */
export interface Claimed {
  dir: string;
  /** its name in the queue, `<priority>-<at>-<id>.task` */
  fileName: string;
  /** where it is now: `<dir>/running/<fileName>.<pid>` */
  path: string;
  task: TaskRecord;
}

/** A queued file as its name describes it; nothing is read. */
export interface QueueEntry {
  fileName: string;
  priority: number;
  at: number;
}

export const RUNNING = 'running';
export const FAILED = 'failed';
export const MAX_PRIORITY = 9999;
/** A `.tmp-` file this old whose writer is gone is debris of a crash mid-enqueue. */
const STALE_TMP_MS = 60_000;
const AT_DIGITS = 13;
const MAX_AT = 10 ** AT_DIGITS - 1;
const QUEUED = /^(\d{4})-(\d{13})-(.+)\.task$/;
const CLAIMED = /^(.+\.task)\.(\d+)$/;
const TASK_NAME = /^[\w$][\w$.-]{0,99}$/;

let counter = 0;
const unique = (): string => `${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`;
const ready = new Set<string>();

/** Creates the spool directory and its `running/` and `failed/` folders (0750, as uWSGI). */
export async function ensureSpoolDir(dir: string): Promise<void> {
  if (ready.has(dir)) return;
  await mkdir(join(dir, RUNNING), { recursive: true, mode: 0o750 });
  await mkdir(join(dir, FAILED), { recursive: true, mode: 0o750 });
  ready.add(dir);
}

/**
 * Queues a task and resolves with its id once the file is durable: written
 * under a temporary name, fsynced, renamed into place and the directory
 * fsynced, so a crash at any moment leaves either no task or a whole one.
 */
export async function enqueueTask(dir: string, t: NewTask, now = Date.now()): Promise<string> {
  const { task, content } = createTask(t, now);
  await ensureSpoolDir(dir);
  await writeDurably(dir, queueName(task), content);
  return task.id;
}

/**
 * Checks a new task and gives its record as a spooler will read it back (the
 * args after a JSON round trip: a Date becomes a string), with the file content.
 */
export function createTask(t: NewTask, now = Date.now()): { task: TaskRecord; content: string } {
  const content = encode(newRecord(t, now));
  try {
    return { task: decode(content), content };
  } catch (err) {
    // JSON.stringify drops what it cannot write (args that are a function or undefined)
    throw new SpoolerError('TSGI_SPOOLER_BAD_TASK', `task ${t.name}: args cannot be written as JSON (${(err as Error).message})`);
  }
}

/**
 * Takes the first due task (lowest priority, then earliest) by renaming it
 * into `running/`; a task another spooler took first is skipped. A file that
 * is not a readable task is moved to `failed/` and the scan goes on.
 */
export async function claimNextTask(dir: string, owner: { pid: number }, now = Date.now()): Promise<Claimed | undefined> {
  await ensureSpoolDir(dir);
  for (const entry of await scanQueue(dir)) {
    if (entry.at > now) continue; // a later priority may be due already
    const path = join(dir, RUNNING, `${entry.fileName}.${owner.pid}`);
    if (!(await renameIfThere(join(dir, entry.fileName), path))) continue;
    let task: TaskRecord;
    try {
      task = decode(await readFile(path, 'utf8'));
    } catch (err) {
      await moveToFailed(path, dir, entry.fileName, `malformed task file: ${(err as Error).message}`);
      continue;
    }
    return { dir, fileName: entry.fileName, path, task };
  }
  return undefined;
}

/** The earliest due time among queued tasks, for the spooler to sleep until. */
export async function nextDueAt(dir: string): Promise<number | undefined> {
  let next: number | undefined;
  for (const e of await scanQueue(dir)) next = next === undefined ? e.at : Math.min(next, e.at);
  return next;
}

/** `ok`: the task is done and its file removed. */
export async function completeTask(c: Claimed): Promise<void> {
  // No directory fsync: if the unlink is lost in a crash the task runs again,
  // which at-least-once allows; a sync per task would cost more than it saves.
  await unlink(c.path);
}

/**
 * `retry` (or a throw): queue the task again, due after `delayMs`, with one
 * more attempt counted. The new file is durable before the claimed one is
 * removed, so a crash in between gives a duplicate, never a loss.
 */
export async function retryTask(c: Claimed, delayMs: number, now = Date.now()): Promise<TaskRecord> {
  const task: TaskRecord = { ...c.task, at: clampAt(now + delayMs), attempts: c.task.attempts + 1 };
  await writeDurably(c.dir, queueName(task), encode(task));
  await unlink(c.path);
  return task;
}

/** `ignore`: the task is dropped; the caller logs it. */
export async function ignoreTask(c: Claimed): Promise<TaskRecord> {
  await unlink(c.path);
  return c.task;
}

/** Moves a claimed task to `failed/` (no handler for it), with the reason beside it. */
export async function failTask(c: Claimed, reason: string): Promise<void> {
  await moveToFailed(c.path, c.dir, c.fileName, reason);
}

export interface Recovery {
  /** tasks put back in the queue: their queue name and the dead owner */
  recovered: { fileName: string; pid: number }[];
  /** files in `running/` that were not claimed tasks, moved to `failed/` */
  failed: string[];
  /** stale `.tmp-` files of dead writers that were removed */
  removedTmp: number;
}

/**
 * Puts back in the queue the tasks whose spooler is gone (killed mid-task,
 * or with its master), and removes half-written files of dead enqueuers.
 * `isAlive` decides; a spooler at start should count its own pid as dead.
 */
export async function recoverOrphans(dir: string, isAlive: (pid: number) => boolean, now = Date.now()): Promise<Recovery> {
  await ensureSpoolDir(dir);
  const result: Recovery = { recovered: [], failed: [], removedTmp: 0 };
  for (const name of await readdir(join(dir, RUNNING))) {
    const from = join(dir, RUNNING, name);
    const m = CLAIMED.exec(name);
    if (!m) {
      if (await moveToFailed(from, dir, name, 'not a claimed task (expected <task file>.<pid>)')) result.failed.push(name);
      continue;
    }
    const pid = Number(m[2]);
    if (isAlive(pid)) continue;
    if (await renameIfThere(from, join(dir, m[1]!))) result.recovered.push({ fileName: m[1]!, pid });
  }
  for (const name of await readdir(dir)) {
    if (!name.startsWith('.tmp-')) continue;
    const pid = Number(name.split('-')[1]);
    if (!Number.isInteger(pid) || isAlive(pid)) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(ignoreGone);
    if (info && now - info.mtimeMs > STALE_TMP_MS && (await unlinkIfThere(path))) result.removedTmp++;
  }
  return result;
}

/** Whether a process exists (EPERM: it does, owned by someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The queued task files, sorted as they should run; files with a bad name go to `failed/`. */
export async function scanQueue(dir: string): Promise<QueueEntry[]> {
  const entries: QueueEntry[] = [];
  for (const fileName of (await readdir(dir)).sort()) {
    if (!fileName.endsWith('.task')) continue; // temporary files, or not ours
    const m = QUEUED.exec(fileName);
    if (m) entries.push({ fileName, priority: Number(m[1]), at: Number(m[2]) });
    else await moveToFailed(join(dir, fileName), dir, fileName, 'file name is not <priority>-<at>-<id>.task');
  }
  return entries;
}

/** The queue file name of a task: sorting these sorts by priority, then due time. */
export function queueName(t: Pick<TaskRecord, 'priority' | 'at' | 'id'>): string {
  return `${String(t.priority).padStart(4, '0')}-${String(t.at).padStart(AT_DIGITS, '0')}-${t.id}.task`;
}

function newRecord(t: NewTask, now: number): TaskRecord {
  if (typeof t.name !== 'string' || !TASK_NAME.test(t.name)) {
    throw new SpoolerError('TSGI_SPOOLER_BAD_TASK', `task name ${JSON.stringify(t.name)} must be 1-100 characters of letters, digits, _ $ . -`);
  }
  const priority = t.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
    throw new SpoolerError('TSGI_SPOOLER_BAD_TASK', `task priority ${priority} must be an integer from 0 (first) to ${MAX_PRIORITY}`);
  }
  const at = t.at ?? now;
  if (typeof at !== 'number' || !Number.isFinite(at)) {
    throw new SpoolerError('TSGI_SPOOLER_BAD_TASK', `task "at" must be epoch milliseconds, got ${String(at)}`);
  }
  return { v: 1, id: `${t.name}-${unique()}`, name: t.name, args: t.args ?? {}, at: clampAt(at), priority, attempts: 0, enqueuedAt: now };
}

function encode(task: TaskRecord): string {
  try {
    return JSON.stringify(task) + '\n';
  } catch (err) {
    throw new SpoolerError('TSGI_SPOOLER_BAD_TASK', `task ${task.name}: args cannot be written as JSON: ${(err as Error).message}`);
  }
}

/** Parses a task file, saying what is wrong with it when it is not a task. */
export function decode(text: string): TaskRecord {
  const o = JSON.parse(text) as Partial<TaskRecord> | null;
  if (typeof o !== 'object' || o === null) throw new Error('not a JSON object');
  if (o.v !== 1) throw new Error(`unknown format version ${String(o.v)}`);
  if (typeof o.id !== 'string' || typeof o.name !== 'string' || !TASK_NAME.test(o.name)) throw new Error('no valid id or name');
  for (const k of ['at', 'priority', 'attempts', 'enqueuedAt'] as const) {
    if (typeof o[k] !== 'number') throw new Error(`"${k}" is not a number`);
  }
  if (!('args' in o)) throw new Error('no "args"');
  return o as TaskRecord;
}

function clampAt(at: number): number {
  return Math.min(MAX_AT, Math.max(0, Math.round(at)));
}

/** write, fsync, rename, fsync the directory (the rename is only durable once the directory is). */
async function writeDurably(dir: string, fileName: string, content: string): Promise<void> {
  const tmp = join(dir, `.tmp-${unique()}`);
  const fh = await open(tmp, 'wx', 0o640);
  try {
    await fh.writeFile(content);
    await syncHandle(fh);
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, join(dir, fileName));
  } catch (err) {
    await unlinkIfThere(tmp);
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await syncHandle(fh);
  } catch (err) {
    // Some filesystems cannot fsync a directory; their renames are as durable as they get.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP') throw err;
  } finally {
    await fh.close();
  }
}

const fsyncFd = promisify(fsync);

/**
 * fsync through the descriptor: Yarn Plug'n'Play replaces fs/promises with handles whose
 * sync() throws "Method not implemented", and an app installed that way spools too.
 */
function syncHandle(fh: FileHandle): Promise<void> {
  return fsyncFd(fh.fd);
}

/** Moves a file to `failed/` with a `.reason` file beside it; false when another spooler moved it first. */
async function moveToFailed(from: string, dir: string, fileName: string, reason: string): Promise<boolean> {
  await ensureSpoolDir(dir);
  const to = join(dir, FAILED, fileName);
  if (!(await renameIfThere(from, to))) return false;
  await writeFile(`${to}.reason`, `${new Date().toISOString()} ${reason}\n`);
  return true;
}

/** rename, reporting false when the source is gone (another spooler took it). */
async function renameIfThere(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function unlinkIfThere(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function ignoreGone(err: unknown): undefined {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw err;
}
