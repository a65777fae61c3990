import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { MasterView } from './view.js';

/** Sends one sd_notify message (its `KEY=VALUE` lines); tests pass a fake. */
export type NotifySend = (fields: string[]) => void;

/**
 * sd_notify through systemd's own `systemd-notify`: Node has no unix datagram
 * sockets, and `systemd-notify` is on every machine that sets NOTIFY_SOCKET,
 * while a datagram package means a native addon to build. It runs as a child,
 * so the unit needs `NotifyAccess=all` (examples/systemd). Undefined without
 * NOTIFY_SOCKET or without the program.
 */
export function systemdNotify(env: NodeJS.ProcessEnv, log: (line: string) => void): NotifySend | undefined {
  if (!env['NOTIFY_SOCKET']) return undefined;
  const program = ['/usr/bin/systemd-notify', '/bin/systemd-notify'].find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!program) {
    log('*** NOTIFY_SOCKET is set but systemd-notify is missing: no READY/RELOADING/STOPPING notifications ***');
    return undefined;
  }
  return (fields) => {
    const child = spawn(program, fields, { stdio: 'ignore', env: { NOTIFY_SOCKET: env['NOTIFY_SOCKET'] } });
    child.on('error', (err) => log(`systemd-notify failed: ${err.message}`));
  };
}

/**
 * What systemd is told, derived each turn from the master's view: READY=1 once
 * every wanted slot has a ready worker (and again when a reload completes),
 * RELOADING=1 with MONOTONIC_USEC when a reload starts, STOPPING=1 when a
 * shutdown starts, STATUS= with each of them, and WATCHDOG=1 every half
 * WATCHDOG_USEC while the loop turns (a loop that stops turning stops the pings,
 * and systemd restarts the service).
 */
export class SystemdState {
  private told: 'nothing' | 'ready' | 'reloading' | 'stopping' = 'nothing';
  private lastPing = 0;
  /** when the last periodic STATUS went, and the request total then (requests/s) */
  private lastStatus = { at: 0, requests: 0 };
  private readonly watchdogMs: number;
  private readonly upgraded: boolean;

  constructor(
    private readonly send: NotifySend,
    env: NodeJS.ProcessEnv,
    pid = process.pid,
  ) {
    const usec = Number(env['WATCHDOG_USEC'] ?? 0);
    const forUs = env['WATCHDOG_PID'] === undefined || Number(env['WATCHDOG_PID']) === pid;
    this.watchdogMs = forUs && usec > 0 ? usec / 2000 : 0;
    this.upgraded = env['TSGI_UPGRADE_FROM'] !== undefined;
  }

  /** Called every turn of the loop with the master's view. */
  tick(v: MasterView, now: number): void {
    const s = v.state;
    const allReady = v.slots.every((slot) => !slot.active || v.workers.some((w) => w.slot === slot.id && w.state.kind === 'ready'));
    if (s.phase === 'stopping' || s.phase === 'stopped') {
      // after an upgrade systemd follows the new master (MAINPID): this one's stop is no service stop
      if (this.told !== 'stopping' && !v.handedOver) this.tell('stopping', ['STOPPING=1', status(v, 'shutting down')]);
    } else if (s.phase === 'reloading') {
      if (this.told !== 'reloading') this.tell('reloading', ['RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`, status(v, 'reloading')]);
    } else if (s.phase === 'running' && this.told !== 'ready' && (allReady || s.cheap)) {
      // a master started by an upgrade tells systemd it is the main process now
      const mainpid = this.upgraded ? [`MAINPID=${process.pid}`] : [];
      this.tell('ready', ['READY=1', ...mainpid, status(v, s.cheap ? 'cheap mode' : 'ready')]);
    }
    if (this.told === 'ready' && s.phase === 'running' && now - this.lastStatus.at >= STATUS_EVERY_MS) {
      const requests = totalRequests(v);
      const rps = this.lastStatus.at > 0 ? ((requests - this.lastStatus.requests) * 1000) / (now - this.lastStatus.at) : 0;
      this.lastStatus = { at: now, requests };
      this.send([status(v, 'running', rps)]);
    }
    if (this.watchdogMs > 0 && now - this.lastPing >= this.watchdogMs) {
      this.lastPing = now;
      this.send(['WATCHDOG=1']);
    }
  }

  /** Milliseconds until the next watchdog ping is due: the loop must wake for it, however quiet. */
  dueIn(now: number): number {
    return this.watchdogMs > 0 ? Math.max(0, this.lastPing + this.watchdogMs - now) : Infinity;
  }

  private tell(what: SystemdState['told'], fields: string[]): void {
    this.told = what;
    this.send(fields);
    if (what === 'ready') this.lastStatus = { at: 0, requests: 0 };
  }
}

/** How often a running master refreshes its STATUS line (what `systemctl status` shows). */
const STATUS_EVERY_MS = 10_000;

function totalRequests(v: MasterView): number {
  let n = 0;
  for (const s of v.slots) n += s.base.requests;
  for (const w of v.workers) n += w.counters?.requests ?? 0;
  return n;
}

function status(v: MasterView, what: string, rps?: number): string {
  const ready = v.workers.filter((w) => w.state.kind === 'ready').length;
  const rate = rps === undefined ? '' : `, ${rps.toFixed(1)} req/s`;
  return `STATUS=${what}: ${ready} worker(s) ready${rate}, generation ${v.generation}, ${v.reloads} reload(s)`;
}
