/**
 * Reading a file the configuration names (an ini file, an `@(file)`) without blocking and
 * within a size cap: a FIFO would block the master for ever (it re-reads the configuration
 * on every reload) and `/dev/zero` would never end. The file is opened non-blocking and
 * checked with fstat, so what is checked is what is read.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { kindOf } from './paths.js';

/** The text, or why there is none: `errno` when it cannot be opened or read, `rejected` when it is not a regular file or too big. */
export type BoundedRead = { ok: true; text: string } | { ok: false; errno: string } | { ok: false; rejected: string };

/** Read `file` (absolute) as UTF-8 if it is a regular file of at most `maxBytes`; `limit` is that cap for messages ("64 KiB"). */
export function readBounded(file: string, maxBytes: number, limit: string): BoundedRead {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return { ok: false, errno: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, rejected: `is ${kindOf(stat)}, not a regular file` };
    if (stat.size > maxBytes) return { ok: false, rejected: `is ${stat.size} bytes, more than ${limit}` };
    // one byte more than allowed tells a file that grew since fstat
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > maxBytes) return { ok: false, rejected: `is more than ${limit}` };
    return { ok: true, text: buffer.toString('utf8', 0, length) };
  } catch (err) {
    return { ok: false, errno: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  } finally {
    closeSync(fd);
  }
}
