import { isAbsolute, resolve } from 'node:path';

/**
 * A configured path (pidfile, fifo, touch file, spool directory, unix socket)
 * resolved against `cwd`: the master's directory, or `chdir` for what the
 * workers and spoolers load.
 */
export function resolvePath(cwd: string, p: string): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}
