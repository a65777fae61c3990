import os from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { splitNodeArgs, type TsgiConfig } from '@tsgi/config';
import { EXIT, isTsgiMessageType, parseWorkerMessage, type MasterMessage, type RecycleReason, type WorkerMessage } from '../protocol.js';
import type { ChildLogs } from '../log/log-master.js';
import type { Logger } from '../log/logger.js';
import { isBootFailure, respawnDelay, spawnRateCap } from './backoff.js';
import type { MasterEvent } from './events.js';
import { harakiriReport } from './health.js';
import type { BoundSocket } from './sockets.js';
import type { Spawner } from './spawn.js';
import { procname, workerBoot, workerEnv } from './worker-boot.js';
import { buryCounters, isLive, newSlot, retirement, slotRequests, type SlotRecord, type WorkerRecord } from './worker-table.js';

/** Reads the time; tests pass a fake one. */
export interface Clock {
  now(): number;
}

/** How long a worker told to end at once (brutal reload, shutdown) has before SIGKILL. */
export const END_MERCY_MS = 3000;

export interface PoolDeps {
  logger: Logger;
  clock: Clock;
  spawner: Spawner;
  /** where child events go: the master's queue */
  enqueue: (ev: MasterEvent) => void;
  /** where a worker's `load` messages go, as they come (the http router) */
  onLoad?: (w: WorkerRecord, taken: number, busy: number) => void;
  /** the environment workers start from */
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** What a worker process is started with, beyond its slot. */
export interface SpawnContext {
  cfg: TsgiConfig;
  sockets: BoundSocket[];
  cwd: string;
  /** the spoolers' variables */
  extraEnv: Record<string, string>;
  logs: ChildLogs | undefined;
}

/**
 * The worker table and everything that touches worker processes: spawn,
 * retire (graceful), end (at once), kill, send, and reap with the crash-loop
 * throttle. Child events only enqueue; the master's loop calls back in.
 */
export class WorkerPool {
  readonly slots: SlotRecord[] = [];
  readonly workers: WorkerRecord[] = [];
  /** the config generation new workers get; a reload bumps it */
  generation = 1;
  /** some worker has loaded the app since boot (need-app) */
  everReady = false;
  /** when the last spawns happened, for the spawn-rate cap */
  private recentSpawns: number[] = [];

  constructor(private readonly d: PoolDeps) {}

  /** Grows the slot table to `n` slots (never shrinks: slot ids are stable). */
  ensureSlots(n: number): void {
    for (let id = this.slots.length + 1; id <= n; id++) this.slots.push(newSlot(id));
  }

  live(): WorkerRecord[] {
    return this.workers.filter(isLive);
  }

  ready(): WorkerRecord[] {
    return this.workers.filter((w) => w.state.kind === 'ready');
  }

  slotOf(w: WorkerRecord): SlotRecord {
    return this.slots[w.slot - 1]!;
  }

  /** The slot's cumulative requests, dead and live processes together. */
  slotRequests(slot: SlotRecord): number {
    return slotRequests(slot, this.workers);
  }

  /**
   * Starts a worker for `slot` with the current generation. A spawn that fails
   * (EMFILE, EAGAIN, ENOMEM) is a boot
   * failure of the slot, throttled like one; it never leaves a record without
   * a process behind.
   */
  spawn(slot: SlotRecord, x: SpawnContext): void {
    const c = x.cfg;
    const now = this.d.clock.now();
    this.recentSpawns.push(now);
    let child: ChildProcess;
    try {
      child = this.d.spawner({
        boot: workerBoot(c, {
          slot: slot.id,
          generation: this.generation,
          cwd: this.d.cwd,
          slotRequests: this.slotRequests(slot),
          procname: procname(c, `worker ${slot.id}`),
        }),
        sockets: x.sockets,
        cwd: x.cwd,
        env: { ...workerEnv(this.d.env, c, slot.id), ...x.extraEnv },
        logs: x.logs,
        nodeArgs: splitNodeArgs(c.nodeArgs),
      });
    } catch (err) {
      this.d.logger.log(`cannot spawn worker ${slot.id}: ${(err as Error).message}`);
      return this.throttle(slot, true, c, now);
    }
    const w: WorkerRecord = {
      slot: slot.id,
      pid: child.pid ?? 0,
      child,
      generation: this.generation,
      state: { kind: 'starting' },
      spawnedAt: now,
      readyAt: 0,
      counters: undefined,
      lastReportAt: now,
    };
    this.workers.push(w);
    let warned = false;
    child.on('message', (msg) => {
      const m = parseWorkerMessage(msg);
      if (m?.t === 'load') return this.d.onLoad?.(w, m.taken, m.busy);
      if (m) return this.d.enqueue({ type: 'message', worker: w, msg: m });
      // the app's own messages are none of the master's business; a malformed one of ours is worth one line
      if (!warned && isTsgiMessageType(msg)) this.d.logger.log(`worker ${w.slot} (pid: ${w.pid}) sent a malformed '${(msg as { t: string }).t}' message: ignored`);
      warned ||= isTsgiMessageType(msg);
    });
    child.on('exit', (code, signal) => this.d.enqueue({ type: 'exit', worker: w, code, signal }));
    child.on('error', (err) => {
      this.d.logger.log(`cannot spawn worker ${slot.id}: ${err.message}`);
      // a process that never started emits no 'exit': its record goes the way of a death
      if (child.pid === undefined) this.d.enqueue({ type: 'exit', worker: w, code: null, signal: null });
    });
    if (slot.everSpawned) this.d.logger.log(`Respawned tsgi worker ${slot.id} (new pid: ${w.pid})`);
    else this.d.logger.log(`spawned tsgi worker ${slot.id} (pid: ${w.pid}, cores: ${c.threads})`);
    slot.everSpawned = true;
    slot.respawnCount++;
    slot.lastSpawn = Math.floor(now / 1000);
  }

  /** How many spawns the rate cap allows now (a worker dying right after each start cannot fork-bomb the host). */
  spawnBudget(now: number, processes: number): number {
    this.recentSpawns = this.recentSpawns.filter((t) => now - t < 1000);
    return Math.max(0, spawnRateCap(processes) - this.recentSpawns.length);
  }

  /** Asks a worker to stop accepting and exit after its requests (graceful). */
  retire(w: WorkerRecord, reason: RecycleReason): void {
    if (!isLive(w)) return;
    w.state = { kind: 'draining', reason, since: this.d.clock.now() };
    this.d.logger.log(`Gracefully killing worker ${w.slot} (pid: ${w.pid})...`);
    this.send(w, { t: 'drain', reason });
  }

  /** Tells a worker to exit now (brutal reload, immediate shutdown). */
  end(w: WorkerRecord, reason: RecycleReason): void {
    if (w.state.kind === 'ending' || w.state.kind === 'killed') return;
    w.state = { kind: 'ending', reason, since: this.d.clock.now() };
    this.kill(w, 'SIGTERM');
  }

  /** Marks a ready worker for replacement: its successor first, then it is retired. */
  replace(w: WorkerRecord, reason: RecycleReason): void {
    if (w.state.kind !== 'ready' || w.state.replace) return;
    w.state = { kind: 'ready', replace: reason };
    this.slotOf(w).lastReason = reason;
  }

  /** SIGKILL for a policy (harakiri, evil memory): reaped as a death, respawned at once. */
  killFor(w: WorkerRecord, reason: RecycleReason): void {
    w.state = { kind: 'killed', reason, since: this.d.clock.now() };
    this.kill(w, 'SIGKILL');
  }

  /** Graceful (`q`, die-on-term) or immediate (SIGINT) shutdown of every worker. */
  stopAll(graceful: boolean): void {
    for (const w of [...this.workers]) {
      if (graceful) this.retire(w, 'shutdown');
      else this.end(w, 'shutdown');
    }
  }

  /** SIGTSTP: the kernel stops (or resumes) every worker. */
  pauseAll(paused: boolean): void {
    for (const w of this.workers) {
      this.kill(w, paused ? 'SIGSTOP' : 'SIGCONT');
      // a resumed worker reports again within a report interval: do not take its silence for a stuck loop
      if (!paused) w.lastReportAt = this.d.clock.now();
      this.d.logger.log(`*** worker ${w.slot} ${paused ? 'suspended' : 'resumed'} ***`);
    }
  }

  /** `harakiri`: log what the worker was doing (uWSGI's lines), count it, SIGKILL. */
  harakiri(w: WorkerRecord, verbose: boolean): void {
    const slot = this.slotOf(w);
    slot.harakiriCount++;
    slot.lastReason = 'harakiri';
    const log = this.d.logger;
    log.verbose(`*** HARAKIRI ON WORKER ${w.slot} (pid: ${w.pid}, try: 1) ***`);
    if (verbose) {
      for (const what of ['syscall', 'wchan']) log.log(`HARAKIRI: -- ${what}> ${readProcText(`/proc/${w.pid}/${what}`)}`);
    }
    log.verbose(`HARAKIRI !!! worker ${w.slot} status !!!`);
    for (const line of harakiriReport(w)) log.verbose(line);
    log.verbose(`HARAKIRI !!! end of worker ${w.slot} status !!!`);
    this.killFor(w, 'harakiri');
  }

  /**
   * A worker's message: the state changes that are the pool's. Returns true when
   * the worker has just become ready (the master then hands it waiting connections).
   */
  onMessage(w: WorkerRecord, msg: WorkerMessage): boolean {
    const now = this.d.clock.now();
    switch (msg.t) {
      case 'ready':
        if (w.state.kind !== 'starting') return false;
        w.state = { kind: 'ready' };
        w.readyAt = now;
        this.everReady = true;
        this.d.logger.log(`Node app 0 (mountpoint='') ready in ${msg.startupMs} ms on worker ${w.slot} (pid: ${w.pid})`);
        return true;
      case 'report':
        w.counters = msg.c;
        w.lastReportAt = now;
        return false;
      case 'successor':
        // near max-requests: a successor first, then the worker is retired (reconcile.ts)
        if (w.state.kind !== 'ready' || w.state.replace) return false;
        this.replace(w, msg.reason);
        this.d.logger.verbose(
          msg.reason === 'exception'
            ? `worker ${w.slot} (pid: ${w.pid}) had an app error (${msg.detail}): starting its successor (on-app-error = retire)`
            : `worker ${w.slot} (pid: ${w.pid}) nears ${msg.reason} (${msg.detail}): starting its successor`,
        );
        return false;
      case 'recycle':
        // the worker stopped accepting on its own (max-requests, reload-on-rss/as); it drains and exits
        w.state = { kind: 'draining', reason: msg.reason, since: now };
        this.slotOf(w).lastReason = msg.reason;
        return false;
      default:
        return false;
    }
  }

  /**
   * A worker exited: its counters join its slot's; an unexpected death is
   * logged and its slot respawned, with a growing delay when it keeps dying
   * fast. Returns 'failed-app' when the app could not be loaded.
   */
  reap(w: WorkerRecord, code: number | null, signal: NodeJS.Signals | null, stopping: boolean, cfg: TsgiConfig): 'failed-app' | undefined {
    const i = this.workers.indexOf(w);
    if (i === -1) return undefined;
    this.workers.splice(i, 1);
    const slot = this.slots[w.slot - 1];
    const now = this.d.clock.now();
    if (slot) buryCounters(slot, w.counters);
    const r = retirement(w);
    if (w.state.kind === 'draining' || w.state.kind === 'ending') {
      if (r!.reason === 'max-requests' || r!.reason === 'rss' || r!.reason === 'as') {
        this.d.logger.log(`worker ${w.slot} killed successfully (pid: ${w.pid})`);
      } else {
        this.d.logger.log(`worker ${w.slot} buried after ${Math.max(1, Math.round((now - r!.since) / 1000))} seconds`);
      }
      return undefined;
    }
    if (!slot || stopping) return undefined;
    if (code === EXIT.FAILED_APP) {
      this.d.logger.log(`OOPS ! failed loading app in worker ${w.slot} (pid ${w.pid}) :( trying again...`);
    } else {
      const how = signal ? `, killed by signal ${os.constants.signals[signal] ?? signal}` : '';
      this.d.logger.log(`DAMN ! worker ${w.slot} (pid: ${w.pid}) died${how} :( trying respawn ...`);
    }
    slot.lastReason = r?.reason ?? (code === EXIT.FAILED_APP ? 'app-load-failed' : 'crash');
    // SIGKILL from outside (the OOM killer, an operator) is no sign of an app that cannot boot
    const outsideKill = signal === 'SIGKILL' && w.state.kind !== 'killed';
    this.throttle(slot, isBootFailure(w.readyAt) && !outsideKill, cfg, now);
    return code === EXIT.FAILED_APP ? 'failed-app' : undefined;
  }

  /**
   * The crash-loop throttle: a boot failure grows the slot's respawn delay
   * (`forkbomb-delay` doubling up to `respawn-backoff-max`); a runtime death
   * resets it, and the slot is respawned at once.
   */
  private throttle(slot: SlotRecord, bootFailure: boolean, cfg: TsgiConfig, now: number): void {
    slot.fastFailures = bootFailure ? slot.fastFailures + 1 : 0;
    const delay = respawnDelay(slot.fastFailures, cfg.forkbombDelay, cfg.respawnBackoffMax);
    slot.nextSpawnAt = now + delay * 1000;
    if (delay > 0) this.d.logger.verbose(`worker ${slot.id} respawning too fast !!! i have to sleep a bit (${delay} seconds)...`);
  }

  /** A reload: every slot may respawn at once again. */
  forgetFailures(): void {
    for (const s of this.slots) {
      s.fastFailures = 0;
      s.nextSpawnAt = 0;
    }
  }

  send(w: WorkerRecord, msg: MasterMessage): void {
    if (w.child.connected) w.child.send(msg, (err) => err && this.kill(w, 'SIGTERM'));
    else this.kill(w, 'SIGTERM');
  }

  kill(w: WorkerRecord, signal: NodeJS.Signals): void {
    try {
      w.child.kill(signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }

  /** Milliseconds until the next slot in its crash-loop delay, or a spawn held by the rate cap, may go (at most `max`). */
  nextSpawnIn(now: number, max: number, processes: number): number {
    let next = max;
    for (const s of this.slots) if (s.active && s.nextSpawnAt > now) next = Math.min(next, s.nextSpawnAt - now);
    const oldest = this.recentSpawns[0];
    if (oldest !== undefined && this.recentSpawns.length >= spawnRateCap(processes)) next = Math.min(next, oldest + 1000 - now);
    return next;
  }
}

function readProcText(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (err) {
    return `unreadable (${(err as NodeJS.ErrnoException).code})`;
  }
}
