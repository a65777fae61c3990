import { isAbsolute, resolve } from 'node:path';
import os from 'node:os';
import { readFileSync, unlinkSync } from 'node:fs';
import type { TsgiConfig } from '@tsgi/config';
import { resolveAppSpec } from '@tsgi/config';
import { EXIT, isWorkerMessage, type MasterMessage, type RecycleReason, type WorkerMessage } from '../protocol.js';
import type { Logger } from '../log/logger.js';
import { ctime } from '../log/ctime.js';
import { VERSION } from '../version.js';
import { SupervisorError } from '../errors.js';
import { isFastDeath, respawnDelay } from './backoff.js';
import { bindSocket, listenSockets, somaxconn, type BoundSocket } from './sockets.js';
import { spawnWorker, type Spawner } from './spawn.js';
import { buryCounters, newSlot, slotRequests, type SlotRecord, type WorkerRecord } from './worker-table.js';
import { removePidfile, writePidfile } from './pidfile.js';
import { listenQueues, readMemory, socketInode } from './proc.js';
import pidusage from 'pidusage';
import type { StatsDocument } from '@tsgi/stats-protocol';
import { TouchWatcher } from './touch.js';
import { openMasterFifo } from './fifo.js';
import { startWaker, type Waker } from './waker.js';
import type net from 'node:net';
import {
  checkIdle,
  cheaperSettings,
  createCheaper,
  initialIdleState,
  type Cheaper,
  type CheaperInput,
  type CheaperState,
  type IdleState,
} from '../cheaper/index.js';
import { collectStats, type ProcessSample } from '../stats/collect.js';
import { startStatsServer, type StatsServer } from '../stats/servers.js';

/** The master's phase (STYLE 7). */
export type MasterPhase = 'starting' | 'running' | 'reloading' | 'stopping' | 'stopped';

/** What wakes the loop. Signal listeners, timers and child events only enqueue these (STYLE 1). */
export type MasterEvent =
  | { type: 'signal'; signal: NodeJS.Signals }
  | { type: 'message'; worker: WorkerRecord; msg: WorkerMessage }
  | { type: 'exit'; worker: WorkerRecord; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'command'; command: string }
  | { type: 'sample'; samples: Map<number, ProcessSample> };

/** Re-reads the configuration (SIGHUP); errors are logged and the old config kept. */
export type ConfigReader = () => { config?: TsgiConfig; errors: string[]; warnings: string[] };

export interface MasterOptions {
  config: TsgiConfig;
  logger: Logger;
  readConfig: ConfigReader;
  spawner?: Spawner;
  /** descriptor workers write their stdout/stderr to; undefined: inherit */
  logFd?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

function readProcText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    return `unreadable (${(err as NodeJS.ErrnoException).code})`;
  }
}

const SIGNALS: NodeJS.Signals[] = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGTTIN', 'SIGTTOU'];
/** How long a worker told to end at once (brutal reload, shutdown) has before SIGKILL. */
const END_MERCY_MS = 3000;
/** Report interval of the workers; stats are never staler than this plus a loop turn. */
const REPORT_INTERVAL_MS = 250;

/**
 * The master: binds the sockets, forks the workers and keeps them as the
 * configuration wants. One loop, one writer: every state change happens in
 * the loop's steps, in order — dispatch events, murder, manage, finish.
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
  private readonly logFd: number | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly cwd: string;
  private events: MasterEvent[] = [];
  private wake: (() => void) | undefined;
  private brutal = false;
  /** some worker has loaded the app since boot (need-app) */
  private everReady = false;
  private signalHandlers = new Map<NodeJS.Signals, () => void>();
  private statsServer: StatsServer | undefined;
  private samples = new Map<number, ProcessSample>();
  private queues = new Map<string, number>();
  private lastSampleAt = 0;
  private touches: TouchWatcher | undefined;
  /** cheaper mode: the algorithm and its state (null without `cheaper`) */
  private cheaper: { algo: Cheaper; state: CheaperState } | undefined;
  private idleState: IdleState = initialIdleState();
  /** `idle` / `cheap`: every worker stopped, the waker watching the sockets */
  private cheapMode = false;
  private waker: Waker | undefined;
  /** connections the waker accepted, waiting for the first ready worker */
  private pendingConnections: net.Socket[] = [];
  private fifos: { close(): void }[] = [];
  private sampling = false;

  constructor(opts: MasterOptions) {
    this.cfg = opts.config;
    this.logger = opts.logger;
    this.readConfig = opts.readConfig;
    this.spawner = opts.spawner ?? spawnWorker;
    this.logFd = opts.logFd;
    this.env = opts.env ?? process.env;
    this.cwd = opts.cwd ?? process.cwd();
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

  // ---- boot ---------------------------------------------------------------

  private async boot(): Promise<void> {
    const c = this.cfg;
    this.logger.log(`*** Starting tsgi ${VERSION} (node ${process.version}, ${os.arch()}) on [${ctime(new Date())}] ***`);
    this.logger.log(`nodename: ${os.hostname()} - machine: ${os.machine()}`);
    this.logger.log(`current working directory: ${this.cwd}`);
    this.logger.log(`detected binary path: ${process.execPath}`);
    this.logger.log(`your server socket listen backlog is limited to ${c.listen} connections`);
    const max = somaxconn();
    if (max !== undefined && c.listen > max) {
      this.logger.log(`*** WARNING: listen = ${c.listen} is above net.core.somaxconn (${max}): the kernel caps it ***`);
    }
    this.logger.log(`your mercy for graceful operations on workers is ${c.workerReloadMercy} seconds`);
    await this.bindConfiguredSockets(c);
    if (c.pidfile) writePidfile(this.path(c.pidfile), process.pid);
    this.dropPrivileges(c);
    this.logger.log(
      c.dieOnTerm
        ? 'SIGTERM: graceful shutdown (die-on-term)'
        : 'SIGTERM: brutal reload (uWSGI 2.0 behaviour; set die-on-term = true for a graceful shutdown)',
    );
    this.logger.log('*** Operational MODE: preforking ***');
    this.logger.log(`spawned tsgi master process (pid: ${process.pid})`);
    for (let id = 1; id <= c.processes; id++) this.slots.push(newSlot(id));
    this.configureCheaper(c);
    if (c.cheaper > 0) {
      for (const s of this.slots) s.active = s.id <= Math.max(c.cheaperInitial, c.cheaper);
      this.logger.log(`cheaper mode: ${c.cheaperAlgo}, ${c.cheaper}..${c.processes} workers, ${Math.max(c.cheaperInitial, c.cheaper)} at start`);
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
    for (const name of c.httpSocket) {
      if (this.sockets.has(name)) continue;
      const s = await bindSocket(name.startsWith('/') || name.includes(':') ? name : this.path(name), c.listen, c.chmodSocket);
      this.sockets.set(name, s);
      fresh.push(s);
      const where = s.kind === 'tcp' ? `TCP address ${s.host}:${s.port}` : `UNIX address ${s.path}`;
      this.logger.log(`tsgi http-socket ${this.sockets.size - 1} bound to ${where} fd ${s.fd}`);
    }
    listenSockets(fresh);
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
      else this.handleCommand(ev.command);
    }
  }

  /**
   * Step 2 (`worker-reload-mercy`, `harakiri`): SIGKILL workers that outlived
   * their mercy after being asked to stop, and workers stuck in a request.
   */
  private murderWorkers(): void {
    const now = Date.now();
    for (const w of this.workers) {
      if (w.state === 'draining' && now - w.cursedAt > this.cfg.workerReloadMercy * 1000) {
        this.logger.verbose(`worker ${w.slot} (pid: ${w.pid}) is taking too much time to die...NO MERCY !!!`);
        this.kill(w, 'SIGKILL');
      } else if (w.state === 'ending' && now - w.cursedAt > END_MERCY_MS) {
        this.kill(w, 'SIGKILL');
      } else if ((w.state === 'ready' || w.state === 'draining') && this.cfg.harakiri > 0 && !w.harakiried) {
        this.checkHarakiri(w, now);
      }
      if (w.state === 'ready' || w.state === 'draining') this.checkEvilReload(w);
      if (w.state === 'ready') this.checkLifetime(w, now);
    }
  }

  /** `evil-reload-on-rss/as`: SIGKILL at once, without waiting for requests, from the master's own reading. */
  private checkEvilReload(w: WorkerRecord): void {
    const c = this.cfg;
    const sample = this.samples.get(w.pid);
    if (!sample) return;
    const MB = 1024 * 1024;
    let what = '';
    if (c.evilReloadOnRss > 0 && sample.rss > c.evilReloadOnRss * MB) what = `RSS: ${sample.rss}`;
    else if (c.evilReloadOnAs > 0 && sample.vsz > c.evilReloadOnAs * MB) what = `ADDRESS SPACE: ${sample.vsz}`;
    if (!what) return;
    this.samples.delete(w.pid);
    this.slots[w.slot - 1]!.lastReason = what.startsWith('RSS') ? 'rss' : 'as';
    this.logger.verbose(`*** EVIL RELOAD ON WORKER ${w.slot} ${what} (pid: ${w.pid}) ***`);
    this.kill(w, 'SIGKILL');
  }

  /** `max-worker-lifetime` (+ delta per slot): replace the worker gracefully, successor first. */
  private checkLifetime(w: WorkerRecord, now: number): void {
    const c = this.cfg;
    if (c.maxWorkerLifetime <= 0 || w.replaceReason) return;
    const limit = (c.maxWorkerLifetime + (w.slot - 1) * c.maxWorkerLifetimeDelta) * 1000;
    if (now - w.spawnedAt <= limit) return;
    this.logger.verbose(`worker ${w.slot} lifetime reached, it was running for ${Math.floor((now - w.spawnedAt) / 1000)} second(s)`);
    w.replaceReason = 'lifetime';
    this.slots[w.slot - 1]!.lastReason = 'lifetime';
  }

  /**
   * Step 3: reconcile the workers with what is wanted. Every active slot gets
   * a worker of the current generation (respecting the crash-loop delay);
   * workers of an older generation, or of a slot no longer wanted, are retired
   * once their slot's replacement is ready, so capacity never dips.
   */
  private manageWorkers(): void {
    if (this.phase === 'stopping' || this.phase === 'stopped' || this.phase === 'starting') return;
    const now = Date.now();
    for (const slot of this.slots) {
      if (!slot.active) continue;
      const current = this.workers.find(
        (w) => w.slot === slot.id && w.generation === this.generation && !w.replaceReason && (w.state === 'starting' || w.state === 'ready'),
      );
      if (!current && now >= slot.nextSpawnAt) this.spawn(slot);
    }
    for (const w of this.liveWorkers()) {
      const slot = this.slots[w.slot - 1];
      const wanted = slot?.active === true;
      if (w.generation === this.generation && wanted && !w.replaceReason) continue;
      const replaced = this.workers.some(
        (n) => n !== w && n.slot === w.slot && n.generation === this.generation && !n.replaceReason && n.state === 'ready',
      );
      if (this.brutal && w.generation !== this.generation) this.end(w, 'brutal-reload');
      else if (!wanted) this.retire(w, slot?.lastReason === 'cheap' ? 'cheap' : 'scale-down');
      else if (replaced || w.state === 'starting') this.retire(w, w.replaceReason ?? 'reload');
    }
  }

  /** Step 4: what uWSGI's master does once per cycle: touch files, then resource readings. */
  private everySecond(): void {
    const now = Date.now();
    if (now - this.lastSampleAt < 1000) return;
    this.lastSampleAt = now;
    this.checkTouches();
    this.sampleResources();
  }

  /**
   * `stats`, `memory-report`: read each socket's accept queue from the kernel
   * and each worker's memory and CPU. The CPU reading is asynchronous
   * (pidusage) and comes back as a `sample` event.
   */
  private sampleResources(): void {
    const byInode = listenQueues();
    for (const [name, s] of this.sockets) this.queues.set(name, byInode.get(socketInode(s.fd)) ?? 0);
    if (this.sampling) return;
    const pids = this.workers.map((w) => w.pid).filter((p) => p > 0);
    this.sampling = true;
    void Promise.allSettled(pids.map((pid) => pidusage(pid).then((u) => [pid, u] as const))).then((results) => {
      this.sampling = false;
      const samples = new Map<number, ProcessSample>();
      for (const r of results) {
        if (r.status !== 'fulfilled') continue;
        const [pid, u] = r.value;
        samples.set(pid, { cpu: u.cpu, rss: u.memory, vsz: readMemory(pid)?.vsz ?? 0 });
      }
      this.enqueue({ type: 'sample', samples });
    });
  }

  /**
   * Step 5 (`cheaper`, `cheaper-algo`, `idle`): let the cheaper algorithm and
   * the idle check see the workers once a second and change which slots are
   * wanted; manageWorkers then spawns or retires (scale-down never takes a
   * worker with a request in flight: the algorithms only pick idle ones).
   */
  private adaptWorkers(): void {
    if (this.phase !== 'running') return;
    if (this.cheapMode) {
      this.tendWaker();
      return;
    }
    const c = this.cfg;
    if (!this.cheaper && c.idle <= 0) return;
    const input = this.cheaperInput();
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
      if (r.decision.goCheap) {
        if (c.dieOnIdle) {
          this.logger.log('die-on-idle: shutting down');
          this.shutdown(true);
        } else {
          this.enterCheapMode('cheap mode activated: stopping every worker until a connection arrives');
        }
      }
    }
  }

  private cheaperInput(): CheaperInput {
    const now = Date.now();
    return {
      now,
      listenQueue: [...this.queues.values()].reduce((m, q) => Math.max(m, q), 0),
      totalRequests: this.slots.reduce((n, s) => n + this.slotRequests(s), 0),
      workers: this.slots.map((slot) => {
        const procs = this.workers.filter((w) => w.slot === slot.id);
        const cur = procs.find((w) => w.state === 'ready' || w.state === 'starting');
        const inFlight = cur?.counters?.inFlight ?? 0;
        // a worker that stopped reporting with requests in hand has a blocked event loop: fully busy
        const overdue = cur !== undefined && now - cur.lastReportAt > 2000 && inFlight > 0;
        return {
          id: slot.id,
          active: slot.active,
          running: procs.length > 0,
          busy: inFlight > 0,
          elu: overdue ? 1 : (cur?.counters?.elu ?? 0),
          spawnedAt: cur?.spawnedAt ?? 0,
        };
      }),
    };
  }

  /** Wants `n` more slots, the lowest free ones whose old process is gone. */
  private activateSlots(n: number, why: string): void {
    for (let i = 0; i < n; i++) {
      const slot = this.slots.find((s) => !s.active && s.id <= this.cfg.processes && !this.workers.some((w) => w.slot === s.id));
      if (!slot) return;
      slot.active = true;
      this.logger.log(`cheaper: spawning worker ${slot.id} (${why})`);
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
      return;
    }
    if (this.cheaper?.algo.name === c.cheaperAlgo) return;
    const algo = createCheaper(c.cheaperAlgo);
    this.cheaper = { algo, state: algo.initialState() };
  }

  /** `idle` / `cheap`: stop every worker; the waker keeps watching the sockets. */
  private enterCheapMode(why: string): void {
    this.logger.log(why);
    this.cheapMode = true;
    for (const s of this.slots) this.deactivateSlot(s.id, 'cheap');
  }

  /** In cheap mode, once the last worker is gone, start the waker; stop it once workers serve again. */
  private tendWaker(): void {
    if (this.waker || this.liveWorkers().length > 0) return;
    this.waker = startWaker([...this.sockets.values()], (socket) => {
      this.pendingConnections.push(socket);
      if (this.cheapMode) this.enqueue({ type: 'command', command: 'wake' });
    });
    this.waker.child.on('exit', () => (this.waker = undefined));
  }

  /** The first connection after an idle period: spawn workers again (uWSGI spawns `cheaper`, or all). */
  private wakeUp(): void {
    if (!this.cheapMode) return;
    this.cheapMode = false;
    this.idleState = initialIdleState();
    const n = this.cfg.cheaper > 0 ? Math.max(this.cfg.cheaper, this.cfg.cheaperInitial) : this.cfg.processes;
    this.logger.log(`cheap mode ended by a connection: spawning ${n} worker(s)`);
    this.activateSlots(n, 'wake-up');
  }

  /** Hands the connections the waker accepted to a ready worker, then lets the waker go. */
  private handOverConnections(w: WorkerRecord): void {
    if (this.waker && !this.cheapMode) {
      this.waker.stop();
    }
    for (const socket of this.pendingConnections.splice(0)) {
      if (w.child.connected) w.child.send({ t: 'conn' } satisfies MasterMessage, socket, { keepOpen: false });
      else socket.destroy();
    }
  }

  /** `touch-reload`: a touched file is a SIGHUP. */
  private checkTouches(): void {
    for (const f of this.touches?.check() ?? []) {
      this.logger.verbose(`*** ${f} has been touched... grace them all !!! ***`);
      this.enqueue({ type: 'signal', signal: 'SIGHUP' });
    }
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
        phase: this.cheapMode && this.phase === 'running' ? 'cheap' : this.phase,
        startedAt: this.startedAt,
        reloads: this.reloads,
        threads: c.threads,
        chdir: c.chdir ?? '',
        noCores: c.statsNoCores,
        memoryReport: c.memoryReport || c.reloadOnRss > 0 || c.reloadOnAs > 0 || c.evilReloadOnRss > 0 || c.evilReloadOnAs > 0,
        slots: this.slots,
        workers: this.workers,
        sockets: [...this.sockets].map(([name, s]) => ({ name, proto: s.proto, queue: this.queues.get(name) ?? 0, maxQueue: s.backlog })),
        samples: this.samples,
      },
      Date.now(),
    );
  }

  /** Step 5: complete a reload or a shutdown once its workers are gone. */
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
    } else if (this.phase === 'stopping' && this.workers.length === 0) {
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
        if (this.cfg.dieOnTerm) return this.shutdown(true);
        return this.reload(true);
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
      default:
        return;
    }
  }

  private handleCommand(command: string): void {
    const map: Record<string, () => void> = {
      r: () => this.reload(false),
      R: () => this.reload(true),
      q: () => this.shutdown(true),
      Q: () => this.shutdown(false),
      s: () => this.logStats(),
      '+': () => this.scale(+1),
      '-': () => this.scale(-1),
      C: () => this.enterCheapMode('cheap mode requested on the master fifo'),
      wake: () => this.wakeUp(),
    };
    map[command]?.();
  }

  private handleMessage(w: WorkerRecord, msg: WorkerMessage): void {
    switch (msg.t) {
      case 'ready':
        if (w.state !== 'starting') return;
        w.state = 'ready';
        w.readyAt = Date.now();
        this.everReady = true;
        if (this.pendingConnections.length > 0 || this.waker) this.handOverConnections(w);
        this.logger.log(`Node app 0 (mountpoint='') ready in ${msg.startupMs} ms on worker ${w.slot} (pid: ${w.pid})`);
        return;
      case 'report':
        w.counters = msg.c;
        w.lastReportAt = Date.now();
        return;
      case 'recycle':
        // The worker stopped accepting on its own (max-requests, reload-on-rss); it drains and exits.
        w.state = 'draining';
        w.cursedAt = Date.now();
        w.reason = msg.reason;
        this.slots[w.slot - 1]!.lastReason = msg.reason;
        return;
      case 'status':
        this.logger.log(msg.text);
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
    const expected = w.state === 'draining' || w.state === 'ending';
    if (expected) {
      const secs = Math.max(1, Math.round((now - w.cursedAt) / 1000));
      if (w.reason === 'max-requests' || w.reason === 'rss' || w.reason === 'as') {
        this.logger.log(`worker ${w.slot} killed successfully (pid: ${w.pid})`);
      } else {
        this.logger.log(`worker ${w.slot} buried after ${secs} seconds`);
      }
      return;
    }
    if (!slot || this.phase === 'stopping') return;
    const how = signal ? `, killed by signal ${os.constants.signals[signal] ?? signal}` : '';
    if (code === EXIT.FAILED_APP) {
      this.logger.log(`OOPS ! failed loading app in worker ${w.slot} (pid ${w.pid}) :( trying again...`);
      if (this.cfg.needApp && !this.everReady) {
        this.logger.log('need-app is set and the app could not be loaded: giving up');
        this.exitCode = EXIT.FAILED_APP;
        this.shutdown(false);
        return;
      }
    } else {
      this.logger.log(`DAMN ! worker ${w.slot} (pid: ${w.pid}) died${how} :( trying respawn ...`);
    }
    slot.lastReason = w.harakiried ? 'harakiri' : code === EXIT.FAILED_APP ? 'app-load-failed' : 'crash';
    slot.fastFailures = isFastDeath(w.spawnedAt, w.readyAt, now) ? slot.fastFailures + 1 : 0;
    const delay = respawnDelay(slot.fastFailures, this.cfg.forkbombDelay, this.cfg.respawnBackoffMax);
    slot.nextSpawnAt = now + delay * 1000;
    if (delay > 0) {
      this.logger.verbose(`worker ${w.slot} respawning too fast !!! i have to sleep a bit (${delay} seconds)...`);
    }
  }

  // ---- actions --------------------------------------------------------------

  /** SIGHUP (graceful) and SIGTERM (brutal): re-read the config, then replace every worker. */
  private reload(brutal: boolean): void {
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    this.logger.log(brutal ? '...brutally killing workers...' : '...gracefully reloading workers...');
    const next = this.readConfig();
    for (const w of next.warnings) this.logger.log(`config warning: ${w}`);
    if (next.config) {
      this.applyConfig(next.config);
    } else {
      for (const e of next.errors) this.logger.log(`config error: ${e}`);
      this.logger.log('*** the new configuration has errors: reloading the workers with the previous one ***');
    }
    this.generation++;
    this.reloads++;
    this.brutal = brutal;
    this.phase = 'reloading';
    for (const s of this.slots) {
      s.fastFailures = 0;
      s.nextSpawnAt = 0;
    }
  }

  private applyConfig(next: TsgiConfig): void {
    const grow = next.processes - this.slots.length;
    for (let i = 0; i < grow; i++) this.slots.push(newSlot(this.slots.length + 1));
    const wanted = next.cheaper > 0 ? Math.max(next.cheaper, next.cheaperInitial, this.slots.filter((s) => s.active).length) : next.processes;
    this.slots.forEach((s) => (s.active = !this.cheapMode && s.id <= Math.min(wanted, next.processes)));
    this.cfg = next;
    this.configureCheaper(next);
    void this.bindConfiguredSockets(next).catch((err: Error) => this.logger.log(`cannot bind new sockets: ${err.message}`));
  }

  /** SIGINT/SIGQUIT (at once) and die-on-term SIGTERM or fifo `q` (graceful). */
  private shutdown(graceful: boolean): void {
    if (this.phase === 'stopped') return;
    if (this.phase === 'stopping' && graceful) return;
    this.logger.log(graceful ? 'graceful shutdown triggered...' : 'SIGINT/SIGTERM received...killing workers...');
    this.phase = 'stopping';
    for (const w of [...this.workers]) {
      if (graceful && w.state !== 'ending') this.retire(w, 'shutdown');
      else if (w.state !== 'ending') this.end(w, 'shutdown');
    }
  }

  /** SIGTTIN / SIGTTOU / fifo `+` `-`: one worker more or fewer, within cheaper/processes. */
  private scale(delta: number): void {
    if (delta > 0) {
      const slot = this.slots.find((s) => !s.active && s.id <= this.cfg.processes);
      if (!slot) return this.logger.log(`cannot add a worker: already at processes = ${this.cfg.processes}`);
      slot.active = true;
      this.cheapMode = false;
      this.logger.log(`scaling up: worker ${slot.id} wanted`);
    } else {
      const active = this.slots.filter((s) => s.active);
      const min = Math.max(1, this.cfg.cheaper);
      if (active.length <= min) return this.logger.log(`cannot remove a worker: already at ${min}`);
      const victim = this.oldestIdleSlot(active);
      if (!victim) return this.logger.log('cannot remove a worker now: every worker has a request in flight');
      victim.active = false;
      victim.lastReason = 'scale-down';
      this.logger.log(`scaling down: retiring worker ${victim.id}`);
    }
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

  private spawn(slot: SlotRecord): void {
    const c = this.cfg;
    const app = resolveAppSpec(c, this.cwd)!; // loadConfig rejects a config without app
    const env: NodeJS.ProcessEnv = { ...this.env };
    for (const kv of c.env) {
      const eq = kv.indexOf('=');
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    env['TSGI_WORKER_ID'] = String(slot.id);
    env['NODE_APP_INSTANCE'] = String(slot.id - 1);
    const sockets = c.httpSocket.map((n) => this.sockets.get(n)).filter((s): s is BoundSocket => s !== undefined);
    const child = this.spawner({
      boot: {
        id: slot.id,
        masterPid: process.pid,
        generation: this.generation,
        appFile: app.file,
        ...(app.exportName ? { exportName: app.exportName } : {}),
        argv: c.argv ? c.argv.split(/\s+/).filter(Boolean) : [],
        logging: !c.disableLogging,
        memoryReport: c.memoryReport,
        threads: c.threads,
        maxRequests: c.maxRequests > 0 ? c.maxRequests + (slot.id - 1) * c.maxRequestsDelta : 0,
        minWorkerLifetime: c.minWorkerLifetime,
        reloadOnRss: c.reloadOnRss * 1024 * 1024,
        reloadOnAs: c.reloadOnAs * 1024 * 1024,
        reportIntervalMs: REPORT_INTERVAL_MS,
        procname: this.procname(`worker ${slot.id}`),
        slotRequests: this.slotRequests(slot),
      },
      sockets,
      cwd: c.chdir ? this.path(c.chdir) : this.cwd,
      env,
      logFd: this.logFd,
    });
    const w: WorkerRecord = {
      slot: slot.id,
      pid: child.pid ?? 0,
      child,
      generation: this.generation,
      state: 'starting',
      spawnedAt: Date.now(),
      readyAt: 0,
      cursedAt: 0,
      reason: undefined,
      counters: undefined,
      lastReportAt: Date.now(),
      harakiried: false,
      replaceReason: undefined,
    };
    this.workers.push(w);
    child.on('message', (msg) => {
      if (isWorkerMessage(msg)) this.enqueue({ type: 'message', worker: w, msg });
    });
    child.on('exit', (code, signal) => this.enqueue({ type: 'exit', worker: w, code, signal }));
    child.on('error', (err) => this.logger.log(`cannot spawn worker ${slot.id}: ${err.message}`));
    const respawn = slot.everSpawned;
    slot.everSpawned = true;
    slot.respawnCount++;
    slot.lastSpawn = Math.floor(Date.now() / 1000);
    if (respawn) this.logger.log(`Respawned tsgi worker ${slot.id} (new pid: ${w.pid})`);
    else this.logger.log(`spawned tsgi worker ${slot.id} (pid: ${w.pid}, cores: ${c.threads})`);
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

  private checkHarakiri(w: WorkerRecord, now: number): void {
    const limit = this.cfg.harakiri * 1000;
    const oldest = w.counters?.oldestStart ?? 0;
    // A worker whose event loop is blocked cannot report; silence that long is a stuck request too.
    const stuck = (oldest > 0 && now - oldest > limit) || (w.readyAt > 0 && now - w.lastReportAt > limit);
    if (!stuck) return;
    w.harakiried = true;
    const slot = this.slots[w.slot - 1]!;
    slot.harakiriCount++;
    slot.lastReason = 'harakiri';
    this.logger.verbose(`*** HARAKIRI ON WORKER ${w.slot} (pid: ${w.pid}, try: 1) ***`);
    if (this.cfg.harakiriVerbose) {
      for (const what of ['syscall', 'wchan']) {
        this.logger.log(`HARAKIRI: -- ${what}> ${readProcText(`/proc/${w.pid}/${what}`)}`);
      }
    }
    this.logger.verbose(`HARAKIRI !!! worker ${w.slot} status !!!`);
    for (const core of w.counters?.cores ?? []) {
      if (core.inRequest) {
        const v = Object.fromEntries(core.vars.filter(Boolean).map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)]));
        this.logger.verbose(`HARAKIRI [core 0] ${v['REMOTE_ADDR'] ?? '-'} - ${v['REQUEST_METHOD'] ?? ''} ${v['REQUEST_URI'] ?? ''} since ${Math.floor(core.start / 1000)}`);
      }
    }
    this.logger.verbose(`HARAKIRI !!! end of worker ${w.slot} status !!!`);
    this.kill(w, 'SIGKILL');
  }

  private logStats(): void {
    const total = this.slots.reduce((n, s) => n + this.slotRequests(s), 0);
    this.logger.log(`\tworkers total requests: ${total}`);
    this.logger.log('-----------------');
    for (const s of this.slots) {
      const live = this.workers.filter((w) => w.slot === s.id);
      const exc = s.base.exceptions + live.reduce((n, w) => n + (w.counters?.exceptions ?? 0), 0);
      this.logger.log(`\tworker ${s.id} app 0 [] requests: ${this.slotRequests(s)} exceptions: ${exc}`);
      this.logger.log('-----------------');
    }
  }

  private askStatus(): void {
    this.logger.log(`*** tsgi master ${process.pid}: phase ${this.phase}, generation ${this.generation}, ${this.workers.length} worker process(es) ***`);
    for (const w of this.workers) {
      this.logger.log(`worker ${w.slot} (pid: ${w.pid}) ${w.state}${w.reason ? ` (${w.reason})` : ''}, generation ${w.generation}`);
      this.send(w, { t: 'status' });
    }
  }

  // ---- plumbing -------------------------------------------------------------

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
    for (const [name, s] of this.sockets) {
      if (this.cfg.httpSocket.includes(name)) continue;
      s.close();
      this.sockets.delete(name);
      this.logger.log(`closed socket ${name}: no longer configured`);
    }
  }

  private vacuum(): void {
    const c = this.cfg;
    this.statsServer?.close();
    for (const f of this.fifos) f.close();
    this.waker?.child.kill('SIGKILL');
    pidusage.clear();
    for (const s of this.sockets.values()) {
      s.close();
    }
    if (!c.vacuum) return;
    if (c.pidfile) removePidfile(this.path(c.pidfile), process.pid);
    for (const s of this.sockets.values()) {
      if (s.kind === 'unix') {
        try {
          unlinkSync(s.path);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
  }

  private procname(role: string): string | undefined {
    const c = this.cfg;
    if (!c.autoProcname && !c.procnamePrefix && !c.procnamePrefixSpaced) return undefined;
    const prefix = c.procnamePrefix ?? (c.procnamePrefixSpaced ? `${c.procnamePrefixSpaced} ` : '');
    return `${prefix}tsgi ${role}`;
  }

  private path(p: string): string {
    return isAbsolute(p) ? p : resolve(this.cwd, p);
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
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
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
