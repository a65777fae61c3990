import { closeSync, existsSync, fstatSync, renameSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { FileOwner } from '../master/pidfile.js';
import { ctime } from './ctime.js';
import { openLogFile } from './log-file.js';

/** Where the master writes log lines: a file it may rotate and reopen, or a stream (stderr). */
export interface LogSink {
  /** What it is, for messages: the path, or `stderr`. */
  readonly name: string;
  /** Writes whole lines, done with `bytes` when it returns; false when a stream asks the writers to wait ('drain'). */
  write(bytes: Buffer): boolean;
  /** Opens the file again by its path (logrotate moved it away); nothing for a stream. */
  reopen(): void;
  /** Renames the file and opens a new one (log-maxsize, touch-logrotate); nothing for a stream. */
  rotate(): void;
  close(): void;
}

/** What a file sink needs besides its path. */
export interface FileSinkOptions {
  /** rotate once the file passes this many bytes; 0: never */
  maxsize: number;
  /** the name a rotation renames the file to (overwritten each time); absent: `<path>.<unix seconds>` */
  backupname?: string;
  /** who owns the files it creates, when the master drops privileges */
  owner?: FileOwner;
  /** the mode every open gives the file (`logfile-chmod`) */
  mode?: number;
  /** the wall clock, ms */
  now: () => number;
  /** a line about the sink itself (a failed rotation), for the master's log */
  note: (line: string) => void;
  /** after a rotation or a reopen: the workers, which write request lines here themselves, open the path again */
  moved?: () => void;
}

/**
 * A log file the master rotates and reopens. Every write to it, the master's and the
 * workers' (request lines, appended in whole batches), is whole lines, so a rotation
 * never cuts one, and a line is written once, to the file before or after the rename:
 * none is lost or doubled. Rotation follows uWSGI's (core/logging.c uwsgi_log_do_rotate):
 * a note in the old file, rename, then a fresh file at the path; reopen follows its
 * uwsgi_log_reopen (a note in each file). Workers then open the path again themselves.
 */
export class FileSink implements LogSink {
  private fd: number;
  /** a rotation that failed is tried again from this time on, not at every write */
  private retryAt = 0;
  private maxsize: number;

  constructor(
    readonly name: string,
    private readonly o: FileSinkOptions,
    fd?: number,
  ) {
    this.fd = fd ?? openLogFile(name, o.owner, o.mode);
    this.maxsize = o.maxsize;
  }

  /** log-maxsize as a reload set it. */
  setMaxsize(bytes: number): void {
    this.maxsize = bytes;
  }

  /** Whether it rotates by size. */
  get sized(): boolean {
    return this.maxsize > 0;
  }

  /** The descriptor of the file (for children that write to it themselves). */
  get descriptor(): number {
    return this.fd;
  }

  write(bytes: Buffer): boolean {
    writeFully(this.fd, bytes);
    if (this.maxsize > 0) this.checkSize();
    return true;
  }

  /** log-maxsize: a file past the size is rotated (after the master's writes, and a few times a second for the workers'). */
  checkSize(): void {
    if (this.maxsize <= 0) return;
    // fstat: the workers append to the file too
    if (sizeOf(this.fd) > this.maxsize && this.o.now() >= this.retryAt) this.rotate();
  }

  rotate(): void {
    const target = this.o.backupname ?? this.freeName();
    writeFully(this.fd, Buffer.from(`${ctime(new Date(this.o.now()))} - logsize: ${sizeOf(this.fd)}, triggering rotation to ${target}...\n`));
    try {
      renameSync(this.name, target);
    } catch (err) {
      // the file stays where it is and keeps growing: nothing is lost, and a write a second later tries again
      this.retryAt = this.o.now() + 1000;
      return this.o.note(`unable to rotate log ${this.name}: rename(): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!this.swap()) this.retryAt = this.o.now() + 1000;
    this.o.moved?.();
  }

  reopen(): void {
    writeFully(this.fd, Buffer.from(`[${Math.floor(this.o.now() / 1000)}] logsize: ${sizeOf(this.fd)}, triggering log-reopen...\n`));
    if (!this.swap()) return;
    this.write(Buffer.from(`[${Math.floor(this.o.now() / 1000)}] ${this.name} reopened.\n`));
    this.o.moved?.();
  }

  close(): void {
    closeSync(this.fd);
  }

  /** The file at the path takes over; on failure the old one stays (a line is never dropped for it). */
  private swap(): boolean {
    let fd: number;
    try {
      fd = openLogFile(this.name, this.o.owner, this.o.mode);
    } catch (err) {
      this.o.note(`*** cannot open the log file ${this.name} anew: ${(err as Error).message}; still writing to the previous one ***`);
      return false;
    }
    const old = this.fd;
    this.fd = fd;
    closeSync(old);
    return true;
  }

  /**
   * uWSGI's `<file>.<unix seconds>`; a second rotation within the same second gets `.1`,
   * `.2`, … rather than overwriting the first (a rename would, silently).
   */
  private freeName(): string {
    const base = `${this.name}.${Math.floor(this.o.now() / 1000)}`;
    if (!existsSync(base)) return base;
    for (let n = 1; ; n++) if (!existsSync(`${base}.${n}`)) return `${base}.${n}`;
  }
}

/**
 * The master's stderr (no `logto`: a terminal, journald, docker). Written through the
 * stream, never around it: once Node has made a pipe non-blocking, a direct write would
 * fail with EAGAIN when the reader is slow, and lose the line, or overtake queued ones.
 */
export class StreamSink implements LogSink {
  /** the reader went away: lines are dropped, and nobody waits for a 'drain' that will not come */
  private broken = false;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly stream: Writable,
  ) {
    // a reader that went away (`| head`, a log shipper restarting) costs lines, never the master
    const broken = (): void => {
      this.broken = true;
      for (const then of this.waiting.splice(0)) then();
    };
    stream.on('error', broken);
    stream.on('close', broken);
  }

  write(bytes: Buffer): boolean {
    if (this.broken || this.stream.destroyed) return true;
    // a copy: a pipe may write it later, and the caller reuses its buffer
    return this.stream.write(Buffer.from(bytes));
  }

  /** Calls `then` once the stream has written what it holds (or is broken). */
  onDrain(then: () => void): void {
    if (this.broken) return then();
    this.waiting.push(then);
    this.stream.once('drain', () => {
      const i = this.waiting.indexOf(then);
      if (i !== -1) this.waiting.splice(i, 1)[0]!();
    });
  }

  /** Resolves once what the stream holds is written, or after `ms`. */
  flushed(ms: number): Promise<void> {
    if (this.broken || this.stream.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.onDrain(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  reopen(): void {}
  rotate(): void {}
  close(): void {}
}

function sizeOf(fd: number): number {
  try {
    return fstatSync(fd).size;
  } catch {
    return 0;
  }
}

/** A whole buffer written to a file, however many write() calls that takes. */
function writeFully(fd: number, bytes: Buffer): void {
  for (let off = 0; off < bytes.length; ) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch {
      // ENOSPC, EIO: the line is lost, never the master, as with uWSGI (which ignores write errors)
      return;
    }
  }
}
