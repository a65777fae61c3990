import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { cachedCtime } from '../log/ctime.js';
import { compileJsonLine, compileLogFormat, headerBytes, headerCount, type Exchange } from '../log/request-format.js';
import type { RequestLogRules, RequestLogTarget } from '../protocol.js';

/** bytes buffered before a write */
const BATCH = 64 * 1024;
/** the longest a line waits in the buffer */
const FLUSH_MS = 50;

/**
 * The per-request log line, buffered: each line is copied into one 64 KiB buffer as it
 * is made, and the buffer is written at most every 50 ms or when full, so logging costs
 * one write syscall per batch, not one per request, and no line outlives its request as
 * a string (a batch of strings kept for 50 ms would survive garbage collections and be
 * copied by them). The buffer holds latin1: the HTTP parser decoded the request line
 * and headers as latin1, so the log gets the bytes the client sent (as UTF-8 text they
 * would be encoded twice).
 *
 * The default line is uWSGI's:
 * `[pid: 9501|app: 0|req: 3/9] 127.0.0.1 () {12 vars in 244 bytes} [Sat Nov 21 23:28:53 2026]
 *  GET / => generated 20 bytes in 0 msecs (HTTP/1.1 200) 2 headers in 65 bytes (1 switches on core 0)`;
 * `logformat` and `log-json` replace it (log/request-format.ts).
 */
export class RequestLog {
  private readonly buffer = Buffer.allocUnsafe(BATCH);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now = cachedCtime();
  private readonly prefix: string;
  private readonly unit: string;
  /** the line of a `logformat` or `log-json`; undefined: uWSGI's default line */
  private readonly custom: ((x: Exchange) => string) | undefined;
  /** reused for every line: the hot path allocates no record per request */
  private readonly exchange: Exchange;

  constructor(
    pid: number,
    private readonly rules: RequestLogRules,
    private readonly write: (bytes: Buffer) => void,
    wid = 0,
  ) {
    this.prefix = `[pid: ${pid}|app: 0|req: `;
    this.unit = rules.micros ? 'micros' : 'msecs';
    const context = { pid, wid, xForwardedFor: rules.xForwardedFor, ...(rules.ftime !== undefined ? { ftime: rules.ftime } : {}) };
    this.custom = rules.json ? compileJsonLine(rules.json, context) : rules.format ? compileLogFormat(rules.format, context) : undefined;
    this.exchange = { req: undefined!, res: undefined!, head: '', tx: 0, ms: 0, end: 0, core: 0 };
  }

  /** Records one finished request. `workerReq` counts this process's requests, `slotReq` the slot's. */
  add(req: IncomingMessage, res: ServerResponse, workerReq: number, slotReq: number, tx: number, ms: number, core: number): void {
    const head = (res as unknown as { _header?: string | null })._header ?? '';
    const body = Math.max(0, tx - head.length);
    const rules = this.rules;
    if (!rules.all && !conditionMet(rules, res.statusCode, body, ms)) return;
    let line: string;
    if (this.custom) {
      const x = this.exchange;
      x.req = req;
      x.res = res;
      x.head = head;
      x.tx = tx;
      x.ms = ms;
      x.end = performance.timeOrigin + performance.now();
      x.core = core;
      line = this.custom(x);
      x.req = undefined!;
      x.res = undefined!;
    } else {
      line = this.uwsgiLine(req, res, head, body, workerReq, slotReq, ms, core);
    }
    this.append(line);
  }

  /** Writes what is buffered; called by the timer, when the buffer is full, and before the worker exits. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.used === 0) return;
    const bytes = this.buffer.subarray(0, this.used);
    this.used = 0;
    this.write(bytes);
  }

  private uwsgiLine(req: IncomingMessage, res: ServerResponse, head: string, body: number, workerReq: number, slotReq: number, ms: number, core: number): string {
    const raw = req.rawHeaders;
    const forwarded = this.rules.xForwardedFor ? req.headers['x-forwarded-for'] : undefined;
    const address = typeof forwarded === 'string' ? forwarded : (req.socket.remoteAddress ?? '-');
    const time = Math.floor(this.rules.micros ? ms * 1000 : ms);
    return (
      `${this.prefix}${workerReq}/${slotReq}] ${address} () {${raw.length / 2} vars in ${headerBytes(raw)} bytes} ` +
      `[${this.now()}] ${req.method} ${req.url} => generated ${body} bytes in ${time} ${this.unit} ` +
      `(HTTP/${req.httpVersion} ${res.statusCode}) ${headerCount(head)} headers in ${head.length} bytes (1 switches on core ${core})\n`
    );
  }

  /** The line copied into the batch (written first when it would not fit); a line longer than a batch goes out alone. */
  private append(line: string): void {
    if (this.used + line.length > BATCH) this.flush();
    if (line.length > BATCH) return this.write(Buffer.from(line, 'latin1'));
    this.used += this.buffer.write(line, this.used, 'latin1');
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }
}

/** Whether any request gets a line: all of them, or some condition is set. */
export function logsAnything(r: RequestLogRules): boolean {
  return r.all || r.status4xx || r.status5xx || r.slowMs > 0 || r.bigBytes > 0 || r.zero;
}

/** uWSGI's conditional logging (core/logging.c log_request): any one condition logs the request. */
function conditionMet(r: RequestLogRules, status: number, body: number, ms: number): boolean {
  return (
    (r.zero && body === 0) ||
    (r.slowMs > 0 && ms >= r.slowMs) ||
    (r.status4xx && status >= 400 && status <= 499) ||
    (r.status5xx && status >= 500 && status <= 599) ||
    (r.bigBytes > 0 && body >= r.bigBytes)
  );
}

/** Bytes a pipe takes in one write without mixing them with another writer's (Linux's PIPE_BUF). */
const PIPE_BUF = 4096;

/**
 * The request-log files (or the master's stderr) a worker writes itself, as descriptors
 * inherited from the master (protocol.ts, RequestLogTarget). A batch is whole lines and
 * goes out in one write to a file (appends do not mix), in whole-line pieces of at most
 * PIPE_BUF to a pipe. When the master has rotated or reopened the files (`reopen-log`),
 * they are opened again by their paths; a batch is never split between two files.
 */
export class RequestLogFiles {
  private readonly targets: RequestLogTarget[];

  constructor(
    targets: readonly RequestLogTarget[],
    private readonly warn: (line: string) => void,
  ) {
    this.targets = targets.map((t) => ({ ...t }));
  }

  /** Writes one batch of whole lines to every target. */
  readonly write = (bytes: Buffer): void => {
    for (const t of this.targets) {
      if (t.pipe) writeInPieces(t.fd, bytes);
      else writeFully(t.fd, bytes);
    }
  };

  /** The files at their paths take over (the master renamed or reopened them); a failure keeps the old one. */
  reopen(): void {
    for (const t of this.targets) {
      if (t.path === undefined) continue;
      let fd: number;
      try {
        // never created here: the master has made the new file (as the user it runs as)
        fd = openSync(t.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
      } catch (err) {
        this.warn(`cannot open the request log ${t.path} again: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; still writing to the previous file`);
        continue;
      }
      closeSync(t.fd);
      t.fd = fd;
    }
  }
}

/** A whole buffer written, however many write() calls that takes; a reader that went away (EPIPE) loses it. */
function writeFully(fd: number, bytes: Buffer, start = 0, end = bytes.length): void {
  for (let off = start; off < end; ) {
    try {
      off += writeSync(fd, bytes, off, end - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      // a pipe someone made non-blocking, full: wait a moment for its reader rather than lose lines
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** Whole lines in writes of at most PIPE_BUF bytes (a longer line alone), so that they reach a pipe unmixed. */
function writeInPieces(fd: number, bytes: Buffer): void {
  for (const [start, end] of pipePieces(bytes)) writeFully(fd, bytes, start, end);
}

/** Where a batch of lines is cut for a pipe: pieces of whole lines, at most `max` bytes unless one line is longer. */
export function pipePieces(bytes: Buffer, max = PIPE_BUF): Array<[number, number]> {
  const pieces: Array<[number, number]> = [];
  for (let start = 0; start < bytes.length; ) {
    let end = bytes.length;
    if (end - start > max) {
      const nl = bytes.lastIndexOf(0x0a, start + max - 1);
      end = nl >= start ? nl + 1 : bytes.indexOf(0x0a, start) + 1 || bytes.length;
    }
    pieces.push([start, end]);
    start = end;
  }
  return pieces;
}
