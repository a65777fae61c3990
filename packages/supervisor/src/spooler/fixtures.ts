/**
 * Test helpers for the spooler: scratch spool directories, bounded waits, a
 * handlers module written to disk, and real spooler processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPOOLER_MAIN } from './index.js';
import type { SpoolerBoot, SpoolerReport } from './protocol.js';

export { SPOOLER_MAIN };

/** A fresh directory under os.tmpdir(); `cleanup` removes it. */
export async function scratch(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tsgi-spool-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Rejects when `promise` has not settled within `ms`. */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `cond` every 20 ms until it holds, failing after `ms`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The queued task files (`.task`) of a spool directory. */
export async function queued(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.task')).sort();
}

export async function listed(dir: string, sub: 'running' | 'failed'): Promise<string[]> {
  return (await readdir(join(dir, sub))).sort();
}

/** Lines of a file, [] when it does not exist yet. */
export function lines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * A `spooler-import` module for real spooler processes: `record` appends
 * `<n> <pid>` to args.out; `hang` writes its pid to args.marker and never ends.
 */
export async function writeHandlersModule(dir: string): Promise<string> {
  const file = join(dir, 'tasks.mjs');
  await writeFile(
    file,
    `import { appendFileSync, writeFileSync } from 'node:fs';
export async function record(args) { appendFileSync(args.out, args.n + ' ' + process.pid + '\\n'); return 'ok'; }
export async function hang(args) { writeFileSync(args.marker, String(process.pid)); await new Promise(() => {}); }
`,
  );
  return file;
}

export interface SpoolerChild {
  child: ChildProcess;
  reports: SpoolerReport[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (tests kill what they start, by pid) */
  kill: () => void;
}

/** Forks a real spooler process, this test process playing the master. */
export function startSpooler(boot: Omit<SpoolerBoot, 'masterPid' | 'id'> & { id?: number }): SpoolerChild {
  const full: SpoolerBoot = { id: 1, masterPid: process.pid, ...boot };
  const child = fork(SPOOLER_MAIN, [], {
    env: { ...process.env, TSGI_SPOOLER_BOOT: JSON.stringify(full) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  const reports: SpoolerReport[] = [];
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  child.on('message', (m: SpoolerReport) => reports.push(m));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  };
  return { child, reports, stderr: () => err, exited, kill };
}
