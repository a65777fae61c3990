import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ByteLine } from '../log/byte-line.js';
import { cachedCtime } from '../log/ctime.js';
import { headerBytes, headerCount, rawHeader } from '../log/headers.js';
import type { Exchange, LineTemplate } from '../log/request-format.js';
import type { RequestLogRules, RequestLogTarget } from '../protocol.js';

/** bytes buffered before a write */
const BATCH = 64 * 1024;
/** the longest a line waits in the buffer */
const FLUSH_MS = 50;
/** bytes of uWSGI's default line besides its text fields, numbers counted at their longest */
const DEFAULT_LINE_BOUND = 400;

/** The constant pieces of uWSGI's default line, between its fields (uwsgiLine spells it out). */
const PIECES = ['/', '] ', ' () {', ' vars in ', ' bytes} [', '] ', ' ', ' => generated ', ' bytes in ', ' (HTTP/', ' ', ') ', ' headers in ', ' bytes (1 switches on core ', ')\n'].map((p) => Buffer.from(p, 'latin1'));
const [SLASH, ADDR, VARS, VARS_IN, BYTES_DATE, DATE_END, SPACE, GENERATED, BYTES_IN, PROTO, STATUS, STATUS_END, HEADERS_IN, CORE, END] = PIECES as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];

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
 * `logformat` and `log-json` replace it (log/request-format.ts, loaded only for them:
 * `RequestLog.open`).
 */
export class RequestLog {
  private readonly out = new ByteLine(Buffer.allocUnsafe(BATCH));
  /** set while a flush is due; a flush because the buffer filled leaves it be (it then finds less to write, or nothing) */
  private timer: NodeJS.Timeout | undefined;
  private readonly due = (): void => {
    this.timer = undefined;
    this.flush();
  };
  private readonly now = cachedCtime();
  private readonly prefix: string;
  private readonly unit: string;
  private readonly prefixBytes: Buffer;
  private readonly unitBytes: Buffer;
  /** the line of a `logformat` or `log-json`; undefined: uWSGI's default line */
  private readonly custom: LineTemplate | undefined;
  /** reused for every line: the hot path allocates no record per request */
  private readonly exchange: Exchange;

  /** A request log with its line: the template compiler is loaded for a `logformat` or `log-json` only. */
  static async open(pid: number, rules: RequestLogRules, write: (bytes: Buffer) => void, wid = 0): Promise<RequestLog> {
    if (!rules.json && !rules.format) return new RequestLog(pid, rules, write, wid);
    const { compileJsonLine, compileLogFormat } = await import('../log/request-format.js');
    const context = { pid, wid, xForwardedFor: rules.xForwardedFor, ...(rules.ftime !== undefined ? { ftime: rules.ftime } : {}) };
    return new RequestLog(pid, rules, write, wid, rules.json ? compileJsonLine(rules.json, context) : compileLogFormat(rules.format!, context));
  }

  /** `custom`: the line of the `logformat` or `log-json` in `rules`, compiled (`open` does it) */
  constructor(
    pid: number,
    private readonly rules: RequestLogRules,
    private readonly write: (bytes: Buffer) => void,
    wid = 0,
    custom?: LineTemplate,
  ) {
    if ((rules.json || rules.format) && !custom) throw new Error('a logformat or log-json needs its compiled line: RequestLog.open makes it');
    this.prefix = `[pid: ${pid}|app: 0|req: `;
    this.unit = rules.micros ? 'micros' : 'msecs';
    this.prefixBytes = Buffer.from(this.prefix, 'latin1');
    this.unitBytes = Buffer.from(` ${this.unit}`, 'latin1');
    this.custom = custom;
    this.exchange = { req: undefined!, res: undefined!, head: '', tx: 0, ms: 0, end: 0, core: 0 };
  }

  /** Records one finished request. `workerReq` counts this process's requests, `slotReq` the slot's. */
  add(req: IncomingMessage, res: ServerResponse, workerReq: number, slotReq: number, tx: number, ms: number, core: number): void {
    const head = (res as unknown as { _header?: string | null })._header ?? '';
    const body = Math.max(0, tx - head.length);
    const rules = this.rules;
    if (!rules.all && !conditionMet(rules, res.statusCode, body, ms)) return;
    if (!this.custom) return this.appendUwsgiLine(req, res, head, body, workerReq, slotReq, ms, core);
    const x = this.exchange;
    x.req = req;
    x.res = res;
    x.head = head;
    x.tx = tx;
    x.ms = ms;
    x.end = performance.timeOrigin + performance.now();
    x.core = core;
    const bytes = this.custom.measure(x);
    x.req = undefined!;
    x.res = undefined!;
    if (bytes > BATCH) return this.append(this.custom.text());
    if (this.out.at + bytes > BATCH) this.flush();
    this.custom.emit(this.out);
    this.timer ??= setTimeout(this.due, FLUSH_MS);
  }

  /** Writes what is buffered; called by the timer, when the buffer is full, and before the worker exits. `write` is done with the bytes when it returns. */
  flush(): void {
    if (this.out.at === 0) return;
    const bytes = this.out.buffer.subarray(0, this.out.at);
    this.out.at = 0;
    this.write(bytes);
  }

  /** uWSGI's default line, written straight into the batch (uwsgiLine is the same line as a string). */
  private appendUwsgiLine(req: IncomingMessage, res: ServerResponse, head: string, body: number, workerReq: number, slotReq: number, ms: number, core: number): void {
    const raw = req.rawHeaders;
    const address = this.address(req);
    const method = req.method ?? '';
    const url = req.url ?? '';
    const bound = DEFAULT_LINE_BOUND + address.length + method.length + url.length + req.httpVersion.length;
    if (bound > BATCH) return this.append(this.uwsgiLine(req, res, head, body, workerReq, slotReq, ms, core));
    if (this.out.at + bound > BATCH) this.flush();
    const o = this.out;
    o.bytes(this.prefixBytes);
    o.number(workerReq);
    o.bytes(SLASH);
    o.number(slotReq);
    o.bytes(ADDR);
    o.text(address);
    o.bytes(VARS);
    o.number(raw.length / 2);
    o.bytes(VARS_IN);
    o.number(headerBytes(raw));
    o.bytes(BYTES_DATE);
    o.text(this.now());
    o.bytes(DATE_END);
    o.text(method);
    o.bytes(SPACE);
    o.text(url);
    o.bytes(GENERATED);
    o.number(body);
    o.bytes(BYTES_IN);
    o.number(Math.floor(this.rules.micros ? ms * 1000 : ms));
    o.bytes(this.unitBytes);
    o.bytes(PROTO);
    o.text(req.httpVersion);
    o.bytes(STATUS);
    o.number(res.statusCode);
    o.bytes(STATUS_END);
    o.number(headerCount(head));
    o.bytes(HEADERS_IN);
    o.number(head.length);
    o.bytes(CORE);
    o.number(core);
    o.bytes(END);
    this.timer ??= setTimeout(this.due, FLUSH_MS);
  }

  private address(req: IncomingMessage): string {
    const forwarded = this.rules.xForwardedFor ? rawHeader(req.rawHeaders, 'x-forwarded-for') : undefined;
    return forwarded ?? req.socket.remoteAddress ?? '-';
  }

  private uwsgiLine(req: IncomingMessage, res: ServerResponse, head: string, body: number, workerReq: number, slotReq: number, ms: number, core: number): string {
    const raw = req.rawHeaders;
    const time = Math.floor(this.rules.micros ? ms * 1000 : ms);
    return (
      `${this.prefix}${workerReq}/${slotReq}] ${this.address(req)} () {${raw.length / 2} vars in ${headerBytes(raw)} bytes} ` +
      `[${this.now()}] ${req.method} ${req.url} => generated ${body} bytes in ${time} ${this.unit} ` +
      `(HTTP/${req.httpVersion} ${res.statusCode}) ${headerCount(head)} headers in ${head.length} bytes (1 switches on core ${core})\n`
    );
  }

  /** The line copied into the batch (written first when it would not fit); a line longer than a batch goes out alone. */
  private append(line: string): void {
    if (this.out.at + line.length > BATCH) this.flush();
    if (line.length > BATCH) return this.write(Buffer.from(line, 'latin1'));
    this.out.text(line);
    this.timer ??= setTimeout(this.due, FLUSH_MS);
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

  /**
   * The files at their paths take over (the master renamed or reopened them). A failure
   * keeps the old file and is tried once more a second later (the path may have been
   * caught between two rotations).
   */
  reopen(again = true): void {
    let failed = false;
    for (const t of this.targets) {
      if (t.path === undefined) continue;
      let fd: number;
      try {
        // never created here: the master has made the new file (as the user it runs as)
        fd = openSync(t.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW);
      } catch (err) {
        this.warn(`cannot open the request log ${t.path} again: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; still writing to the previous file`);
        failed = true;
        continue;
      }
      closeSync(t.fd);
      t.fd = fd;
    }
    if (failed && again) setTimeout(() => this.reopen(false), 1000).unref();
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
