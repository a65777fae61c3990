/**
 * What a spooler process runs (uWSGI's `spooler()` loop, core/spooler.c): put
 * back the tasks of dead spoolers, then run due tasks one at a time, and when
 * none is due sleep until the next `at`, `spooler-frequency` or a wake-up.
 */
import { performance } from 'node:perf_hooks';
import { loadHandlers, retryCause, runHandler, SPOOL_OK, SPOOL_RETRY, type Outcome, type TaskHandlers } from './handlers.js';
import { SpoolerError } from './errors.js';
import { claimNextTask, completeTask, ensureSpoolDir, failTask, ignoreTask, nextDueAt, pidAlive, recoverOrphans, retryTask, type Claimed } from './task-file.js';

export interface RunSpoolerOptions {
  /** the spool directory (`spooler`) */
  dir: string;
  /** `spooler-import`: the handlers module; or `handlers` given directly */
  importPath?: string;
  handlers?: TaskHandlers;
  /** `spooler-frequency`: longest sleep, and the delay before a retried task runs again */
  frequencySeconds: number;
  /** `spooler-max-tasks`: end (`done` resolves `max-tasks`) after this many tasks; 0 = never */
  maxTasks: number;
  /** `spooler-harakiri`: enforced by the master from `stats().taskStart`; here only logged after the fact */
  harakiriSeconds: number;
  /** `spooler-quiet`: no per-task lines; errors are still logged */
  quiet: boolean;
  log: (line: string) => void;
  /**
   * Whether the spooler that claimed a task still lives (default: the pid
   * exists). A spooler process, the only runner in it, passes one that
   * counts its own pid as dead, so its own leftovers are recovered too.
   */
  isAlive?: (pid: number) => boolean;
  /** called after each task, for reports and tests */
  onTask?: (e: TaskEvent) => void;
  /** the owner written into `running/` names (default: this process) */
  pid?: number;
}

/** `failed`: no handler for the task; it was moved to `failed/`. */
export type TaskVerdict = 'ok' | 'retry' | 'ignore' | 'failed';

export interface TaskEvent {
  id: string;
  name: string;
  verdict: TaskVerdict;
  ms: number;
}

export interface SpoolerStats {
  /** tasks handled since start, whatever their verdict (uWSGI counts ok and retry alike) */
  tasks: number;
  running: 0 | 1;
  /** epoch ms the current task started, 0 when idle (the master's harakiri clock) */
  taskStart: number;
  /** the current task's id, '' when idle */
  task: string;
}

/** Why the loop ended: asked to, or `spooler-max-tasks` reached (exit so the master respawns). */
export type SpoolerEnd = 'stopped' | 'max-tasks';

export interface Spooler {
  /** rescan now (a task was queued) */
  wake(): void;
  /** finish the current task, then end; resolves when the loop has ended */
  stop(): Promise<SpoolerEnd>;
  stats(): SpoolerStats;
  /** settles when the loop ends */
  done: Promise<SpoolerEnd>;
}

/** Loads the handlers (rejecting with TSGI_SPOOLER_IMPORT if it cannot) and starts the loop. */
export async function runSpooler(opts: RunSpoolerOptions): Promise<Spooler> {
  const handlers = opts.handlers ?? (opts.importPath ? await loadHandlers(opts.importPath) : undefined);
  if (!handlers) throw new SpoolerError('TSGI_SPOOLER_IMPORT', `spooler ${opts.dir} has no spooler-import: it could run no task`);
  await ensureSpoolDir(opts.dir);
  const loop = new SpoolerLoop(opts, handlers);
  const done = loop.run();
  return { wake: () => loop.wake(), stop: () => loop.stop(done), stats: () => loop.stats(), done };
}

class SpoolerLoop {
  private readonly pid: number;
  private readonly freqMs: number;
  private readonly prefix: string;
  private tasks = 0;
  private current: { id: string; start: number } | undefined;
  private stopping = false;
  /** set by wake(); a wake-up during a scan must not be lost to the sleep that follows */
  private woken = false;
  private wakeSleeper: (() => void) | undefined;

  constructor(
    private readonly opts: RunSpoolerOptions,
    private readonly handlers: TaskHandlers,
  ) {
    this.pid = opts.pid ?? process.pid;
    // a timer past 2^31 - 1 ms fires after 1 ms in Node: a huge spooler-frequency must not become a busy loop
    this.freqMs = Math.min(2 ** 31 - 1, Math.max(1, opts.frequencySeconds * 1000));
    this.prefix = `[spooler ${opts.dir} pid: ${this.pid}]`;
  }

  /** The loop: recover, then claim and manage tasks, or sleep when none is due. */
  async run(): Promise<SpoolerEnd> {
    await this.recover();
    this.info(`ready, task handlers: ${Object.keys(this.handlers).join(', ')}`);
    while (!this.stopping) {
      this.woken = false;
      const claimed = await this.claim();
      if (!claimed) {
        if (await this.idle()) await this.recover();
        continue;
      }
      await this.manage(claimed);
      if (this.opts.maxTasks > 0 && this.tasks >= this.opts.maxTasks) {
        this.opts.log(`${this.prefix} maximum number of tasks reached (${this.opts.maxTasks}) recycling ...`);
        return 'max-tasks';
      }
    }
    return 'stopped';
  }

  wake(): void {
    this.woken = true;
    this.wakeSleeper?.();
  }

  async stop(done: Promise<SpoolerEnd>): Promise<SpoolerEnd> {
    this.stopping = true;
    this.wake();
    return done;
  }

  stats(): SpoolerStats {
    const c = this.current;
    return { tasks: this.tasks, running: c ? 1 : 0, taskStart: c?.start ?? 0, task: c?.id ?? '' };
  }

  private async claim(): Promise<Claimed | undefined> {
    try {
      return await claimNextTask(this.opts.dir, { pid: this.pid });
    } catch (err) {
      this.error(`cannot scan the spool directory: ${(err as Error).message}`);
      await this.sleep(this.freqMs);
      return undefined;
    }
  }

  /** Sleeps until the next due task, the frequency or a wake-up; true when it slept its full time. */
  private async idle(): Promise<boolean> {
    let next: number | undefined;
    try {
      next = await nextDueAt(this.opts.dir);
    } catch (err) {
      this.error(`cannot scan the spool directory: ${(err as Error).message}`);
    }
    const untilDue = next === undefined ? this.freqMs : Math.max(1, next - Date.now());
    return this.sleep(Math.min(this.freqMs, untilDue));
  }

  private sleep(ms: number): Promise<boolean> {
    if (this.woken || this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeSleeper = undefined;
        resolve(true);
      }, ms);
      this.wakeSleeper = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve(false);
      };
    });
  }

  /** Puts back tasks of dead spoolers: at start, and whenever a sleep ran its course. */
  private async recover(): Promise<void> {
    try {
      const r = await recoverOrphans(this.opts.dir, this.opts.isAlive ?? pidAlive);
      for (const t of r.recovered) this.opts.log(`${this.prefix} requeued task ${t.fileName} of dead spooler (pid: ${t.pid})`);
      for (const f of r.failed) this.error(`moved ${f} from running/ to failed/: not a claimed task`);
      if (r.removedTmp > 0) this.info(`removed ${r.removedTmp} half-written task file(s) of dead processes`);
    } catch (err) {
      this.error(`cannot recover orphaned tasks: ${(err as Error).message}`);
    }
  }

  /** Runs one claimed task and files it by its verdict. */
  private async manage(c: Claimed): Promise<void> {
    const { id, name } = c.task;
    const handler = Object.hasOwn(this.handlers, name) ? this.handlers[name] : undefined;
    const t0 = performance.now();
    let verdict: TaskVerdict = 'failed';
    if (!handler) {
      this.error(`no handler for task ${id} (${name}), have you exported it from spooler-import ? moved to failed/`);
      await this.record(id, () => failTask(c, `no handler named "${name}"`));
    } else {
      this.current = { id, start: Date.now() };
      this.info(`managing task ${id} ...`);
      const outcome = await runHandler(handler, c.task);
      this.current = undefined;
      verdict = outcome.result;
      await this.record(id, () => this.file(c, outcome, Math.round(performance.now() - t0)));
    }
    this.tasks++;
    this.opts.onTask?.({ id, name, verdict, ms: Math.round(performance.now() - t0) });
  }

  /** ok → delete; retry (or a throw) → queue again after the frequency; ignore → delete, logged. */
  private async file(c: Claimed, o: Outcome, ms: number): Promise<void> {
    const id = c.task.id;
    const h = this.opts.harakiriSeconds;
    if (h > 0 && ms > h * 1000) this.error(`task ${id} ran ${ms} ms, longer than spooler-harakiri (${h} s)`);
    if (o.result === SPOOL_OK) {
      await completeTask(c);
      this.info(`done with task ${id} after ${ms} ms`);
    } else if (o.result === SPOOL_RETRY) {
      const next = await retryTask(c, this.freqMs);
      const when = `attempt ${next.attempts}, next run in ${this.freqMs / 1000} s`;
      const cause = retryCause(o);
      if (cause) this.error(`task ${id} ${cause}; retrying (${when})`);
      else this.info(`task ${id} asked to retry (${when})`);
    } else {
      await ignoreTask(c);
      this.opts.log(`${this.prefix} task ${id} ignored by its handler, dropped`);
    }
  }

  /**
   * A file operation that fails (disk full, permissions) leaves the task in
   * running/ under our pid: it runs again once this process is gone.
   */
  private async record(id: string, op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err) {
      this.error(`cannot record the result of task ${id}: ${(err as Error).message}`);
    }
  }

  private info(text: string): void {
    if (!this.opts.quiet) this.opts.log(`${this.prefix} ${text}`);
  }

  private error(text: string): void {
    this.opts.log(`${this.prefix} ${text}`);
  }
}
