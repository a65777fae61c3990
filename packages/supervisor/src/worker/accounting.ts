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
 */
export class Accounting {
  requests = 0;
  exceptions = 0;
  tx = 0;
  runningTime = 0;
  avgRt = 0;
  readonly inflight = new Set<ServerResponse>();
  /** the request end() counted last; reused, so the hot path allocates nothing for it */
  readonly last: Finished = { tx: 0, ms: 0, core: 0 };
  private readonly cores: CoreState[];
  private nextCore = 0;

  constructor(threads: number) {
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
    t[kStart] = performance.now();
    t[kTx] = req.socket.bytesWritten;
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
    const ms = performance.now() - t[kStart];
    const us = Math.round(ms * 1000);
    const tx = req.socket.bytesWritten - t[kTx];
    this.inflight.delete(res);
    this.requests++;
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

  /** Epoch ms at which the oldest request in flight started, 0 when idle (for harakiri). */
  oldestStart(): number {
    let oldest = Infinity;
    for (const res of this.inflight) oldest = Math.min(oldest, (res as Tracked)[kStart]);
    return oldest === Infinity ? 0 : Math.round(performance.timeOrigin + oldest);
  }

  /** The responses in flight that started more than `ms` ago (each once: a later call skips those already ended). */
  olderThan(ms: number): ServerResponse[] {
    const since = performance.now() - ms;
    const old: ServerResponse[] = [];
    for (const res of this.inflight) if ((res as Tracked)[kStart] < since && !res.writableEnded && !res.destroyed) old.push(res);
    return old;
  }

  /** A snapshot for the report to the master. */
  snapshot(elu: number, accepting: boolean, draining: boolean, connections = 0): WorkerCounters {
    return {
      requests: this.requests,
      exceptions: this.exceptions,
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
      accepting,
      draining,
      connections,
    };
  }

  /** What each in-flight request is, for SIGUSR2 and harakiri logs. */
  describeInflight(): string[] {
    const now = performance.now();
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
