import { constants, fchmodSync, fchownSync, openSync } from 'node:fs';
import { SupervisorError } from '../errors.js';
import type { FileOwner } from '../master/pidfile.js';
import { fileOwner, resolveDropTarget } from '../master/privileges.js';

/**
 * Opens a `logto`/`daemonize` file for appending without following a symlink at
 * its path: the CLI opens it as root, before the drop, in a directory the app user
 * may own, and a planted link would have root append request lines to any file.
 * With `owner` (and while still root) the file is handed to the user the master
 * drops to, so that a log reopen (fifo `l`) works after the drop. With `mode`
 * (`logfile-chmod`) the file gets that mode, as uWSGI chmods it at every open.
 */
export function openLogFile(file: string, owner?: FileOwner, mode?: number): number {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SupervisorError('TSGI_LOGTO', `cannot open log file ${file}: ${code === 'ELOOP' ? 'it is a symlink, which is never followed' : code}`);
  }
  if (owner && process.geteuid?.() === 0) fchownSync(fd, owner.uid, owner.gid);
  if (mode !== undefined) {
    try {
      fchmodSync(fd, mode);
    } catch (e) {
      throw new SupervisorError('TSGI_LOGTO', `cannot set the mode of log file ${file} to ${mode.toString(8)} (logfile-chmod): ${(e as NodeJS.ErrnoException).code}`);
    }
  }
  return fd;
}

/** Who should own the log files of a config with `uid`/`gid`; undefined without a drop. */
export function logOwner(uid: string | undefined, gid: string | undefined): FileOwner | undefined {
  return fileOwner(resolveDropTarget(uid, gid));
}
