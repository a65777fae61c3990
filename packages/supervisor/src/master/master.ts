import { availableCpus, type TsgiConfig } from '@tsgi/config';
import type { ChildLogs } from '../log/log-master.js';
import type { Logger } from '../log/logger.js';
import { EXIT, type WorkerMessage } from '../protocol.js';
import { CheapMode } from '../cheap/cheap-mode.js';
import type { startWaker } from '../cheap/waker.js';
import { fifoControl, listenToSignals, perform, signalControl } from './controls.js';
import { EventQueue, type MasterEvent } from './events.js';
import { activationBinder } from './activation.js';
import { drainAfterDelay, shutdown } from './lifecycle.js';
import { planMurder, planRecycle } from './murder.js';
import type { ConfigReader, MasterParts } from './parts.js';
import { systemdNotify, SystemdState, type NotifySend } from './notify.js';
import { applyReadings, startReadings, type StartReadings } from './readings.js';
import { planWorkers, surgeLimit } from './reconcile.js';
import { advanceChain, configuredSockets, finishReload, socketsBound } from './reload.js';
import { Scaling, enterCheap, wakeUp } from './scaling.js';
import { osBinder, setUp, tearDown, type SocketBinder } from './setup.js';
import type { BoundSocket } from './sockets.js';
import { spawnWorker, type Spawner } from './spawn.js';
import { SpoolerPool } from '../spooler/pool.js';
import { StateMachine } from './state.js';
import { masterView, type MasterView, type StatsSink } from './view.js';
import { resolvePath } from '../os/paths.js';
import { ENV_UPGRADE_FROM, murderSuccessor, onUpgradeEvent, UpgradeHandshake } from './upgrade.js';
import { WorkerPool, type Clock } from './worker-pool.js';
import type { WorkerRecord } from './worker-table.js';

export type { ConfigReader } from './parts.js';

/** The master's collaborators: everything that touches the OS can be replaced (tests pass fakes). */
export interface MasterOptions {
  config: TsgiConfig;
  logger: Logger;
  readConfig: ConfigReader;
  spawner?: Spawner;
  clock?: Clock;
  /** the stats document, summary and servers; none: no stats server and no summary */
  stats?: StatsSink;
  binder?: SocketBinder;
  /** cheap mode's waker process */
  startWaker?: typeof startWaker;
  /** sd_notify (READY, RELOADING, STOPPING, STATUS, WATCHDOG); default: systemd-notify when NOTIFY_SOCKET is set */
  notify?: NotifySend;
  /** the once-a-second readings; false: none (tests enqueue readings themselves) */
  readings?: StartReadings | false;
  /** reads the children's stdout and stderr, hands the workers their request-log files, rotates and reopens them; absent: children inherit stderr */
  logs?: ChildLogs;
  /** the CPUs the workers share, for reload-surge's default; default: what this process may use (cgroup quota, affinity) */
  cpus?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * The master: binds the sockets, forks the workers and keeps them as the
 * configuration wants. One loop, one writer: signals, the fifo, child
 * processes and timers only enqueue events, and every state change happens
 * in `tick`'s steps, the deciding ones before the acting one.
 */
export class Master {
  private readonly events = new EventQueue();
  private readonly p: MasterParts;
  private readonly startedAt: number;
  /** when the loop last turned (`/livez`) */
  private tickedAt = 0;
  /** what systemd is told, when it listens */
  private readonly systemd: SystemdState | undefined;
  /** a master started by an upgrade tells the one it replaces when its workers are ready */
  private readonly handshake: UpgradeHandshake;
  /** the CPUs this process may use (cgroup quota, affinity), read once: reload-surge's default */
  private readonly cpus: number;

  constructor(o: MasterOptions) {
    const clock = o.clock ?? Date;
    const cwd = o.cwd ?? process.cwd();
    const env = o.env ?? process.env;
    const log = o.logger;
    const enqueue = (ev: MasterEvent): void => this.events.push(ev);
    // a worker's live load goes to the router at once, not through the loop: it comes once per turn of each worker's loop
    const onLoad = (w: WorkerRecord, taken: number, busy: number): void => this.p.router?.loaded(w, taken, busy);
    const pool = new WorkerPool({ logger: log, clock, spawner: o.spawner ?? spawnWorker, enqueue, onLoad, env, cwd });
    this.startedAt = clock.now();
    const notify = o.notify ?? systemdNotify(env, (line) => log.log(line));
    this.systemd = notify ? new SystemdState(notify, env) : undefined;
    this.cpus = o.cpus ?? availableCpus();
    this.handshake = new UpgradeHandshake(env[ENV_UPGRADE_FROM] === undefined ? undefined : Number(env[ENV_UPGRADE_FROM]));
    this.p = {
      log,
      clock,
      cwd,
      readConfig: o.readConfig,
      binder: o.binder ?? activationBinder(env, process.pid, log) ?? osBinder,
      stats: o.stats,
      readings: o.readings ?? startReadings,
      state: new StateMachine((line) => log.verbose(line)),
      pool,
      scaling: new Scaling(log, pool),
      spoolers: new SpoolerPool(log, cwd, (event) => enqueue({ type: 'spooler', event }), () => env, o.logs),
      cheap: new CheapMode(() => enqueue({ type: 'doorbell' }), o.startWaker, o.config.listen, (line) => log.log(line)),
      sockets: new Map(),
      opened: [],
      cfg: o.config,
      logs: o.logs,
      router: undefined,
      reader: undefined,
      statsServer: undefined,
      successor: undefined,
      samples: new Map(),
      queues: new Map(),
      reloads: 0,
      exitCode: 0,
      enqueue,
      view: () => this.view(),
    };
  }

  /** Runs until shutdown; resolves with the exit status. */
  async run(): Promise<number> {
    const unlisten = listenToSignals((signal) => this.enqueue({ type: 'signal', signal }));
    try {
      await this.start();
      for (;;) {
        this.tick(this.p.clock.now());
        if (this.p.state.phase === 'stopped') break;
        await this.events.wait(this.nextWakeMs());
      }
    } finally {
      unlisten();
      tearDown(this.p);
    }
    return this.p.exitCode;
  }

  /** Binds, opens and drops privileges (setup.ts); the loop may turn afterwards. */
  start(): Promise<void> {
    return setUp(this.p);
  }

  /** One turn of the loop: the steps, in order. */
  tick(now: number): void {
    this.tickedAt = now;
    this.dispatchEvents(now);
    this.murderWorkers(now);
    this.recycleWorkers(now);
    this.adaptWorkers(now);
    this.manageWorkers(now);
    this.finishTransitions(now);
    // a view costs a socket list and the spoolers' figures: only for someone who reads it
    if (!this.systemd && !this.handshake.waiting) return;
    const view = this.view();
    this.systemd?.tick(view, now);
    this.handshake.tick(view);
  }

  /** Queues an event and wakes the loop. */
  enqueue(ev: MasterEvent): void {
    this.events.push(ev);
  }

  /** A read-only snapshot of the master's tables (stats, summary, tests). */
  view(): MasterView {
    return masterView(this.p, this.startedAt, this.tickedAt);
  }

  // ---- the loop's steps ---------------------------------------------------------

  /** Step 1: signals and fifo letters (controls.ts), worker messages and exits, readings, bound sockets. */
  private dispatchEvents(now: number): void {
    const p = this.p;
    for (const ev of this.events.drain()) {
      if (ev.type === 'signal' || ev.type === 'fifo') {
        const control = ev.type === 'signal' ? signalControl(ev.signal, p.cfg.dieOnTerm) : fifoControl(ev.letter);
        if (control) perform(p, control);
      } else if (ev.type === 'doorbell') wakeUp(p);
      else if (ev.type === 'message') this.onMessage(ev.worker, ev.msg);
      else if (ev.type === 'exit') this.onExit(ev.worker, ev.code, ev.signal);
      else if (ev.type === 'readings') applyReadings(p, ev, now);
      else if (ev.type === 'bound') socketsBound(p, ev.sockets, ev.error);
      else if (ev.type === 'upgrade') onUpgradeEvent(p, ev);
      else p.spoolers.handle(ev.event);
    }
  }

  /**
   * Step 2 (`worker-reload-mercy`, `harakiri`, `evil-reload-on-rss/as`): SIGKILL
   * workers that outlived their mercy, are stuck or over the hard memory limit;
   * spoolers and the waker past their own deadlines too, and connections that
   * waited too long in the router.
   */
  private murderWorkers(now: number): void {
    const p = this.p;
    p.spoolers.murder(now);
    p.cheap.murder(now);
    p.router?.expire(now);
    murderSuccessor(p, now);
    for (const m of planMurder(p.pool.workers, p.samples, p.cfg, now, p.state.paused)) {
      const w = m.worker;
      if (m.kind === 'harakiri') {
        p.pool.harakiri(w, p.cfg.harakiriVerbose);
      } else if (m.kind === 'start-timeout') {
        p.log.log(`worker ${w.slot} (pid: ${w.pid}) not ready after ${p.cfg.workerStartTimeout} seconds (worker-start-timeout): killing it`);
        p.pool.killFor(w, 'start-timeout');
      } else if (m.kind === 'evil') {
        p.log.verbose(`*** EVIL RELOAD ON WORKER ${w.slot} ${m.what} (pid: ${w.pid}) ***`);
        p.pool.killFor(w, m.reason);
      } else {
        if (m.kind === 'no-mercy') p.log.verbose(`worker ${w.slot} (pid: ${w.pid}) is taking too much time to die...NO MERCY !!!`);
        p.pool.kill(w, 'SIGKILL');
      }
    }
  }

  /**
   * Step 3 (`reload-on-rss/as`, `max-worker-lifetime`, fifo `c`): mark workers
   * for a graceful replacement, successor first; a chain reload marks one slot
   * at a time.
   */
  private recycleWorkers(now: number): void {
    for (const r of planRecycle(this.p.pool.workers, this.p.samples, this.p.cfg, now)) {
      this.p.log.verbose(r.line);
      this.p.pool.replace(r.worker, r.reason);
    }
    advanceChain(this.p);
  }

  /** Step 4 (`cheaper`, `cheaper-algo`, `idle`, `die-on-idle`): how many workers are wanted. */
  private adaptWorkers(now: number): void {
    const p = this.p;
    const run = p.state.when('running');
    if (!run || run.paused) return;
    if (run.cheap) return p.cheap.tend([...p.sockets.values()], p.pool.live().length);
    const listenQueue = [...p.queues.values()].reduce((m, q) => Math.max(m, q), 0);
    if (!p.scaling.adapt(p.cfg, listenQueue, now)) return;
    if (!p.cfg.dieOnIdle) return enterCheap(p, 'cheap mode activated: stopping every worker until a connection arrives');
    p.log.log('die-on-idle: shutting down');
    shutdown(p, true);
  }

  /** Step 5: spawn and retire to meet the wanted state (reconcile.ts). */
  private manageWorkers(now: number): void {
    const { pool, cfg, state } = this.p;
    const s = state.state;
    if (s.phase !== 'running' && s.phase !== 'reloading') return;
    // sockets a reload added are being bound: its workers must inherit them, so they wait
    if (s.phase === 'reloading' && s.binding) return;
    this.p.spoolers.manage(now);
    const brutal = s.phase === 'reloading' && s.brutal;
    const plan = planWorkers({ slots: pool.slots, workers: pool.workers, generation: pool.generation, brutal, now, surge: surgeLimit(cfg.reloadSurge, this.cpus) });
    const sockets = [...configuredSockets(cfg).keys()].map((n) => this.p.sockets.get(n)).filter((x): x is BoundSocket => x !== undefined);
    const cwd = cfg.chdir ? resolvePath(this.p.cwd, cfg.chdir) : this.p.cwd;
    const extraEnv = this.p.spoolers.env();
    for (const slot of plan.spawn.slice(0, pool.spawnBudget(now, cfg.processes))) pool.spawn(slot, { cfg, sockets, cwd, extraEnv, logs: this.p.logs });
    for (const w of plan.end) pool.end(w, 'brutal-reload');
    for (const { worker, reason } of plan.retire) pool.retire(worker, reason);
  }

  /** Step 6: complete a reload; start a delayed drain; end a shutdown once every worker and spooler is gone. */
  private finishTransitions(now: number): void {
    const p = this.p;
    finishReload(p);
    drainAfterDelay(p, now);
    if (p.state.phase !== 'stopping' || p.pool.workers.length > 0 || p.spoolers.running > 0) return;
    p.state.move({ phase: 'stopped' }, `every worker is gone, ${Math.round((now - this.startedAt) / 1000)} s after start`);
    p.log.log('goodbye to tsgi.');
  }

  // ---- events -----------------------------------------------------------------------

  private onMessage(w: WorkerRecord, msg: WorkerMessage): void {
    const p = this.p;
    if (p.pool.onMessage(w, msg)) {
      // a ready worker's figures in the stats at once, not up to a second later (at spawn its
      // process is still between fork and exec: there is nothing to read yet)
      p.reader?.soon();
      if (!p.state.cheap) p.cheap.handOver(w, p.clock.now());
      p.router?.flush();
      if (p.state.paused) p.pool.kill(w, 'SIGSTOP');
    }
    if (msg.t === 'status') p.log.log(msg.text);
    else if (msg.t === 'spooled') p.spoolers.wake(msg.dir);
  }

  /** A worker exited; with `need-app`, an app that never loaded since boot ends the master (status 22). */
  private onExit(w: WorkerRecord, code: number | null, signal: NodeJS.Signals | null): void {
    const p = this.p;
    if (p.pool.reap(w, code, signal, p.state.phase === 'stopping', p.cfg) !== 'failed-app') return;
    if (!p.cfg.needApp || p.pool.everReady) return;
    p.log.log('need-app is set and the app could not be loaded: giving up');
    p.exitCode = EXIT.FAILED_APP;
    shutdown(p, false);
  }

  // ---- plumbing -------------------------------------------------------------------

  private nextWakeMs(): number {
    const now = this.p.clock.now();
    const drainAt = this.p.state.when('stopping')?.drainAt ?? Infinity;
    const ping = this.systemd?.dueIn(now) ?? Infinity;
    return Math.max(10, Math.min(drainAt - now, ping, this.p.pool.nextSpawnIn(now, 1000, this.p.cfg.processes)));
  }
}
