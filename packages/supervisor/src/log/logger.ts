import { writeSync } from 'node:fs';
import { ctime } from './ctime.js';

/**
 * The master's log. Plain lines are written as they are; `verbose` lines carry
 * uWSGI's `Sat Nov 21 23:29:21 2026 - ` prefix, so the log reads like uWSGI's.
 */
export interface Logger {
  log(line: string): void;
  verbose(line: string): void;
}

/**
 * A logger writing whole lines synchronously to a file descriptor (stderr or the
 * `logto` file); `fd` is read at every line, so a reopened log file takes over at once.
 */
export function fdLogger(fd: number | (() => number)): Logger {
  const target = typeof fd === 'number' ? () => fd : fd;
  const write = (text: string): void => {
    try {
      writeSync(target(), text + '\n');
    } catch {
      // EAGAIN on a full non-blocking pipe, EPIPE when the reader went away (`| tee`, a log shipper
      // restarting), EIO on a closed terminal: the line is lost, never the master, as with uWSGI.
    }
  };
  return {
    log: write,
    verbose: (line) => write(`${ctime(new Date())} - ${line}`),
  };
}

/** A logger that keeps lines in memory, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (l) => lines.push(l), verbose: (l) => lines.push(l) };
}
