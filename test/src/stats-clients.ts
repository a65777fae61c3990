/**
 * Clients of the stats servers for the e2e tests, and what they measure of the master.
 */
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Everything a connection receives until EOF, after sending `send` (nothing: what `nc`
 * and uwsgitop do with a dump socket); rejects after `ms`.
 */
export function readToEof(target: net.NetConnectOpts, send = '', ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(target, () => {
      if (send) s.write(send);
    });
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (data += d));
    s.on('end', () => resolve(data));
    s.on('error', reject);
    s.setTimeout(ms, () => s.destroy(new Error('stats read timed out')));
  });
}

/** Open descriptors of a process. */
export const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** VmRSS of a process, bytes. */
export function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}
