import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { fstatSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { parseLogTarget, type LogTarget, type TsgiConfig } from '@tsgi/config';
import type { FileOwner } from '../master/pidfile.js';
import { TouchWatcher } from '../master/touch.js';
import { ctime } from './ctime.js';
import { LineAssembler } from './lines.js';
import type { Logger } from './logger.js';
import { marked, type MasterMessage, type RequestLogTarget } from '../protocol.js';
import { readPipe } from './pipe-reader.js';
import { LinePrefixes } from './prefix.js';
import { FileSink, StreamSink, type LogSink } from './sink.js';

/**
 * How the master's children log: the contract between the processes that spawn children
 * (workers, spoolers) and the log master. Absent, children inherit the master's stderr
 * and write it themselves.
 */
export interface ChildLogs {
  /**
   * Where a worker writes its request lines itself: descriptors of the master's to hand it
   * (the `fd`s are the master's; the spawner renumbers them as the child's).
   */
  requestTargets(): RequestLogTarget[];
  /** Reads a child spawned with pipes as fd 1 and 2; a worker (`writesRequests`) also hears of rotations. */
  adopt(child: ChildProcess, who: { wid: number; writesRequests?: boolean }): void;
  /** fifo `l`, touch-logreopen, log-reopen: every log file opened anew by its path. */
  reopen(why: string): void;
  /** A reload read the config again: its line heads, rotation and touch files apply from now on. */
  reloaded(cfg: TsgiConfig): void;
  /** The main log file's descriptor, for a process that writes there itself (an upgrade's new master). */
  fd(): number | undefined;
}

/** What the log master is built from. */
export interface LogMasterOptions {
  cfg: TsgiConfig;
  /** the `logto` (or `daemonize`) file; absent: stderr */
  logto: string | undefined;
  /** who owns the files it creates after a privilege drop */
  owner?: FileOwner;
  /** where `stdio` and a missing logto write; default process.stderr */
  stderr?: Writable;
  now?: () => number;
  /** how often touch files and (with log-maxsize) file sizes are looked at; default 1 s, 250 ms with log-maxsize */
  tickMs?: number;
}

/** How often the sizes of files with a log-maxsize are looked at (uWSGI: once a second). */
const SIZE_CHECK_MS = 250;

/** One child's pipe being read (once its reader is set up), with what heads its lines. */
interface Source {
  reader?: Readable;
  wid: number;
  pid: number;
}

/**
 * The master's side of the log. The workers' and spoolers' stdout and stderr come to it
 * through pipes, and it writes them (and its own lines) as whole lines, with their heads
 * (`logdate`, `log-prefix`), so an app's output can be rotated and reopened without
 * restarting anything, as with uWSGI's log-master. Request lines, the bulk of the log,
 * are written by the workers themselves in whole batches to the same files (a hop
 * through the master would wake it for every batch); the master rotates the files
 * (`log-maxsize`, `touch-logrotate`) and reopens them (fifo `l`, `touch-logreopen`,
 * `log-reopen`), then tells the workers to open the paths again. No line is cut, lost or
 * written twice: each is written once, before or after the rename. Request lines go to
 * `req-logger` targets, everything else to `logger` targets; both default to `logto` or
 * stderr.
 */
export class LogMaster implements ChildLogs {
  /** The master's own lines. */
  readonly logger: Logger;
  private prefixes: LinePrefixes;
  private readonly main: LogSink;
  private readonly server: LogSink[];
  private readonly requests: LogSink[];
  private readonly files = new Map<string, FileSink>();
  /** files whose logger value sets its own maxsize: a reload's log-maxsize leaves them */
  private readonly ownMaxsize = new Set<FileSink>();
  private readonly stderr: StreamSink;
  private readonly sources = new Set<Source>();
  /** workers that write request lines: told when the files move */
  private readonly writers = new Set<ChildProcess>();
  /** the master's stderr descriptor, when `stderr` is its process.stderr */
  private readonly stderrFd: number | undefined;
  private readonly ended = new Set<() => void>();
  private congested = false;
  /** every pipe is read into this one buffer: a chunk is copied to the files before the next read */
  private readonly buffer = Buffer.allocUnsafe(64 * 1024);
  private touches: TouchWatcher<'rotate' | 'reopen'>;
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number | undefined;
  /** a `reopen-log` is due to the workers (sent once for files moved together) */
  private tellWorkers = false;
  private readonly now: () => number;
  private cfg: TsgiConfig;

  constructor(o: LogMasterOptions) {
    this.now = o.now ?? Date.now;
    this.cfg = o.cfg;
    this.prefixes = new LinePrefixes(o.cfg);
    this.stderr = new StreamSink('stderr', o.stderr ?? process.stderr);
    this.stderrFd = o.stderr === undefined || o.stderr === process.stderr ? 2 : undefined;
    const note = (line: string): void => this.logger.log(line);
    const moved = (): void => this.filesMoved();
    const file = (target: Extract<LogTarget, { kind: 'file' }>, backupname?: string): FileSink => {
      const full = path.resolve(target.path);
      let sink = this.files.get(full);
      if (!sink) {
        const backup = target.backupname ?? backupname;
        sink = new FileSink(target.path, { maxsize: target.maxsize ?? o.cfg.logMaxsize, ...(backup ? { backupname: backup } : {}), ...(o.owner ? { owner: o.owner } : {}), ...(o.cfg.logfileChmod !== undefined ? { mode: o.cfg.logfileChmod } : {}), now: this.now, note, moved });
        this.files.set(full, sink);
        if (target.maxsize !== undefined) this.ownMaxsize.add(sink);
      }
      return sink;
    };
    const sink = (value: string): LogSink => {
      const target = parseLogTarget(value);
      // the config was checked at load; a value that does not parse here cannot happen
      if (!target.ok) throw new Error(target.reason);
      return target.value.kind === 'stdio' ? this.stderr : file(target.value);
    };
    this.main = o.logto === undefined ? this.stderr : file({ kind: 'file', path: o.logto }, o.cfg.logBackupname);
    this.server = o.cfg.logger.length > 0 ? unique(o.cfg.logger.map(sink)) : [this.main];
    this.requests = o.cfg.reqLogger.length > 0 ? unique(o.cfg.reqLogger.map(sink)) : this.server;
    this.logger = this.masterLogger();
    this.touches = touchWatchers(o.cfg);
    this.tickMs = o.tickMs;
    this.startTicking();
  }

  requestTargets(): RequestLogTarget[] {
    return this.requests.flatMap((sink): RequestLogTarget[] => {
      if (sink instanceof FileSink) return [{ fd: sink.descriptor, path: sink.name }];
      // a custom stderr (tests) has no descriptor to hand over: its request lines are lost to it
      if (this.stderrFd === undefined) return [];
      return [{ fd: this.stderrFd, ...(isRegularFile(this.stderrFd) ? {} : { pipe: true }) }];
    });
  }

  adopt(child: ChildProcess, who: { wid: number; writesRequests?: boolean }): void {
    const pid = child.pid ?? 0;
    for (const stream of [child.stdout, child.stderr]) if (stream) this.read(stream, { wid: who.wid, pid });
    if (who.writesRequests) {
      this.writers.add(child);
      child.once('exit', () => this.writers.delete(child));
    }
  }

  reopen(why: string): void {
    this.logger.log(`*** ${why}: reopening the log files ***`);
    for (const sink of this.files.values()) sink.reopen();
    this.sendReopen();
  }

  /** Every log file renamed and started anew (touch-logrotate). */
  rotate(why: string): void {
    this.logger.log(`*** ${why}: rotating the log files ***`);
    for (const sink of this.files.values()) sink.rotate();
    this.sendReopen();
  }

  reloaded(cfg: TsgiConfig): void {
    const before = this.cfg;
    this.cfg = cfg;
    this.prefixes = new LinePrefixes(cfg);
    this.touches = touchWatchers(cfg);
    for (const sink of this.files.values()) if (!this.ownMaxsize.has(sink)) sink.setMaxsize(cfg.logMaxsize);
    this.startTicking();
    if (String([before.logto, before.daemonize, before.logger, before.reqLogger]) !== String([cfg.logto, cfg.daemonize, cfg.logger, cfg.reqLogger])) {
      this.logger.log('the log targets (logto, logger, req-logger) changed: they take effect at the next start or upgrade, not on a reload');
    }
    if (cfg.logReopen) this.reopen('log-reopen on reload');
  }

  fd(): number | undefined {
    return this.main instanceof FileSink ? this.main.descriptor : undefined;
  }

  /**
   * Once the children are gone, what they wrote is read to the end (bounded: a grandchild
   * of the app may hold a pipe open) and stderr has written what it holds.
   */
  async close(timeoutMs = 2000): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const deadline = this.now() + timeoutMs;
    while (this.sources.size > 0 && this.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(1, deadline - this.now()));
        this.ended.add(done);
        function done(): void {
          clearTimeout(t);
          resolve();
        }
      });
    }
    await this.stderr.flushed(Math.max(0, deadline - this.now()));
  }

  /**
   * touch-logreopen and touch-logrotate, once a second as uWSGI's master cycle looks at
   * them; with log-maxsize, the sizes of the files the workers append to, four times a second.
   */
  private tick(): void {
    for (const { file, asks } of this.touches.check()) {
      if (asks === 'rotate') this.rotate(`${file} has been touched`);
      else this.reopen(`${file} has been touched`);
    }
    for (const sink of this.files.values()) sink.checkSize();
    this.sendReopen();
  }

  private startTicking(): void {
    clearInterval(this.timer);
    const sized = [...this.files.values()].some((f) => f.sized);
    this.timer = setInterval(() => this.tick(), this.tickMs ?? (sized ? SIZE_CHECK_MS : 1000));
    this.timer.unref();
  }

  /** A file moved (rotated or reopened): the workers are told once the current step is over. */
  private filesMoved(): void {
    this.tellWorkers = true;
    setImmediate(() => this.sendReopen());
  }

  private sendReopen(): void {
    if (!this.tellWorkers) return;
    this.tellWorkers = false;
    const m: MasterMessage = { t: 'reopen-log' };
    for (const child of this.writers) {
      try {
        if (child.connected) child.send(marked(m));
      } catch {
        // a worker exiting as it is told: the file it would reopen is of no more use to it
      }
    }
  }

  private masterLogger(): Logger {
    const head = (): string => this.prefixes.forProcess(0, process.pid, this.now)();
    return {
      log: (line) => this.write(this.server, Buffer.from(`${head()}${line}\n`)),
      // uWSGI's verbose lines always carry a date: logdate's, or ctime's
      verbose: (line) => this.write(this.server, Buffer.from(`${this.prefixes.dated ? '' : `${ctime(new Date(this.now()))} - `}${head()}${line}\n`)),
    };
  }

  /** Copies one child pipe's whole lines, each with its head, to the server's log. */
  private read(pipe: Readable, source: Source): void {
    let heads = this.prefixes;
    let head = heads.forProcess(source.wid, source.pid, this.now);
    const prefix = (): string => {
      if (heads !== this.prefixes) [heads, head] = [this.prefixes, this.prefixes.forProcess(source.wid, source.pid, this.now)];
      return head();
    };
    const lines = new LineAssembler((bytes) => this.write(this.server, bytes), prefix);
    this.sources.add(source);
    source.reader = readPipe(pipe, this.buffer, (chunk) => lines.push(chunk), () => {
      lines.end();
      this.sources.delete(source);
      for (const done of this.ended) done();
      this.ended.clear();
    });
    if (this.congested) source.reader.pause();
  }

  private write(sinks: readonly LogSink[], bytes: Buffer): void {
    let full = false;
    for (const sink of sinks) full = !sink.write(bytes) || full;
    if (full && !this.congested) {
      // stderr is a slow pipe: the children wait (their writes block) rather than the master's memory growing
      this.congested = true;
      for (const s of this.sources) s.reader?.pause();
      this.stderr.onDrain(() => {
        this.congested = false;
        for (const s of this.sources) s.reader?.resume();
      });
    }
  }
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

function touchWatchers(cfg: TsgiConfig): TouchWatcher<'rotate' | 'reopen'> {
  return new TouchWatcher([
    ...cfg.touchLogrotate.map((f) => [f, 'rotate'] as const),
    ...cfg.touchLogreopen.map((f) => [f, 'reopen'] as const),
  ]);
}
