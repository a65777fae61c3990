import { readFileSync, fstatSync } from 'node:fs';

/**
 * Readings from Linux's /proc that Node has no API for: a process's memory
 * (uWSGI reads /proc/self/stat the same way) and the accept-queue depth of a
 * listening socket (uWSGI uses TCP_INFO; /proc/net/tcp's LISTEN rows carry
 * the same number in rx_queue).
 */

const PAGE = 4096;

/** rss and vsz in bytes from /proc/<pid>/stat, or undefined when the process is gone. */
export function readMemory(pid: number): { rss: number; vsz: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // fields after "(comm)": state is field 3; vsize is 23, rss is 24
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { vsz: Number(rest[20]), rss: Number(rest[21]) * PAGE };
}

/** The socket inode of a descriptor, to find its row in /proc/net/tcp. */
export function socketInode(fd: number): number {
  try {
    return fstatSync(fd).ino;
  } catch {
    return 0;
  }
}

/** Accept-queue length by socket inode, from the LISTEN rows of /proc/net/tcp and tcp6. */
export function listenQueues(): Map<number, number> {
  const queues = new Map<number, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    parseListenRows(text, queues);
  }
  return queues;
}

/** Parses `/proc/net/tcp` text; exported for tests. */
export function parseListenRows(text: string, into = new Map<number, number>()): Map<number, number> {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue;
    const rx = parseInt(f[4]!.split(':')[1] ?? '0', 16);
    into.set(Number(f[9]), rx);
  }
  return into;
}
