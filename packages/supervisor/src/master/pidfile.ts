import { readFileSync, writeFileSync, unlinkSync } from 'node:fs';
import { SupervisorError } from '../errors.js';

/** Writes the master's pid (uWSGI's `pidfile`). */
export function writePidfile(path: string, pid: number): void {
  writeFileSync(path, `${pid}\n`);
}

/** Removes the pidfile if it still names this process (`vacuum`). */
export function removePidfile(path: string, pid: number): void {
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === pid) unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * `supervise --reload|--stop|--brutal-reload pidfile`: signals the master named
 * in the pidfile, with a clear error when the file or the process is missing.
 */
export function signalPidfile(path: string, signal: NodeJS.Signals): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SupervisorError('TSGI_PIDFILE_MISSING', `cannot read pidfile ${path}: ${code === 'ENOENT' ? 'no such file' : code}`);
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new SupervisorError('TSGI_PIDFILE_INVALID', `pidfile ${path} does not hold a pid (found "${text.trim().slice(0, 40)}")`);
  }
  try {
    process.kill(pid, signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SupervisorError(
      'TSGI_NO_SUCH_PROCESS',
      code === 'ESRCH' ? `no process with pid ${pid} (from pidfile ${path}): is the master running?` : `cannot signal pid ${pid}: ${code}`,
    );
  }
  return pid;
}
