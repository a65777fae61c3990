import os from 'node:os';
import { closeSync, readFileSync, unlinkSync } from 'node:fs';
import type { TsgiConfig } from '@tsgi/config';
import type { StatsDocument } from '@tsgi/stats-protocol';
import { EXIT, isWorkerMessage, type MasterMessage, type RecycleReason, type WorkerMessage } from '../protocol.js';
import type { Logger } from '../log/logger.js';
import { SupervisorError } from '../errors.js';
import { checkIdle, cheaperSettings, createCheaper, initialIdleState, type Cheaper, type CheaperState, type IdleState } from '../cheaper/index.js';
import { collectStats } from '../stats/collect.js';
import type { ProcessSample } from '../os/proc.js';
import { startStatsServer, type StatsServer } from '../stats/servers.js';
import { statsSummary } from '../stats/summary.js';
import { cheaperInput } from './adapt.js';
import { isFastDeath, respawnDelay } from './backoff.js';
import { bannerLines, modeLines } from './banner.js';
import { CheapMode } from '../cheap/cheap-mode.js';
import { openMasterFifo } from './fifo.js';
import { COLD_ELU, planShedding } from './rebalance.js';
import { evilReloadDue, harakiriDue, harakiriReport, lifetimeDue, memoryRecycleDue } from './health.js';
import { removePidfile, writePidfile } from './pidfile.js';
import { planWorkers } from './reconcile.js';
import { HttpRouter } from '../router/router.js';
import { SpoolerPool, type SpoolerEvent } from '../spooler/pool.js';
import { clearSamples, sampleProcesses, socketQueues } from './sampler.js';
import { bindSocket, listenSockets, type BoundSocket } from './sockets.js';
import { spawnWorker, type Spawner } from './spawn.js';
import { TouchWatcher } from './touch.js';
import { procname, workerBoot, workerEnv } from './worker-boot.js';
import { resolvePath } from '../os/paths.js';
import { buryCounters, newSlot, slotRequests, type SlotRecord, type WorkerRecord } from './worker-table.js';

/** The master's phase (STYLE 7). Cheap mode is a sub-state of `running`. */
export type MasterPhase = 'starting' | 'running' | 'reloading' | 'stopping' | 'stopped';

/** What wakes the loop. Signal listeners, timers and child events only enqueue these (STYLE 1). */
export type MasterEvent =
  | { type: 'signal'; signal: NodeJS.Signals }
  | { type: 'message'; worker: WorkerRecord; msg: WorkerMessage }
  | { type: 'exit'; worker: WorkerRecord; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'command'; command: string }
  | { type: 'sample'; samples: Map<number, ProcessSample> }
  | { type: 'queues'; queues: Map<string, number> }
  | { type: 'spooler'; event: SpoolerEvent };

/** Re-reads the configuration (SIGHUP); errors are logged and the old config kept. */
export type ConfigReader = () => { config?: TsgiConfig; errors: string[]; warnings: string[] };

export interface MasterOptions {
  config: TsgiConfig;
  logger: Logger;
  readConfig: ConfigReader;
  spawner?: Spawner;
  /** descriptor workers write their stdout/stderr to; undefined: inherit */
  logFd?: number;
  /**
   * fifo `l`: opens the log file anew (after logrotate moved it) and returns its
   * descriptor, which the logger must now write to; absent without `logto`.
   */
  reopenLog?: () => number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGTTIN', 'SIGTTOU', 'SIGTSTP'];
/** How long a worker told to end at once (brutal reload, shutdown) has before SIGKILL. */
const END_MERCY_MS = 3000;

/**
 * The master: binds the sockets, forks the workers and keeps them as the
 * configuration wants. One loop, one writer: every state change happens in
 * the loop's steps, in order — dispatch events, murder, manage, once a
 * second (touch files, readings), adapt (cheaper, idle), finish transitions.
 */
export class Master {
  phase: MasterPhase = 'starting';
  generation = 1;
  readonly startedAt = Date.now();
  reloads = 0;
  exitCode = 0;
  cfg: TsgiConfig;
  readonly slots: SlotRecord[] = [];
  readonly workers: WorkerRecord[] = [];
  /** bound sockets by configured name; kept across reloads */
  readonly sockets = new Map<string, BoundSocket>();
  private readonly logger: Logger;
  private readonly readConfig: ConfigReader;
  private readonly spawner: Spawner;
  private logFd: number | undefined;
  private readonly reopenLogFile: (() => number) | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly cwd: string;
  private events: MasterEvent[] = [];
  private wake: (() => void) | undefined;
  private brutal = false;
  /** a reload's new sockets are being bound (no spawning until they are) */
  private binding = false;
  /** SIGTSTP: every worker stopped by the kernel until the next SIGTSTP */
  private paused = false;
  /** some worker has loaded the app since boot (need-app) */
  private everReady = false;
  private readonly signalHandlers = new Map<NodeJS.Signals, () => void>();
  private statsServer: StatsServer | undefined;
  private samples = new Map<number, ProcessSample>();
  private queues = new Map<string, number>();
  private lastSecond = 0;
  private sampling = false;
  private readingQueues = false;
  private touches: TouchWatcher | undefined;
  private fifos: { close(): void }[] = [];
  /** cheaper mode: the algorithm and its state (none without `cheaper`) */
  private cheaper: { algo: Cheaper; state: CheaperState } | undefined;
  private idleState: IdleState = initialIdleState();
  private readonly cheap = new CheapMode(() => this.enqueue({ type: 'command', command: 'wake' }));
  /** fifo `c`: slots still to be replaced one at a time (chain reload) */
  private chain: number[] | undefined;
  /** `http`: uWSGI's HTTP router, in the master */
  private router: HttpRouter | undefined;
  /** `spooler`: the processes running spooled tasks */
  private readonly spoolers: SpoolerPool;

  constructor(opts: MasterOptions) {
    this.cfg = opts.config;
    this.logger = opts.logger;
    this.readConfig = opts.readConfig;
    this.spawner = opts.spawner ?? spawnWorker;
    this.logFd = opts.logFd;
    this.reopenLogFile = opts.reopenLog;
    this.env = opts.env ?? process.env;
    this.cwd = opts.cwd ?? process.cwd();
    this.spoolers = new SpoolerPool(this.logger, this.cwd, (event) => this.enqueue({ type: 'spooler', event }), () => this.env, this.logFd);
  }

  /** Runs until shutdown; resolves with the exit status. */
  async run(): Promise<number> {
    this.installSignals();
    try {
      await this.boot();
      for (;;) {
        this.dispatchEvents();
        this.murderWorkers();
        this.manageWorkers();
        this.everySecond();
        this.advanceChain();
        this.adaptWorkers();
        this.finishTransitions();
        if (this.stopped()) break;
        await this.sleep(this.nextWakeMs());
      }
    } finally {
      this.removeSignals();
      this.vacuum();
    }
    return this.exitCode;
  }

  /** Queues an event and wakes the loop. */
  enqueue(ev: MasterEvent): void {
    this.events.push(ev);
    this.wake?.();
  }

  stopped(): boolean {
    return this.phase === 'stopped';
  }

  /** Workers in a state that serves or will serve. */
  liveWorkers(): WorkerRecord[] {
    return this.workers.filter((w) => w.state === 'starting' || w.state === 'ready');
  }

  /** The slot's cumulative requests, dead and live processes together. */
  slotRequests(slot: SlotRecord): number {
    return slotRequests(slot, this.workers);
  }

  /** The stats document (SPEC §8), built from the master's tables; cheap enough to build per request. */
  statsDocument(): StatsDocument {
    const c = this.cfg;
    return collectStats(
      {
        pid: process.pid,
        uid: process.getuid?.() ?? 0,
        gid: process.getgid?.() ?? 0,
        cwd: this.cwd,
        phase: this.cheap.active && this.phase === 'running' ? 'cheap' : this.phase,
        paused: this.paused,
        startedAt: this.startedAt,
        reloads: this.reloads,
        threads: c.threads,
        chdir: c.chdir ?? '',
        noCores: c.statsNoCores,
        memoryReport: c.memoryReport || c.reloadOnRss > 0 || c.reloadOnAs > 0 || c.evilReloadOnRss > 0 || c.evilReloadOnAs > 0,
        slots: this.slots,
        workers: this.workers,
        sockets: [
          ...[...this.sockets].map(([name, s]) => ({ name, proto: s.proto, queue: this.queues.get(name) ?? 0, maxQueue: s.backlog })),
          // the router accepts at once: its queue is what waits for a worker
          ...c.http.map((name) => ({ name, proto: 'http-router', queue: this.router?.waiting ?? 0, maxQueue: c.listen })),
        ],
        samples: this.samples,
        spoolers: this.spoolers.stats(),
      },
      Date.now(),
    );
  }

  // ---- boot ---------------------------------------------------------------

  private async boot(): Promise<void> {
    const c = this.cfg;
    for (const line of bannerLines(c, this.cwd)) this.logger.log(line);
    await this.bindConfiguredSockets(c);
    if (c.http.length > 0) {
      this.router = new HttpRouter(
        this.logger,
        () => this.workers.filter((w) => w.state === 'ready'),
        () => this.cheap.active && this.enqueue({ type: 'command', command: 'wake' }),
      );
      await this.router.listen(c.http, c.listen, c.chmodSocket);
    }
    if (c.pidfile) writePidfile(this.path(c.pidfile), process.pid);
    this.setPriority(c.prio);
    this.dropPrivileges(c);
    for (const line of modeLines(c)) this.logger.log(line);
    for (let id = 1; id <= c.processes; id++) this.slots.push(newSlot(id));
    this.spoolers.configure(c);
    this.configureCheaper(c);
    if (c.cheaper > 0) {
      const initial = Math.max(c.cheaperInitial, c.cheaper);
      for (const s of this.slots) s.active = s.id <= initial;
      this.logger.log(`cheaper mode: ${c.cheaperAlgo}, ${c.cheaper}..${c.processes} workers, ${initial} at start`);
    }
    if (c.cheap) this.enterCheapMode('cheap = true: waiting for the first connection');
    this.phase = 'running';
    this.touches = new TouchWatcher(c.touchReload.map((f) => this.path(f)));
    for (const f of this.touches.missing()) {
      this.logger.log(`unable to stat() ${f}, events will be triggered as soon as the file is created`);
    }
    for (const f of c.masterFifo) {
      this.fifos.push(openMasterFifo(this.path(f), (command) => this.enqueue({ type: 'command', command })));
    }
    if (c.stats) {
      this.statsServer = await startStatsServer({
        address: c.stats,
        http: c.statsHttp,
        minified: c.statsMinified,
        pushSeconds: c.statsPush,
        chmod: c.chmodSocket,
        logger: this.logger,
        snapshot: () => this.statsDocument(),
      });
    }
  }

  private async bindConfiguredSockets(c: TsgiConfig): Promise<void> {
    const fresh: BoundSocket[] = [];
    for (const [name, proto] of configuredSockets(c)) {
      if (this.sockets.has(name)) continue;
      const s = await bindSocket(name.startsWith('/') || name.includes(':') ? name : this.path(name), proto, c.listen, c.chmodSocket);
      this.sockets.set(name, s);
      fresh.push(s);
      const where = s.kind === 'tcp' ? `TCP address ${s.host}:${s.port}` : `UNIX address ${s.path}`;
      this.logger.log(`tsgi ${proto} socket ${this.sockets.size - 1} bound to ${where} fd ${s.fd}`);
    }
    listenSockets(fresh);
  }

  /**
   * `prio`: the master's nice value, which every process it starts inherits. Set before
   * uid/gid give up root, so that a negative one can work (uWSGI sets it after).
   */
  private setPriority(prio: number | undefined): void {
    if (prio === undefined) return;
    try {
      os.setPriority(prio);
      this.logger.log(`scheduler priority set to ${prio}`);
    } catch (err) {
      this.logger.log(`*** cannot set the scheduler priority to ${prio}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (only root can lower a nice value) ***`);
    }
  }

  /** `uid`/`gid`: drop privileges after binding, as uWSGI does; workers inherit them. */
  private dropPrivileges(c: TsgiConfig): void {
    const apply = (what: 'gid' | 'uid', value: string | undefined, fn: ((id: number | string) => void) | undefined): void => {
      if (!value) return;
      try {
        fn!(/^\d+$/.test(value) ? Number(value) : value);
      } catch (err) {
        throw new SupervisorError('TSGI_PRIVILEGES', `cannot set ${what} to ${value}: ${(err as Error).message}`);
      }
      this.logger.log(`set${what}() to ${value}`);
    };
    apply('gid', c.gid, process.setgid);
    apply('uid', c.uid, process.setuid);
  }

  // ---- the loop's steps ---------------------------------------------------

  /** Step 1: handle queued signals, worker messages and exits. */
  private dispatchEvents(): void {
    const events = this.events;
    this.events = [];
    for (const ev of events) {
      if (ev.type === 'signal') this.handleSignal(ev.signal);
      else if (ev.type === 'message') this.handleMessage(ev.worker, ev.msg);
      else if (ev.type === 'exit') this.reapWorker(ev.worker, ev.code, ev.signal);
      else if (ev.type === 'sample') this.samples = ev.samples;
      else if (ev.type === 'queues') this.queues = ev.queues;
      else if (ev.type === 'spooler') this.spoolers.handle(ev.event);
      else this.handleCommand(ev.command);
    }
  }

  /**
   * Step 2 (`worker-reload-mercy`, `harakiri`, `evil-reload-on-rss/as`,
   * `max-worker-lifetime`): SIGKILL workers that outlived their mercy, are
   * stuck in a request or over the evil memory limit; mark those past their
   * lifetime for a graceful replacement.
   */
  private murderWorkers(): void {
    const now = Date.now();
    const c = this.cfg;
    this.spoolers.murder(now);
    this.cheap.murder(now);
    let soft: ReturnType<typeof memoryRecycleDue>;
    for (const w of this.workers) {
      if (w.state === 'draining' && now - w.cursedAt > c.workerReloadMercy * 1000) {
        this.logger.verbose(`worker ${w.slot} (pid: ${w.pid}) is taking too much time to die...NO MERCY !!!`);
        this.kill(w, 'SIGKILL');
      } else if (w.state === 'ending' && now - w.cursedAt > END_MERCY_MS) {
        this.kill(w, 'SIGKILL');
      } else if (!this.paused && harakiriDue(w, c.harakiri, now)) {
        this.harakiri(w);
      } else if (w.state === 'ready' || w.state === 'draining') {
        const evil = evilReloadDue(this.samples.get(w.pid), c);
        if (evil) {
          this.samples.delete(w.pid);
          w.reason = evil.reason;
          this.logger.verbose(`*** EVIL RELOAD ON WORKER ${w.slot} ${evil.what} (pid: ${w.pid}) ***`);
          this.kill(w, 'SIGKILL');
        } else if ((soft = memoryRecycleDue(w, this.samples.get(w.pid), c, now))) {
          this.logger.verbose(`worker ${w.slot} (pid: ${w.pid}) ${soft.what}: starting its successor (reload-on-${soft.reason})`);
          w.replaceReason = soft.reason;
          this.slot(w).lastReason = soft.reason;
        } else if (lifetimeDue(w, c, now)) {
          this.logger.verbose(`worker ${w.slot} lifetime reached, it was running for ${Math.floor((now - w.spawnedAt) / 1000)} second(s)`);
          w.replaceReason = 'lifetime';
          this.slot(w).lastReason = 'lifetime';
        }
      }
    }
  }

  /** Step 3: reconcile the workers with what is wanted (see planWorkers). */
  private manageWorkers(): void {
    if (this.phase === 'stopping' || this.phase === 'stopped' || this.phase === 'starting') return;
    // sockets a reload added are being bound: its workers must inherit them, so they wait
    if (this.binding) return;
    this.spoolers.manage(Date.now());
    const plan = planWorkers({ slots: this.slots, workers: this.workers, generation: this.generation, brutal: this.brutal, now: Date.now() });
    for (const slot of plan.spawn) this.spawn(slot);
    for (const w of plan.end) this.end(w, 'brutal-reload');
    for (const { worker, reason } of plan.retire) this.retire(worker, reason);
  }

  /** Step 4: what uWSGI's master does once per cycle (~1 s): touch files, then readings. */
  private everySecond(): void {
    const now = Date.now();
    if (now - this.lastSecond < 1000) return;
    this.lastSecond = now;
    for (const f of this.touches?.check() ?? []) {
      this.logger.verbose(`*** ${f} has been touched... grace them all !!! ***`);
      this.enqueue({ type: 'signal', signal: 'SIGHUP' });
    }
    if (this.cfg.rebalance) this.rebalance(now);
    if (!this.readingQueues) {
      this.readingQueues = true;
      void socketQueues(this.sockets).then((queues) => {
        this.readingQueues = false;
        this.enqueue({ type: 'queues', queues });
      });
    }
    if (this.sampling) return;
    this.sampling = true;
    void sampleProcesses(this.workers.map((w) => w.pid).filter((p) => p > 0)).then((samples) => {
      this.sampling = false;
      this.enqueue({ type: 'sample', samples });
    });
  }

  /** `rebalance`: hot workers beside cold ones hand over some keep-alive connections (rebalance.ts). */
  private rebalance(now: number): void {
    if (this.phase !== 'running' || this.paused) return;
    const ready = this.workers.filter((w) => w.state === 'ready' && w.generation === this.generation && !w.replaceReason && w.counters);
    const views = ready.map((w) => ({ slot: w.slot, pid: w.pid, elu: w.counters!.elu, connections: w.counters!.connections ?? 0, lastShedAt: w.lastShedAt ?? 0 }));
    const plan = planShedding(views, now);
    if (plan.length === 0) return;
    const cold = views.filter((v) => v.elu <= COLD_ELU).map((v) => `${v.slot} (elu ${v.elu.toFixed(2)})`).join(', ');
    for (const s of plan) {
      const w = ready.find((x) => x.pid === s.pid)!;
      w.lastShedAt = now;
      this.logger.verbose(
        `rebalancing: worker ${w.slot} (pid: ${w.pid}, elu ${w.counters!.elu.toFixed(2)}, ${w.counters!.connections} connections) ` +
          `closes ${s.count} keep-alive connection(s) after their next response, for worker(s) ${cold}`,
      );
      this.send(w, { t: 'shed', count: s.count });
    }
  }

  /**
   * Step 5 (fifo `c`, chain reload): replace the workers one slot at a time,
   * the next only once the previous slot's successor is ready, as uWSGI's
   * chain reload does; capacity never drops by more than one worker's
   * start-up. Config and app are those of the current generation.
   */
  private advanceChain(): void {
    if (!this.chain || this.phase !== 'running') return;
    if (this.workers.some((w) => w.replaceReason === 'chain-reload' && (w.state === 'ready' || w.state === 'starting'))) {
      return; // the current victim still waits for its successor
    }
    const id = this.chain.shift();
    if (id === undefined) {
      this.chain = undefined;
      this.logger.verbose('chain reloading complete');
      return;
    }
    const victim = this.workers.find((w) => w.slot === id && w.state === 'ready' && !w.replaceReason);
    if (!victim) return; // a cheaped or dead slot is skipped
    this.logger.verbose(`chain next victim is worker ${id}`);
    victim.replaceReason = 'chain-reload';
  }

  /** fifo `c`: every active slot, in slot order. */
  private startChainReload(): void {
    if (this.phase !== 'running' || this.chain) return;
    this.logger.verbose('chain reload starting...');
    this.chain = this.slots.filter((s) => s.active).map((s) => s.id);
  }

  /**
   * Step 6 (`cheaper`, `cheaper-algo`, `idle`): the cheaper algorithm and the
   * idle check see the workers once a second and change which slots are
   * wanted; manageWorkers then spawns or retires (the algorithms only ever
   * pick idle workers to retire).
   */
  private adaptWorkers(): void {
    if (this.phase !== 'running' || this.paused) return;
    if (this.cheap.active) return this.cheap.tend([...this.sockets.values()], this.liveWorkers().length);
    const c = this.cfg;
    if (!this.cheaper && c.idle <= 0) return;
    const listenQueue = [...this.queues.values()].reduce((m, q) => Math.max(m, q), 0);
    const total = this.slots.reduce((n, s) => n + this.slotRequests(s), 0);
    const input = cheaperInput(this.slots, this.workers, total, listenQueue, Date.now());
    if (this.cheaper) {
      const r = this.cheaper.algo.step(this.cheaper.state, input, cheaperSettings(c));
      this.cheaper.state = r.state;
      for (const line of r.decision.log) this.logger.verbose(line);
      this.activateSlots(r.decision.spawn, 'load');
      for (const id of r.decision.retire) this.deactivateSlot(id, 'scale-down');
    }
    if (c.idle > 0) {
      const r = checkIdle(this.idleState, input, { idle: c.idle });
      this.idleState = r.state;
      for (const line of r.decision.log) this.logger.verbose(line);
      if (!r.decision.goCheap) return;
      if (c.dieOnIdle) {
        this.logger.log('die-on-idle: shutting down');
        this.shutdown(true);
      } else {
        this.enterCheapMode('cheap mode activated: stopping every worker until a connection arrives');
      }
    }
  }

  /** Step 7: complete a reload or a shutdown once its workers are gone. */
  private finishTransitions(): void {
    if (this.phase === 'reloading') {
      const stale = this.workers.some((w) => w.generation !== this.generation);
      const ready = this.slots.every(
        (s) => !s.active || this.workers.some((w) => w.slot === s.id && w.generation === this.generation && w.state === 'ready'),
      );
      if (!stale && ready) {
        this.brutal = false;
        this.phase = 'running';
        this.closeUnusedSockets();
        this.logger.verbose(`reload complete: generation ${this.generation}, ${this.liveWorkers().length} workers ready`);
      }
    } else if (this.phase === 'stopping' && this.workers.length === 0 && this.spoolers.running === 0) {
      this.logger.log('goodbye to tsgi.');
      this.phase = 'stopped';
    }
  }

  // ---- events ---------------------------------------------------------------

  private handleSignal(signal: NodeJS.Signals): void {
    switch (signal) {
      case 'SIGHUP':
        return this.reload(false);
      case 'SIGTERM':
        return this.cfg.dieOnTerm ? this.shutdown(true) : this.reload(true);
      case 'SIGINT':
      case 'SIGQUIT':
        return this.shutdown(false);
      case 'SIGUSR1':
        return this.logStats();
      case 'SIGUSR2':
        return this.askStatus();
      case 'SIGTTIN':
        return this.scale(+1);
      case 'SIGTTOU':
        return this.scale(-1);
      case 'SIGTSTP':
        return this.togglePause();
      default:
        return;
    }
  }

  /** master-fifo letters (uWSGI's), and the waker's `wake`. */
  private handleCommand(command: string): void {
    const map: Record<string, () => void> = {
      r: () => this.reload(false),
      R: () => this.reload(true),
      w: () => this.reload(false, false),
      W: () => this.reload(true, false),
      q: () => this.shutdown(true),
      Q: () => this.shutdown(false),
      s: () => this.logStats(),
      p: () => this.togglePause(),
      '+': () => this.scale(+1),
      '-': () => this.scale(-1),
      C: () => this.enterCheapMode('cheap mode requested on the master fifo'),
      c: () => this.startChainReload(),
      l: () => this.reopenLog(),
      wake: () => this.wakeUp(),
    };
    map[command]?.();
  }

  /**
   * fifo `l`: the log file is opened again (logrotate moved it away); the master
   * writes there at once, and its workers and spoolers, which hold their own copy
   * of the old descriptor, are replaced one at a time (a chain reload: zero-drop)
   * so that every line soon goes to the new file.
   */
  private reopenLog(): void {
    if (!this.reopenLogFile || this.logFd === undefined) {
      this.logger.log('log reopen asked, but there is no log file (logto is not set): nothing to do');
      return;
    }
    const old = this.logFd;
    let fd: number;
    try {
      fd = this.reopenLogFile();
    } catch (err) {
      this.logger.log(`*** cannot reopen the log file: ${(err as Error).message}; still logging to the old one ***`);
      return;
    }
    this.logFd = fd;
    this.spoolers.setLogFd(fd);
    closeSync(old);
    this.logger.log('*** log file reopened: workers move to it by chain reload ***');
    this.spoolers.configure(this.cfg);
    this.chain = undefined; // a chain under way restarts: slots it already did hold the old file
    this.startChainReload();
  }

  private handleMessage(w: WorkerRecord, msg: WorkerMessage): void {
    switch (msg.t) {
      case 'ready':
        if (w.state !== 'starting') return;
        w.state = 'ready';
        w.readyAt = Date.now();
        this.everReady = true;
        this.logger.log(`Node app 0 (mountpoint='') ready in ${msg.startupMs} ms on worker ${w.slot} (pid: ${w.pid})`);
        this.cheap.handOver(w);
        this.router?.flush();
        if (this.paused) this.kill(w, 'SIGSTOP');
        return;
      case 'report':
        w.counters = msg.c;
        w.lastReportAt = Date.now();
        this.router?.reported(w);
        return;
      case 'successor':
        // Near max-requests: a successor first, then the worker is retired (reconcile.ts).
        if (w.state !== 'ready' || w.replaceReason) return;
        w.replaceReason = msg.reason;
        this.slot(w).lastReason = msg.reason;
        this.logger.verbose(`worker ${w.slot} (pid: ${w.pid}) nears max-requests (${msg.detail}): starting its successor`);
        return;
      case 'recycle':
        // The worker stopped accepting on its own (max-requests, reload-on-rss/as); it drains and exits.
        w.state = 'draining';
        w.cursedAt = Date.now();
        w.reason = msg.reason;
        this.slot(w).lastReason = msg.reason;
        return;
      case 'status':
        this.logger.log(msg.text);
        return;
      case 'spooled':
        this.spoolers.wake(msg.dir);
        return;
    }
  }

  /**
   * A worker exited. Its counters join its slot's; an unexpected death is
   * logged and respawned, with a growing delay when it keeps dying fast.
   */
  private reapWorker(w: WorkerRecord, code: number | null, signal: NodeJS.Signals | null): void {
    const i = this.workers.indexOf(w);
    if (i === -1) return;
    this.workers.splice(i, 1);
    const slot = this.slots[w.slot - 1];
    const now = Date.now();
    if (slot) buryCounters(slot, w.counters);
    if (w.state === 'draining' || w.state === 'ending') {
      if (w.reason === 'max-requests' || w.reason === 'rss' || w.reason === 'as') {
        this.logger.log(`worker ${w.slot} killed successfully (pid: ${w.pid})`);
      } else {
        this.logger.log(`worker ${w.slot} buried after ${Math.max(1, Math.round((now - w.cursedAt) / 1000))} seconds`);
      }
      return;
    }
    if (!slot || this.phase === 'stopping') return;
    if (code === EXIT.FAILED_APP) {
      this.logger.log(`OOPS ! failed loading app in worker ${w.slot} (pid ${w.pid}) :( trying again...`);
      if (this.cfg.needApp && !this.everReady) {
        this.logger.log('need-app is set and the app could not be loaded: giving up');
        this.exitCode = EXIT.FAILED_APP;
        return this.shutdown(false);
      }
    } else {
      const how = signal ? `, killed by signal ${os.constants.signals[signal] ?? signal}` : '';
      this.logger.log(`DAMN ! worker ${w.slot} (pid: ${w.pid}) died${how} :( trying respawn ...`);
    }
    slot.lastReason = w.harakiried ? 'harakiri' : (w.reason ?? (code === EXIT.FAILED_APP ? 'app-load-failed' : 'crash'));
    slot.fastFailures = isFastDeath(w.spawnedAt, w.readyAt, now) ? slot.fastFailures + 1 : 0;
    const delay = respawnDelay(slot.fastFailures, this.cfg.forkbombDelay, this.cfg.respawnBackoffMax);
    slot.nextSpawnAt = now + delay * 1000;
    if (delay > 0) this.logger.verbose(`worker ${w.slot} respawning too fast !!! i have to sleep a bit (${delay} seconds)...`);
  }

  // ---- actions --------------------------------------------------------------

  /**
   * SIGHUP (graceful) and SIGTERM (brutal): re-read the config, then replace
   * every worker. fifo `w` / `W` replace the workers only, with the config the
   * master already has (uWSGI's reload of workers without re-exec).
   */
  private reload(brutal: boolean, fromFile = true): void {
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    if (this.paused) this.togglePause();
    this.logger.log(brutal ? '...brutally killing workers...' : '...gracefully reloading workers...');
    if (fromFile) this.rereadConfig();
    this.generation++;
    this.reloads++;
    this.brutal = brutal;
    this.phase = 'reloading';
    for (const s of this.slots) {
      s.fastFailures = 0;
      s.nextSpawnAt = 0;
    }
  }

  private rereadConfig(): void {
    const next = this.readConfig();
    for (const w of next.warnings) this.logger.log(`config warning: ${w}`);
    if (next.config) {
      this.applyConfig(next.config);
    } else {
      for (const e of next.errors) this.logger.log(`config error: ${e}`);
      this.logger.log('*** the new configuration has errors: reloading the workers with the previous one ***');
    }
  }

  private applyConfig(next: TsgiConfig): void {
    for (let id = this.slots.length + 1; id <= next.processes; id++) this.slots.push(newSlot(id));
    const wanted = next.cheaper > 0 ? Math.max(next.cheaper, next.cheaperInitial, this.slots.filter((s) => s.active).length) : next.processes;
    for (const s of this.slots) s.active = !this.cheap.active && s.id <= Math.min(wanted, next.processes);
    if (next.prio !== this.cfg.prio) this.setPriority(next.prio);
    this.cfg = next;
    this.spoolers.configure(next);
    this.configureCheaper(next);
    this.binding = true;
    void this.bindConfiguredSockets(next)
      .catch((err: Error) => this.logger.log(`cannot bind new sockets: ${err.message}`))
      .finally(() => {
        this.binding = false;
        this.wake?.();
      });
  }

  /** SIGINT/SIGQUIT (at once) and die-on-term SIGTERM or fifo `q` (graceful). */
  private shutdown(graceful: boolean): void {
    if (this.phase === 'stopped' || (this.phase === 'stopping' && graceful)) return;
    if (this.paused) this.togglePause();
    this.logger.log(graceful ? 'graceful shutdown triggered...' : 'SIGINT/SIGTERM received...killing workers...');
    this.phase = 'stopping';
    this.spoolers.stopAll();
    for (const w of [...this.workers]) {
      if (graceful) this.retire(w, 'shutdown');
      else this.end(w, 'shutdown');
    }
  }

  /**
   * SIGTSTP, fifo `p`: pause or resume every worker. A paused worker is
   * stopped by the kernel (SIGSTOP), so it accepts nothing and new
   * connections wait in the backlog; SIGCONT resumes it where it was.
   */
  private togglePause(): void {
    this.paused = !this.paused;
    this.logger.log(this.paused ? '*** PAUSE (press start to resume, if you do not have a joypad send SIGTSTP) ***' : '*** (SIGTSTP received) resuming workers ***');
    for (const w of this.workers) {
      this.kill(w, this.paused ? 'SIGSTOP' : 'SIGCONT');
      // a resumed worker reports again within a report interval: do not take its silence for a stuck loop
      if (!this.paused) w.lastReportAt = Date.now();
      this.logger.log(`*** worker ${w.slot} ${this.paused ? 'suspended' : 'resumed'} ***`);
    }
  }

  /** SIGTTIN / SIGTTOU / fifo `+` `-`: one worker more or fewer, within cheaper/processes. */
  private scale(delta: number): void {
    if (delta > 0) {
      if (!this.slots.some((s) => !s.active && s.id <= this.cfg.processes)) return this.logger.log(`cannot add a worker: already at processes = ${this.cfg.processes}`);
      this.cheap.leave();
      return this.activateSlots(1, 'SIGTTIN');
    }
    const active = this.slots.filter((s) => s.active);
    const min = Math.max(1, this.cfg.cheaper);
    if (active.length <= min) return this.logger.log(`cannot remove a worker: already at ${min}`);
    const victim = this.oldestIdleSlot(active);
    if (!victim) return this.logger.log('cannot remove a worker now: every worker has a request in flight');
    this.deactivateSlot(victim.id, 'scale-down');
  }

  private oldestIdleSlot(active: SlotRecord[]): SlotRecord | undefined {
    let best: { slot: SlotRecord; at: number } | undefined;
    for (const s of active) {
      const w = this.workers.find((x) => x.slot === s.id && x.state === 'ready');
      if (w && (w.counters?.inFlight ?? 0) > 0) continue;
      const at = w?.spawnedAt ?? 0;
      if (!best || at < best.at) best = { slot: s, at };
    }
    return best?.slot;
  }

  /** Wants `n` more slots, the lowest free ones whose old process is gone; `why` names the cheaper or signal cause, or none for a wake-up (already logged). */
  private activateSlots(n: number, why?: string): void {
    for (let i = 0; i < n; i++) {
      const slot = this.slots.find((s) => !s.active && s.id <= this.cfg.processes && !this.workers.some((w) => w.slot === s.id));
      if (!slot) return;
      slot.active = true;
      if (why) this.logger.log(`cheaper: spawning worker ${slot.id} (${why})`);
    }
  }

  private deactivateSlot(id: number, reason: 'scale-down' | 'cheap'): void {
    const slot = this.slots[id - 1];
    if (!slot?.active) return;
    slot.active = false;
    slot.lastReason = reason;
    if (reason === 'scale-down') this.logger.log(`cheaper: retiring worker ${id} (idle)`);
  }

  private configureCheaper(c: TsgiConfig): void {
    if (c.cheaper <= 0) {
      this.cheaper = undefined;
    } else if (this.cheaper?.algo.name !== c.cheaperAlgo) {
      const algo = createCheaper(c.cheaperAlgo);
      this.cheaper = { algo, state: algo.initialState() };
    }
  }

  /** `idle` / `cheap` / fifo `C`: stop every worker; the waker keeps watching the sockets. */
  private enterCheapMode(why: string): void {
    this.logger.log(why);
    this.cheap.enter();
    for (const s of this.slots) this.deactivateSlot(s.id, 'cheap');
  }

  /** The first connection after an idle period: spawn workers again (uWSGI spawns `cheaper`, or all). */
  private wakeUp(): void {
    if (!this.cheap.leave()) return;
    this.idleState = initialIdleState();
    const c = this.cfg;
    const n = c.cheaper > 0 ? Math.max(c.cheaper, c.cheaperInitial) : c.processes;
    this.logger.log(`cheap mode ended by a connection: spawning ${n} worker(s)`);
    this.activateSlots(n);
  }

  private spawn(slot: SlotRecord): void {
    const c = this.cfg;
    const child = this.spawner({
      boot: workerBoot(c, {
        slot: slot.id,
        generation: this.generation,
        cwd: this.cwd,
        slotRequests: this.slotRequests(slot),
        procname: procname(c, `worker ${slot.id}`),
      }),
      sockets: [...configuredSockets(c).keys()].map((n) => this.sockets.get(n)).filter((s): s is BoundSocket => s !== undefined),
      cwd: c.chdir ? this.path(c.chdir) : this.cwd,
      env: { ...workerEnv(this.env, c, slot.id), ...this.spoolers.envFor(c) },
      logFd: this.logFd,
    });
    const now = Date.now();
    const w: WorkerRecord = {
      slot: slot.id,
      pid: child.pid ?? 0,
      child,
      generation: this.generation,
      state: 'starting',
      spawnedAt: now,
      readyAt: 0,
      cursedAt: 0,
      reason: undefined,
      counters: undefined,
      lastReportAt: now,
      harakiried: false,
      replaceReason: undefined,
    };
    this.workers.push(w);
    child.on('message', (msg) => {
      if (isWorkerMessage(msg)) this.enqueue({ type: 'message', worker: w, msg });
    });
    child.on('exit', (code, signal) => this.enqueue({ type: 'exit', worker: w, code, signal }));
    child.on('error', (err) => this.logger.log(`cannot spawn worker ${slot.id}: ${err.message}`));
    if (slot.everSpawned) this.logger.log(`Respawned tsgi worker ${slot.id} (new pid: ${w.pid})`);
    else this.logger.log(`spawned tsgi worker ${slot.id} (pid: ${w.pid}, cores: ${c.threads})`);
    slot.everSpawned = true;
    slot.respawnCount++;
    slot.lastSpawn = Math.floor(now / 1000);
  }

  /** Asks a worker to stop accepting and exit after its requests (graceful). */
  private retire(w: WorkerRecord, reason: RecycleReason): void {
    if (w.state === 'draining' || w.state === 'ending') return;
    w.state = 'draining';
    w.cursedAt = Date.now();
    w.reason = reason;
    this.logger.log(`Gracefully killing worker ${w.slot} (pid: ${w.pid})...`);
    this.send(w, { t: 'drain', reason });
  }

  /** Tells a worker to exit now (brutal reload, immediate shutdown). */
  private end(w: WorkerRecord, reason: RecycleReason): void {
    if (w.state === 'ending') return;
    w.state = 'ending';
    w.cursedAt = Date.now();
    w.reason = reason;
    this.kill(w, 'SIGTERM');
  }

  /** `harakiri`: log what the worker was doing (uWSGI's lines), count it, SIGKILL. */
  private harakiri(w: WorkerRecord): void {
    w.harakiried = true;
    const slot = this.slot(w);
    slot.harakiriCount++;
    slot.lastReason = 'harakiri';
    this.logger.verbose(`*** HARAKIRI ON WORKER ${w.slot} (pid: ${w.pid}, try: 1) ***`);
    if (this.cfg.harakiriVerbose) {
      for (const what of ['syscall', 'wchan']) this.logger.log(`HARAKIRI: -- ${what}> ${readProcText(`/proc/${w.pid}/${what}`)}`);
    }
    this.logger.verbose(`HARAKIRI !!! worker ${w.slot} status !!!`);
    for (const line of harakiriReport(w)) this.logger.verbose(line);
    this.logger.verbose(`HARAKIRI !!! end of worker ${w.slot} status !!!`);
    this.kill(w, 'SIGKILL');
  }

  /** SIGUSR1, fifo `s`. */
  private logStats(): void {
    for (const line of statsSummary(this.statsDocument())) this.logger.log(line);
  }

  /** SIGUSR2: the master's view of each worker, then each worker's own account of its requests. */
  private askStatus(): void {
    this.logger.log(`*** tsgi master ${process.pid}: phase ${this.phase}, generation ${this.generation}, ${this.workers.length} worker process(es) ***`);
    for (const w of this.workers) {
      this.logger.log(`worker ${w.slot} (pid: ${w.pid}) ${w.state}${w.reason ? ` (${w.reason})` : ''}, generation ${w.generation}`);
      this.send(w, { t: 'status' });
    }
  }

  // ---- plumbing -------------------------------------------------------------

  private slot(w: WorkerRecord): SlotRecord {
    return this.slots[w.slot - 1]!;
  }

  private send(w: WorkerRecord, msg: MasterMessage): void {
    if (w.child.connected) w.child.send(msg, (err) => err && this.kill(w, 'SIGTERM'));
    else this.kill(w, 'SIGTERM');
  }

  private kill(w: WorkerRecord, signal: NodeJS.Signals): void {
    try {
      w.child.kill(signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  private closeUnusedSockets(): void {
    const wanted = configuredSockets(this.cfg);
    for (const [name, s] of this.sockets) {
      if (wanted.has(name)) continue;
      s.close();
      this.sockets.delete(name);
      this.logger.log(`closed socket ${name}: no longer configured`);
    }
  }

  /** On exit: close what the master holds; with `vacuum`, remove the pidfile and unix sockets. */
  private vacuum(): void {
    const c = this.cfg;
    this.statsServer?.close();
    for (const f of this.fifos) f.close();
    this.cheap.close();
    this.router?.close();
    this.spoolers.killAll();
    clearSamples();
    for (const s of this.sockets.values()) s.close();
    if (!c.vacuum) return;
    if (c.pidfile) removePidfile(this.path(c.pidfile), process.pid);
    for (const s of this.sockets.values()) {
      if (s.kind !== 'unix') continue;
      try {
        unlinkSync(s.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  private path(p: string): string {
    return resolvePath(this.cwd, p);
  }

  private nextWakeMs(): number {
    const now = Date.now();
    let next = 1000;
    for (const s of this.slots) if (s.active && s.nextSpawnAt > now) next = Math.min(next, s.nextSpawnAt - now);
    return Math.max(10, next);
  }

  private sleep(ms: number): Promise<void> {
    if (this.events.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  private installSignals(): void {
    for (const sig of SIGNALS) {
      const h = (): void => this.enqueue({ type: 'signal', signal: sig });
      this.signalHandlers.set(sig, h);
      process.on(sig, h);
    }
  }

  private removeSignals(): void {
    for (const [sig, h] of this.signalHandlers) process.off(sig, h);
    this.signalHandlers.clear();
  }
}

/** Every socket the workers serve, by configured address: `http-socket`s, then `socket`s (uwsgi, or HTTP with protocol = http). */
function configuredSockets(c: TsgiConfig): Map<string, 'http' | 'uwsgi'> {
  const out = new Map<string, 'http' | 'uwsgi'>();
  for (const name of c.httpSocket) out.set(name, 'http');
  for (const name of c.socket) if (!out.has(name)) out.set(name, c.protocol === 'http' ? 'http' : 'uwsgi');
  return out;
}

function readProcText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    return `unreadable (${(err as NodeJS.ErrnoException).code})`;
  }
}
