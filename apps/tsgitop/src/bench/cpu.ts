/**
 * What tsgitop costs: runs the real bin in a tmux pane against the fake stats server and
 * reads its CPU time from /proc (utime + stime) over a measured window, after a warm-up.
 * Run on demand (Linux, tmux):
 *
 *     node apps/tsgitop/dist/bench/cpu.js [--workers 64] [--seconds 30] [--size 200x60]
 *
 * Prints one line per case: percent of one core, ticks, resident memory; the 4-worker
 * case is the baseline the 64-worker one is compared with.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startFakeServer } from '../testing/fake-server.js';
import { startTsgitop } from '../testing/screen.js';
import { childPids, waitFor } from '../testing/tmux.js';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '64' },
    seconds: { type: 'string', default: '30' },
    size: { type: 'string', default: '200x60' },
  },
});
const workers = Number(values.workers);
const seconds = Number(values.seconds);
const [width, height] = values.size!.split('x').map(Number) as [number, number];
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const WARM_UP_MS = 5000;

interface Measure {
  workers: number;
  cpuPercent: number;
  ticks: number;
  rssMiB: number;
}

/** utime + stime of `pid`, in clock ticks (fields 14 and 15 of /proc/pid/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function measure(workerCount: number): Promise<Measure> {
  const fake = await startFakeServer({ workers: workerCount });
  const session = startTsgitop(width, height, `${fake.address}`);
  try {
    await waitFor('tsgitop shows RPS', 15_000, () => (/RPS: [1-9]/.test(session.capture()) ? true : undefined));
    const [pid] = childPids(Number(session.display('#{pane_pid}')));
    if (!pid) throw new Error('tsgitop process not found');
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    const before = cpuTicks(pid);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const ticks = cpuTicks(pid) - before;
    return { workers: workerCount, ticks, cpuPercent: (ticks / ticksPerSecond / seconds) * 100, rssMiB: rssMiB(pid) };
  } finally {
    session.kill();
    await fake.close();
  }
}

const baseline = await measure(4);
const target = await measure(workers);
for (const result of [baseline, target]) {
  process.stdout.write(
    `tsgitop --frequency 1, ${result.workers} workers, ${width}x${height}, ${seconds} s: ` +
      `${result.cpuPercent.toFixed(2)}% of one core (${result.ticks} ticks), rss ${result.rssMiB.toFixed(0)} MiB\n`,
  );
}
process.stdout.write(`ratio ${workers} / 4 workers: ${(target.cpuPercent / Math.max(baseline.cpuPercent, 1e-9)).toFixed(2)}\n`);
