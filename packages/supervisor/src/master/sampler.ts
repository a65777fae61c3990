import { CLOCK_TICKS, listenQueues, readStat, socketInode, type ProcessSample } from '../os/proc.js';
import type { BoundSocket } from './sockets.js';

/**
 * Accept-queue depth of each bound TCP socket, by configured name, from the
 * kernel (unix sockets have no reading there and are left out).
 */
export async function socketQueues(sockets: ReadonlyMap<string, BoundSocket>): Promise<Map<string, number>> {
  const inodeOf = new Map<string, number>();
  for (const [name, s] of sockets) {
    if (s.kind !== 'tcp') continue;
    let inode = inodes.get(s);
    if (inode === undefined) {
      inode = socketInode(s.fd);
      inodes.set(s, inode);
    }
    if (inode > 0) inodeOf.set(name, inode);
  }
  const out = new Map<string, number>();
  if (inodeOf.size === 0) return out;
  const byInode = await listenQueues(new Set(inodeOf.values())).catch(() => new Map<number, number>());
  for (const [name, inode] of inodeOf) out.set(name, byInode.get(inode) ?? 0);
  return out;
}

/** a bound socket's inode never changes: one fstat per socket, not one per second */
const inodes = new WeakMap<BoundSocket, number>();

/** The previous reading of each process, for its CPU rate: ticks, and when (ms, monotonic). */
const previous = new Map<number, { ticks: number; at: number }>();

/**
 * CPU and memory of each process, one read of /proc/<pid>/stat each (what
 * uWSGI reads too). CPU is a rate, percent of one core since the previous
 * reading of that process; a process's first reading shows 0. A process that
 * is gone is simply left out, and forgotten; so is one without an address space
 * (half-way through exec, or a zombie), whose RSS would read 0.
 */
export async function sampleProcesses(pids: number[], now = monotonicMs()): Promise<Map<number, ProcessSample>> {
  const samples = new Map<number, ProcessSample>();
  const seen = new Set<number>();
  for (const pid of pids) {
    const s = readStat(pid);
    // no address space: a process between fork and exec, or exiting (a zombie); its figures are zeros, not a reading
    if (!s || s.vsz === 0) continue;
    seen.add(pid);
    const before = previous.get(pid);
    const seconds = before ? (now - before.at) / 1000 : 0;
    const cpu = before && seconds > 0 ? (Math.max(0, s.ticks - before.ticks) / CLOCK_TICKS / seconds) * 100 : 0;
    previous.set(pid, { ticks: s.ticks, at: now });
    samples.set(pid, { cpu, rss: s.rss, vsz: s.vsz });
  }
  // a gone process is forgotten, so a pid the kernel hands out again starts afresh
  for (const pid of previous.keys()) if (!seen.has(pid)) previous.delete(pid);
  return samples;
}

function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6;
}

/** Forgets the previous readings (at shutdown). */
export function clearSamples(): void {
  previous.clear();
}
