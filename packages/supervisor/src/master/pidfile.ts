import { closeSync, constants, fchownSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { SupervisorError } from '../errors.js';
import { randomHex } from '../os/random.js';

/** Who should own a file the master creates before it gives up root. */
export interface FileOwner {
  uid: number;
  gid: number;
}

/**
 * Whether `pid` is a running tsgi master, from its `/proc/<pid>/cmdline`: the
 * `supervise` script (or the CLI's `supervise/dist/main.js`, which `daemonize`
 * starts), or the title the master gives itself (`tsgi master`, with any
 * `procname-prefix`). A pid reused by another program, or a pid planted in a
 * pidfile, is not one; neither is a master renamed by `procname-master`.
 */
export function isTsgiMaster(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  const args = cmdline.split('\0').filter(Boolean);
  return args.some((a) => /(^|\/)supervise(\.js|\/dist\/main\.js)?$/.test(a)) || /\btsgi master\b/.test(cmdline);
}

/**
 * The pid a pidfile holds, read without following a symlink (ELOOP: then it
 * names nothing of ours); undefined when there is no readable pid.
 */
function readPid(file: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(32);
    const pid = Number(buf.subarray(0, readSync(fd, buf)).toString('latin1').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // a directory or a device at the path: no pid there
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Refuses to start when the pidfile names another live tsgi master: two masters
 * on one pidfile would make `--stop` and `vacuum` act on the wrong one.
 */
export function refuseLivePidfile(file: string, self: number, handedOverBy?: number): void {
  const pid = readPid(file);
  // an upgrade: the master that started this one hands its pidfile over
  if (pid !== undefined && pid !== self && pid !== handedOverBy && isTsgiMaster(pid)) {
    throw new SupervisorError('TSGI_PIDFILE_LIVE', `pidfile ${file} names a running tsgi master (pid: ${pid}); stop it first, or give this one another pidfile`);
  }
}

/**
 * Writes the master's pid (uWSGI's `pidfile`) so that nothing already at the path
 * is opened: a new file in the same directory, created O_EXCL|O_NOFOLLOW under a
 * random name, then renamed over the path. A symlink planted there is replaced
 * itself, its target is never written (the master is still root here). With
 * `owner`, the file is handed to the user the master drops to, so that the dropped
 * master can still remove it at `vacuum`.
 */
export function writePidfile(file: string, pid: number, owner?: FileOwner, handedOverBy?: number): void {
  refuseLivePidfile(file, pid, handedOverBy);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomHex(6)}`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    throw new SupervisorError('TSGI_PIDFILE_WRITE', `cannot write pidfile ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    try {
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      writeSync(fd, `${pid}\n`);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // the rename may have consumed it, or it was never there: nothing left to remove
    }
    throw new SupervisorError('TSGI_PIDFILE_WRITE', `cannot write pidfile ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Removes the pidfile if it still names this process (`vacuum`); throws what unlink throws but ENOENT. */
export function removePidfile(file: string, pid: number): void {
  if (readPid(file) !== pid) return;
  try {
    unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * `supervise --reload|--stop|--brutal-reload pidfile`: signals the master named
 * in the pidfile, with a clear error when the file or the process is missing, and
 * a refusal when the pid is not a tsgi master (a stale file whose pid was reused,
 * or a pid planted by whoever can write the pidfile's directory: `1` would make
 * --stop reboot the machine).
 */
export function signalPidfile(file: string, signal: NodeJS.Signals): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SupervisorError('TSGI_PIDFILE_MISSING', `cannot read pidfile ${file}: ${code === 'ENOENT' ? 'no such file' : code}`);
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new SupervisorError('TSGI_PIDFILE_INVALID', `pidfile ${file} does not hold a pid (found "${text.trim().slice(0, 40)}")`);
  }
  try {
    process.kill(pid, 0);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SupervisorError(
      'TSGI_NO_SUCH_PROCESS',
      code === 'ESRCH' ? `no process with pid ${pid} (from pidfile ${file}): is the master running?` : `cannot signal pid ${pid}: ${code}`,
    );
  }
  if (!isTsgiMaster(pid)) {
    throw new SupervisorError('TSGI_NOT_A_MASTER', `pid ${pid} (from pidfile ${file}) is not a tsgi master; nothing was signalled (a stale pidfile? a master renamed by procname-master is not recognised)`);
  }
  process.kill(pid, signal);
  return pid;
}
