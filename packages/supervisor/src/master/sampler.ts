import pidusage from 'pidusage';
import { listenQueues, readMemory, socketInode, type ProcessSample } from '../os/proc.js';
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

/**
 * CPU and memory of each process: pidusage for CPU % (it keeps the previous
 * reading to compute a rate) and rss, /proc for VSZ. A process that is gone
 * is simply left out. One pidusage call for all: it reads /proc/uptime once
 * per call, not once per process (and, the first time, runs getconf twice,
 * not twice per process).
 */
export async function sampleProcesses(pids: number[]): Promise<Map<number, ProcessSample>> {
  const samples = new Map<number, ProcessSample>();
  if (pids.length === 0) return samples;
  let usage: Record<string, pidusage.Status | undefined>;
  try {
    // a copy: pidusage rewrites the array it is given
    usage = await pidusage([...pids]);
  } catch {
    return samples; // only when no process could be read
  }
  for (const pid of pids) {
    const u = usage[pid];
    if (u === undefined || u === null) continue;
    samples.set(pid, { cpu: u.cpu, rss: u.memory, vsz: readMemory(pid)?.vsz ?? 0 });
  }
  return samples;
}

/** Forgets pidusage's history (at shutdown). */
export function clearSamples(): void {
  pidusage.clear();
}
