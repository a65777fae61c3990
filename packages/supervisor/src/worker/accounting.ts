import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PUBLIC_VARS, type WorkerCounters } from '../protocol.js';

const kStart = Symbol('tsgi.start');
const kCore = Symbol('tsgi.core');
const kTx = Symbol('tsgi.tx');

interface Tracked extends ServerResponse {
  [kStart]: number;
  [kCore]: number;
  [kTx]: number;
}

interface CoreState {
  requests: number;
  inFlight: number;
  current: IncomingMessage | undefined;
  start: number;
}

/** What the accounting knows of the request it counted last (read right after end()). */
export interface Finished {
  tx: number;
  ms: number;
  core: number;
}

/**
 * Per-request accounting in the worker: exact counters kept in plain fields
 * and read by the periodic report, so the hot path sends no message per
 * request: stats may lag by one report (at most about a second), never cost
 * a request anything. Units are uWSGI's: µs for times, bytes for tx.
 *
 * It also measures how much of each report interval had at least one request
 * in flight (`takeBusyShare`): the report itself always runs between two
 * requests of a CPU-bound app, so the in-flight count it reads says nothing of
 * how busy the worker was. Only the 0 → 1 and 1 → 0 transitions of the
 * in-flight count touch the clock, with the time each request reads anyway.
 */
export class Accounting {
  requests = 0;
  exceptions = 0;
  /** responses with a 5xx status, the app's and the worker's own */
  responses5xx = 0;
  tx = 0;
  runningTime = 0;
  avgRt = 0;
  readonly inflight = new Set<ServerResponse>();
  /** the request end() counted last; reused, so the hot path allocates nothing for it */
  readonly last: Finished = { tx: 0, ms: 0, core: 0 };
  private readonly cores: CoreState[];
  private nextCore = 0;
  /** ms on `now`'s clock since which a request has been in flight (the last 0 → 1), or -1 with none */
  private busySince = -1;
  /** ms with a request in flight since the last takeBusyShare(), before `busySince` */
  private busyMs = 0;
  /** ms of the last takeBusyShare() (or of the construction) */
  private sharedAt: number;

  /** `now` is a monotonic clock in ms (performance.now); tests pass a fake one. */
  constructor(
    threads: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sharedAt = now();
    this.cores = Array.from({ length: Math.max(1, threads) }, () => ({
      requests: 0,
      inFlight: 0,
      current: undefined,
      start: 0,
    }));
  }

  /** Marks the start of a request; call before the app runs. */
  begin(req: IncomingMessage, res: ServerResponse): void {
    const t = res as Tracked;
    t[kStart] = this.now();
    t[kTx] = req.socket.bytesWritten;
    if (this.inflight.size === 0) this.busySince = t[kStart];
    const core = this.pickCore();
    t[kCore] = core;
    const c = this.cores[core]!;
    c.inFlight++;
    c.current = req;
    c.start = t[kStart];
    this.inflight.add(res);
  }

  /** Counts a finished (or aborted) request; `last` then holds what the request log needs. */
  end(req: IncomingMessage, res: ServerResponse): void {
    const t = res as Tracked;
    const now = this.now();
    const ms = now - t[kStart];
    const us = Math.round(ms * 1000);
    const tx = req.socket.bytesWritten - t[kTx];
    if (this.inflight.delete(res) && this.inflight.size === 0 && this.busySince >= 0) {
      this.busyMs += now - this.busySince;
      this.busySince = -1;
    }
    this.requests++;
    if (res.statusCode >= 500) this.responses5xx++;
    this.tx += tx;
    this.runningTime += us;
    this.avgRt = Math.floor((this.avgRt + us) / 2);
    const c = this.cores[t[kCore]]!;
    c.requests++;
    c.inFlight--;
    if (c.current === req) c.current = undefined;
    this.last.tx = tx;
    this.last.ms = ms;
    this.last.core = t[kCore];
  }

  /** An uncaught exception of the app in a request (a 500 was sent, or the socket destroyed). */
  exception(): void {
    this.exceptions++;
  }

  /**
   * The share of the time since the last call (or since the construction) during
   * which at least one request was in flight, 0..1, and a new interval starts. A
   * request still in flight counts up to now, and from now on for the next interval.
   */
  takeBusyShare(): number {
    const now = this.now();
    let busy = this.busyMs;
    if (this.busySince >= 0) {
      busy += now - this.busySince;
      this.busySince = now;
    }
    const interval = now - this.sharedAt;
    this.busyMs = 0;
    this.sharedAt = now;
    if (interval <= 0) return this.inflight.size > 0 ? 1 : 0;
    return Math.min(1, Math.max(0, busy / interval));
  }

  /** Epoch ms at which the oldest request in flight started, 0 when idle (for harakiri). */
  oldestStart(): number {
    let oldest = Infinity;
    for (const res of this.inflight) oldest = Math.min(oldest, (res as Tracked)[kStart]);
    return oldest === Infinity ? 0 : Math.round(performance.timeOrigin + oldest);
  }

  /** The responses in flight that started more than `ms` ago (each once: a later call skips those already ended). */
  olderThan(ms: number): ServerResponse[] {
    const since = this.now() - ms;
    const old: ServerResponse[] = [];
    for (const res of this.inflight) if ((res as Tracked)[kStart] < since && !res.writableEnded && !res.destroyed) old.push(res);
    return old;
  }

  /** A snapshot for the report to the master. */
  snapshot(elu: number, accepting: boolean, draining: boolean, connections = 0, busy = 0): WorkerCounters {
    return {
      requests: this.requests,
      exceptions: this.exceptions,
      responses5xx: this.responses5xx,
      tx: this.tx,
      runningTime: this.runningTime,
      avgRt: this.avgRt,
      inFlight: this.inflight.size,
      oldestStart: this.oldestStart(),
      cores: this.cores.map((c) => ({
        requests: c.requests,
        inRequest: c.inFlight > 0 ? 1 : 0,
        start: c.inFlight > 0 ? Math.round(performance.timeOrigin + c.start) : 0,
        vars: c.current ? requestVars(c.current) : [],
      })),
      elu,
      busy,
      accepting,
      draining,
      connections,
    };
  }

  /** What each in-flight request is, for SIGUSR2 and harakiri logs. */
  describeInflight(): string[] {
    const now = this.now();
    const lines: string[] = [];
    for (const res of this.inflight) {
      const t = res as Tracked;
      const req = (res as ServerResponse & { req: IncomingMessage }).req;
      lines.push(
        `[core ${t[kCore]}] ${req.socket.remoteAddress ?? '-'} - ${req.method} ${req.url} since ${Math.round(now - t[kStart])} ms`,
      );
    }
    return lines;
  }

  private pickCore(): number {
    const n = this.cores.length;
    if (n === 1) return 0;
    for (let i = 0; i < n; i++) if (this.cores[i]!.inFlight === 0) return i;
    this.nextCore = (this.nextCore + 1) % n;
    return this.nextCore;
  }
}

/** The request as uWSGI's `cores[].vars`: CGI-style `KEY=value` strings ending with "". */
function requestVars(req: IncomingMessage): string[] {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const vars = [
    `REQUEST_METHOD=${req.method}`,
    `PATH_INFO=${q === -1 ? url : url.slice(0, q)}`,
    `REQUEST_URI=${url}`,
    `QUERY_STRING=${q === -1 ? '' : url.slice(q + 1)}`,
    `SERVER_PROTOCOL=HTTP/${req.httpVersion}`,
    `REMOTE_ADDR=${req.socket.remoteAddress ?? ''}`,
  ];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const key = `HTTP_${raw[i]!.toUpperCase().replace(/-/g, '_')}`;
    // credentials never reach the master: only what the stats may show crosses IPC
    if (PUBLIC_VARS.has(key)) vars.push(`${key}=${raw[i + 1]}`);
  }
  vars.push('');
  return vars;
}
