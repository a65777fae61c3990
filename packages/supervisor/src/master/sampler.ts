import pidusage from 'pidusage';
import type { ProcessSample } from '../stats/collect.js';
import { listenQueues, readMemory, socketInode } from './proc.js';
import type { BoundSocket } from './sockets.js';

/** Accept-queue depth of each bound socket, by configured name, from the kernel. */
export function socketQueues(sockets: ReadonlyMap<string, BoundSocket>): Map<string, number> {
  const byInode = listenQueues();
  const out = new Map<string, number>();
  for (const [name, s] of sockets) out.set(name, byInode.get(socketInode(s.fd)) ?? 0);
  return out;
}

/**
 * CPU and memory of each process: pidusage for CPU % (it keeps the previous
 * reading to compute a rate) and rss, /proc for VSZ. A process that is gone
 * is simply left out.
 */
export async function sampleProcesses(pids: number[]): Promise<Map<number, ProcessSample>> {
  const results = await Promise.allSettled(pids.map((pid) => pidusage(pid).then((u) => [pid, u] as const)));
  const samples = new Map<number, ProcessSample>();
  for (const r of results) {
    if (r.status !== 'fulfilled') continue;
    const [pid, u] = r.value;
    samples.set(pid, { cpu: u.cpu, rss: u.memory, vsz: readMemory(pid)?.vsz ?? 0 });
  }
  return samples;
}

/** Forgets pidusage's history (at shutdown). */
export function clearSamples(): void {
  pidusage.clear();
}
