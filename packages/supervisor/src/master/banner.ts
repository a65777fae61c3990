import os from 'node:os';
import type { TsgiConfig } from '@tsgi/config';
import { ctime } from '../log/ctime.js';
import { VERSION } from '../version.js';
import { somaxconn } from './sockets.js';

/** The start-up banner, in uWSGI's manner, before the sockets are bound. */
export function bannerLines(c: TsgiConfig, cwd: string, now = new Date()): string[] {
  const lines = [
    `*** Starting tsgi ${VERSION} (node ${process.version}, ${os.arch()}) on [${ctime(now)}] ***`,
    `nodename: ${os.hostname()} - machine: ${os.machine()}`,
    `current working directory: ${cwd}`,
    `detected binary path: ${process.execPath}`,
    `your server socket listen backlog is limited to ${c.listen} connections`,
  ];
  const max = somaxconn();
  if (max !== undefined && c.listen > max) {
    lines.push(`*** WARNING: listen = ${c.listen} is above net.core.somaxconn (${max}): the kernel caps it ***`);
  }
  lines.push(`your mercy for graceful operations on workers is ${c.workerReloadMercy} seconds`);
  return lines;
}

/** The banner's second part, after the sockets: what SIGTERM means and the master's pid. */
export function modeLines(c: TsgiConfig): string[] {
  return [
    c.dieOnTerm
      ? 'SIGTERM: graceful shutdown (die-on-term)'
      : 'SIGTERM: brutal reload (uWSGI 2.0 behaviour; set die-on-term = true for a graceful shutdown)',
    '*** Operational MODE: preforking ***',
    `spawned tsgi master process (pid: ${process.pid})`,
  ];
}
