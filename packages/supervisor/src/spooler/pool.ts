import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, realpathSync } from 'node:fs';
import { splitNodeArgs, type TsgiConfig } from '@tsgi/config';
import type { StatsSpooler } from '@tsgi/stats-protocol';
import type { ChildLogs } from '../log/log-master.js';
import type { Logger } from '../log/logger.js';
import { EXIT, retirementMercyMs } from '../protocol.js';
import { isBootFailure, respawnDelay } from '../master/backoff.js';
import { ENV_SPOOLER, ENV_SPOOLER_BOOT, SPOOLER_MAIN, isSpooledMessage, isSpoolerReport, type SpoolerBoot, type SpoolerCommand, type SpoolerReport } from './protocol.js';
import { resolvePath } from '../os/paths.js';

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

/**
 * A spooler process, from its spawn until the loop handles its exit; it
 * outlives its slot when a reload or shutdown drops the slot while the
 * process finishes its task.
 */
interface SpoolerProcess {
  child: ChildProcess;
  /** epoch ms at which a process told to stop is SIGKILLed (murder); 0 while not stopping */
  killAt: number;
}

/** What the master's loop hears from its spoolers (they only enqueue these). */
export type SpoolerEvent =
  | { kind: 'report'; slot: SpoolerSlot; report: SpoolerReport }
  | { kind: 'spooled'; dir: string }
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
    /** reads the spoolers' stdout and stderr; undefined: they inherit the master's stderr */
    private readonly logs: ChildLogs | undefined,
  ) {}

  /** Absolute spool directories of a config (created if missing). */
  static directories(c: TsgiConfig, cwd: string): string[] {
    return c.spooler.map((d) => {
      const abs = resolvePath(cwd, d);
      mkdirSync(abs, { recursive: true });
      return realpathSync(abs);
    });
  }

  /**
   * Applies a config: the slots it wants (stopping the processes of the previous one, which respawn with the new).
   * Throws, with nothing changed, when a spool directory cannot be made.
   */
  configure(c: TsgiConfig): void {
    const dirs = SpoolerPool.directories(c, this.cwd);
    const first = this.cfg === undefined;
    this.cfg = c;
    this.dirs = dirs;
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

  /**
   * The master's murder step for spoolers: one told to stop (reload, shutdown)
   * that is still running at its deadline is SIGKILLed, and with
   * `spooler-harakiri` a task running too long gets its spooler SIGKILLed
   * (in both cases the task runs again).
   */
  murder(now: number): void {
    for (const p of this.processes) {
      if (p.killAt === 0 || now < p.killAt) continue;
      p.killAt = 0;
      p.child.kill('SIGKILL');
    }
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

  /** Acts on what a spooler process said or did, in the master's loop. */
  handle(ev: SpoolerEvent): void {
    if (ev.kind === 'spooled') return this.wake(ev.dir);
    if (ev.kind === 'report') {
      ev.slot.report = ev.report;
      if (ev.slot.readyAt === 0) ev.slot.readyAt = Date.now();
      return;
    }
    const i = this.processes.findIndex((p) => p.child === ev.child);
    if (i !== -1) this.processes.splice(i, 1);
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
      s.fastFailures = isBootFailure(s.readyAt) ? s.fastFailures + 1 : 0;
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
    return this.processes.filter(({ child: c }) => c.exitCode === null && c.signalCode === null).length;
  }

  /** Kills what is left (the master is exiting). */
  killAll(): void {
    for (const p of this.processes) p.child.kill('SIGKILL');
  }

  /** The stats' `spoolers` list: uWSGI's keys. */
  stats(): StatsSpooler[] {
    return this.slots.map((s) => ({ dir: s.dir, pid: s.pid, tasks: s.baseTasks + (s.report?.tasks ?? 0), respawns: s.respawns, running: s.report?.running ?? 0 }));
  }

  /** `TSGI_SPOOLER` for the workers: every spool directory, the first being the default. */
  env(): Record<string, string> {
    return this.dirs.length > 0 ? { [ENV_SPOOLER]: this.dirs.join(':') } : {};
  }

  /** the spool directories of the config in force, made and resolved once per config */
  private dirs: string[] = [];

  private readonly processes: SpoolerProcess[] = [];

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
    const out = this.logs ? 'pipe' : 'inherit';
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [...process.execArgv, ...splitNodeArgs(c.nodeArgs), SPOOLER_MAIN], {
        cwd: c.chdir ? resolvePath(this.cwd, c.chdir) : this.cwd,
        env: { ...this.spawnEnv(), ...this.env(), [ENV_SPOOLER_BOOT]: JSON.stringify(boot) },
        stdio: ['ignore', out, out, 'ipc'],
        detached: true,
        serialization: 'json',
      });
    } catch (err) {
      // EAGAIN, ENOMEM: a boot failure of the slot, retried after its delay
      this.logger.log(`cannot spawn the spooler of ${s.dir}: ${(err as Error).message}`);
      s.fastFailures++;
      s.nextSpawnAt = now + respawnDelay(s.fastFailures, c.forkbombDelay, c.respawnBackoffMax) * 1000;
      return;
    }
    this.logs?.adopt(child, { wid: 0 });
    this.processes.push({ child, killAt: 0 });
    child.on('exit', (code, signal) => this.enqueue({ kind: 'exit', slot: s, child, code, signal }));
    child.on('message', (m) => {
      if (isSpoolerReport(m)) this.enqueue({ kind: 'report', slot: s, report: m });
      else if (isSpooledMessage(m)) this.enqueue({ kind: 'spooled', dir: m.dir });
    });
    child.on('error', (err) => {
      this.logger.log(`cannot spawn the spooler of ${s.dir}: ${err.message}`);
      // a process that never started emits no 'exit': its slot goes the way of a death
      if (child.pid === undefined) this.enqueue({ kind: 'exit', slot: s, child, code: null, signal: null });
    });
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
    const p = this.processes.find((x) => x.child === s.child);
    // spoolers stop on a reload or a shutdown: the current task gets the workers' mercy for
    // one (reload-mercy caps it), then the spooler is killed (the task will run again)
    const mercyMs = retirementMercyMs('reload', (this.cfg?.workerReloadMercy ?? 60) * 1000, (this.cfg?.reloadMercy ?? 0) * 1000);
    if (p && p.killAt === 0) p.killAt = Date.now() + mercyMs;
  }

  private send(s: SpoolerSlot, msg: SpoolerCommand): void {
    if (s.child?.connected) s.child.send(msg);
  }
}
