import { readFileSync, fstatSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Readings from Linux's /proc that Node has no API for: a process's memory
 * (uWSGI reads /proc/self/stat the same way) and the accept-queue depth of a
 * listening socket (uWSGI uses TCP_INFO; /proc/net/tcp's LISTEN rows carry
 * the same number in rx_queue).
 */

const PAGE = 4096;

/**
 * A process reading the master takes about once a second (master/sampler.ts,
 * from readStat), read by the memory limits and shown in the stats.
 */
export interface ProcessSample {
  rss: number;
  vsz: number;
  /** percent of one core */
  cpu: number;
}

/**
 * The kernel's clock ticks per second in /proc (USER_HZ): 100 on every Linux
 * architecture Node runs on, a fixed part of the kernel's ABI.
 */
export const CLOCK_TICKS = 100;

/** What one read of /proc/<pid>/stat gives: memory in bytes, CPU time in clock ticks. */
export interface ProcStat {
  rss: number;
  vsz: number;
  /** user + system time of the process itself (not of its waited-for children) */
  ticks: number;
}

/** rss, vsz and CPU ticks from /proc/<pid>/stat, or undefined when the process is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // fields after "(comm)", which may hold spaces: state is field 3; utime 14, stime 15, vsize 23, rss 24
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { vsz: Number(rest[20]), rss: Number(rest[21]) * PAGE, ticks: Number(rest[11]) + Number(rest[12]) };
}

/** rss and vsz in bytes from /proc/<pid>/stat, or undefined when the process is gone. */
export function readMemory(pid: number): { rss: number; vsz: number } | undefined {
  const s = readStat(pid);
  return s && { rss: s.rss, vsz: s.vsz };
}

/** The socket inode of a descriptor, to find its row in /proc/net/tcp. */
export function socketInode(fd: number): number {
  try {
    return fstatSync(fd).ino;
  } catch {
    return 0;
  }
}

/**
 * Accept-queue length of the listening sockets whose inodes are asked, from
 * the LISTEN rows of /proc/net/tcp, then tcp6 for those not found there.
 * Read off the main thread, a page at a time, stopping where the LISTEN rows
 * end: the kernel lists listening sockets first, and the rest of the file is
 * every connection of the host, whose hash table walk costs milliseconds of
 * kernel time (2.3 ms on an idle 2-core host, ~20 ms under load) that would
 * otherwise delay every stats dump and signal behind it.
 */
export async function listenQueues(inodes: ReadonlySet<number>): Promise<Map<number, number>> {
  const queues = new Map<number, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (queues.size === inodes.size) break;
    await readListenRows(file, inodes, queues);
  }
  return queues;
}

async function readListenRows(file: string, inodes: ReadonlySet<number>, into: Map<number, number>): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return; // no IPv6, or no /proc
  }
  try {
    const buf = Buffer.allocUnsafe(PROC_CHUNK);
    let carry = '';
    let header = true;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      const text = carry + buf.toString('latin1', 0, bytesRead);
      const end = text.lastIndexOf('\n') + 1;
      carry = text.slice(end);
      const rows = header ? text.slice(text.indexOf('\n') + 1, end) : text.slice(0, end);
      header = false;
      if (parseListenRows(rows, into, inodes) || into.size === inodes.size) return;
    }
  } finally {
    await handle.close();
  }
}

const PROC_CHUNK = 16 * 1024;

/**
 * Parses rows of `/proc/net/tcp` (no header) into `into`, inode → rx_queue,
 * keeping only the asked inodes (every LISTEN row without `inodes`). Returns
 * true at the first row that is not LISTEN: the listening part has ended.
 * Exported for tests.
 */
export function parseListenRows(rows: string, into = new Map<number, number>(), inodes?: ReadonlySet<number>): boolean {
  let at = 0;
  while (at < rows.length) {
    let nl = rows.indexOf('\n', at);
    if (nl < 0) nl = rows.length;
    const f = rows.slice(at, nl).trim().split(/\s+/);
    at = nl + 1;
    if (f.length < 10) continue;
    if (f[3] !== '0A') return true;
    const inode = Number(f[9]);
    if (!inodes || inodes.has(inode)) into.set(inode, parseInt(f[4]!.split(':')[1] ?? '0', 16));
  }
  return false;
}
