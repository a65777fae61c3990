import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, realpathSync } from 'node:fs';
import type { TsgiConfig } from '@tsgi/config';
import type { StatsSpooler } from '@tsgi/stats-protocol';
import type { Logger } from '../log/logger.js';
import { EXIT } from '../protocol.js';
import { ENV_SPOOLER, ENV_SPOOLER_BOOT, SPOOLER_MAIN, isSpoolerReport, type SpoolerBoot, type SpoolerCommand, type SpoolerReport } from '../spooler/index.js';
import { isFastDeath, respawnDelay } from './backoff.js';
import { resolvePath } from './worker-boot.js';

/** One spooler process slot: `spooler-processes` of them per `spooler` directory. */
interface SpoolerSlot {
  id: number;
  dir: string;
  child: ChildProcess | undefined;
  pid: number;
  spawnedAt: number;
  readyAt: number;
  stopping: boolean;
  /** tasks run by the slot's processes, cumulative */
  baseTasks: number;
  report: SpoolerReport | undefined;
  respawns: number;
  fastFailures: number;
  nextSpawnAt: number;
}

/** What the master's loop hears from its spoolers (they only enqueue these). */
export type SpoolerEvent =
  | { kind: 'report'; slot: SpoolerSlot; report: SpoolerReport }
  | { kind: 'exit'; slot: SpoolerSlot; child: ChildProcess; code: number | null; signal: NodeJS.Signals | null };

/**
 * The spooler processes (README, "Background tasks"), supervised like workers: spawned for
 * each `spooler` directory, respawned when they die (with the crash-loop
 * backoff), recycled after `spooler-max-tasks`, killed on `spooler-harakiri`,
 * woken when a worker spools a task, stopped gracefully (current task
 * first) on reload and shutdown.
 */
export class SpoolerPool {
  private slots: SpoolerSlot[] = [];
  private cfg: TsgiConfig | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly cwd: string,
    private readonly enqueue: (ev: SpoolerEvent) => void,
    private readonly spawnEnv: () => NodeJS.ProcessEnv,
    private logFd: number | undefined,
  ) {}

  /** The log descriptor spoolers spawned from now on write to (fifo `l`). */
  setLogFd(fd: number): void {
    this.logFd = fd;
  }

  /** Absolute spool directories of a config (created if missing). */
  static directories(c: TsgiConfig, cwd: string): string[] {
    return c.spooler.map((d) => {
      const abs = resolvePath(cwd, d);
      mkdirSync(abs, { recursive: true });
      return realpathSync(abs);
    });
  }

  /** Applies a config: the slots it wants (stopping the processes of the previous one, which respawn with the new). */
  configure(c: TsgiConfig): void {
    const first = this.cfg === undefined;
    this.cfg = c;
    const dirs = SpoolerPool.directories(c, this.cwd);
    const wanted: { dir: string; id: number }[] = [];
    for (const dir of dirs) for (let i = 0; i < c.spoolerProcesses; i++) wanted.push({ dir, id: wanted.length + 1 });
    const old = this.slots;
    this.slots = wanted.map(({ dir, id }) => {
      const prev = old.find((s) => s.dir === dir && s.id === id);
      return prev ?? { id, dir, child: undefined, pid: 0, spawnedAt: 0, readyAt: 0, stopping: false, baseTasks: 0, report: undefined, respawns: 0, fastFailures: 0, nextSpawnAt: 0 };
    });
    for (const s of old) if (!this.slots.includes(s)) this.stop(s);
    if (!first) for (const s of this.slots) this.stop(s); // reload: fresh code, after the current task
  }

  /** Spawns what is missing. */
  manage(now: number): void {
    for (const s of this.slots) if (!s.child && now >= s.nextSpawnAt) this.spawn(s, now);
  }

  /** `spooler-harakiri`: a task running too long gets its spooler SIGKILLed (the task runs again). */
  murder(now: number): void {
    const limit = (this.cfg?.spoolerHarakiri ?? 0) * 1000;
    if (limit <= 0) return;
    for (const s of this.slots) {
      const start = s.report?.taskStart ?? 0;
      if (s.child && start > 0 && now - start > limit) {
        this.logger.verbose(`*** HARAKIRI ON THE SPOOLER (pid: ${s.pid}) ***`);
        s.report = undefined;
        s.child.kill('SIGKILL');
      }
    }
  }

  handle(ev: SpoolerEvent): void {
    if (ev.kind === 'report') {
      ev.slot.report = ev.report;
      if (ev.slot.readyAt === 0) ev.slot.readyAt = Date.now();
      return;
    }
    const s = ev.slot;
    if (s.child !== ev.child) return;
    s.baseTasks += s.report?.tasks ?? 0;
    s.report = undefined;
    s.child = undefined;
    s.pid = 0;
    const now = Date.now();
    const expected = s.stopping || ev.code === 0;
    s.stopping = false;
    if (!expected) {
      if (ev.code === EXIT.FAILED_APP) this.logger.log(`OOPS ! the spooler of ${s.dir} could not load spooler-import :( trying again...`);
      else this.logger.log(`OOOPS the spooler is no more...trying respawn... (${s.dir}, ${ev.signal ?? `exit ${ev.code}`})`);
      s.fastFailures = isFastDeath(s.spawnedAt, s.readyAt, now) ? s.fastFailures + 1 : 0;
      const delay = respawnDelay(s.fastFailures, this.cfg?.forkbombDelay ?? 2, this.cfg?.respawnBackoffMax ?? 30);
      s.nextSpawnAt = now + delay * 1000;
    }
    if (!this.slots.includes(s)) return;
    s.respawns++;
  }

  /** A worker spooled a task: wake the spoolers of that directory. */
  wake(dir: string): void {
    for (const s of this.slots) if (s.dir === dir) this.send(s, { t: 'wake' });
  }

  /** Shutdown: ask every spooler to stop after its current task. */
  stopAll(): void {
    for (const s of this.slots) this.stop(s);
    this.slots = [];
  }

  /** Processes still running (shutdown waits for them). */
  get running(): number {
    return this.all.filter((c) => c.exitCode === null && c.signalCode === null).length;
  }

  /** Kills what is left (the master is exiting). */
  killAll(): void {
    for (const c of this.all) c.kill('SIGKILL');
  }

  /** The stats' `spoolers` list: uWSGI's keys. */
  stats(): StatsSpooler[] {
    return this.slots.map((s) => ({ dir: s.dir, pid: s.pid, tasks: s.baseTasks + (s.report?.tasks ?? 0), respawns: s.respawns, running: s.report?.running ?? 0 }));
  }

  /** `TSGI_SPOOLER` for the workers: every spool directory, the first being the default. */
  envFor(c: TsgiConfig): Record<string, string> {
    const dirs = SpoolerPool.directories(c, this.cwd);
    return dirs.length > 0 ? { [ENV_SPOOLER]: dirs.join(':') } : {};
  }

  private readonly all: ChildProcess[] = [];

  private spawn(s: SpoolerSlot, now: number): void {
    const c = this.cfg!;
    const boot: SpoolerBoot = {
      id: s.id,
      masterPid: process.pid,
      dir: s.dir,
      importPath: c.spoolerImport ? resolvePath(c.chdir ? resolvePath(this.cwd, c.chdir) : this.cwd, c.spoolerImport) : '',
      frequencySeconds: c.spoolerFrequency,
      maxTasks: c.spoolerMaxTasks,
      harakiriSeconds: c.spoolerHarakiri,
      quiet: c.spoolerQuiet,
    };
    const out = this.logFd ?? 'inherit';
    const child = spawn(process.execPath, [...process.execArgv, SPOOLER_MAIN], {
      cwd: c.chdir ? resolvePath(this.cwd, c.chdir) : this.cwd,
      env: { ...this.spawnEnv(), ...this.envFor(c), [ENV_SPOOLER_BOOT]: JSON.stringify(boot) },
      stdio: ['ignore', out, out, 'ipc'],
      detached: true,
      serialization: 'json',
    });
    this.all.push(child);
    child.on('exit', (code, signal) => {
      this.all.splice(this.all.indexOf(child), 1);
      this.enqueue({ kind: 'exit', slot: s, child, code, signal });
    });
    child.on('message', (m) => {
      if (isSpoolerReport(m)) this.enqueue({ kind: 'report', slot: s, report: m });
      else if ((m as { t?: string })?.t === 'spooled') this.wake((m as { dir: string }).dir);
    });
    child.on('error', (err) => this.logger.log(`cannot spawn the spooler of ${s.dir}: ${err.message}`));
    s.child = child;
    s.pid = child.pid ?? 0;
    s.spawnedAt = now;
    s.readyAt = 0;
    this.logger.log(`spawned the tsgi spooler on ${s.dir} (pid: ${s.pid})`);
  }

  private stop(s: SpoolerSlot): void {
    if (!s.child) return;
    s.stopping = true;
    this.send(s, { t: 'stop' });
    const child = s.child;
    // the current task gets the workers' mercy, then the spooler is killed (the task will run again)
    setTimeout(() => child.kill('SIGKILL'), (this.cfg?.workerReloadMercy ?? 60) * 1000).unref();
  }

  private send(s: SpoolerSlot, msg: SpoolerCommand): void {
    if (s.child?.connected) s.child.send(msg);
  }
}
