import { constants, lstatSync, openSync, unlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { SupervisorError } from '../errors.js';

/**
 * `master-fifo` (uWSGI's `core/fifo.c`): a named pipe, mode 0600, where every byte
 * written is one command (`r`, `R`, `q`, `Q`, `s`, `+`, `-` …). It is opened
 * read-write so that it never reaches end-of-file when writers come and go.
 */
export function openMasterFifo(path: string, onCommand: (command: string) => void): { close(): void } {
  let existing;
  try {
    existing = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // only a fifo a previous run left is replaced: a regular file or a link planted there is someone's, never removed
  if (existing && !existing.isFIFO()) {
    throw new SupervisorError('TSGI_FIFO_FAILED', `cannot create master-fifo ${path}: something else is there (${existing.isSymbolicLink() ? 'a symlink' : 'not a fifo'}); it was left alone`);
  }
  if (existing) unlinkSync(path);
  // Node has no mkfifo(); coreutils' is on every Linux this runs on.
  const r = spawnSync('mkfifo', ['-m', '600', path]);
  if (r.status !== 0) {
    throw new SupervisorError('TSGI_FIFO_FAILED', `cannot create master-fifo ${path}: ${String(r.stderr || r.error)}`);
  }
  // O_NOFOLLOW: a link swapped in after mkfifo is not opened
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  const socket = new net.Socket({ fd, readable: true, writable: false });
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    for (const ch of chunk) if (ch !== '\n' && ch !== '\r') onCommand(ch);
  });
  socket.on('error', () => socket.destroy());
  return {
    close: () => {
      socket.destroy();
      try {
        unlinkSync(path);
      } catch {
        // removed by someone else
      }
    },
  };
}
