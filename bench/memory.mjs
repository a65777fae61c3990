#!/usr/bin/env node
// Memory of the whole process tree, idle and after load: tsgi vs a bare node:cluster vs PM2
// cluster mode, same hello-world handler, same worker count; and a bare `node` serving it
// alone, the floor a worker is measured against. RSS counts shared pages in every process
// that maps them; PSS shares them out, so the tree's PSS is what the tree really costs.
// On demand only (never in CI):  node bench/memory.mjs [--workers 2,16] [--rounds 3] ...
import fs from 'node:fs';
import path from 'node:path';
import {
  runMain, writeResults, RESULTS_DIR, APPS_DIR, descendants, fmtInt, fmtRatio, freePort, machineInfo, mdTable, median,
  parseArgs, sleep, startCluster, startGroup, startPm2, startTsgi, textTable, tmpDir, waitHttp, wrk, gitHead,
} from './lib/common.mjs';

const USAGE = `usage: node bench/memory.mjs [options]

  --workers LIST     worker counts to measure (default 2,16)
  --rounds N         fresh servers per contender and worker count, rotating order (default 3)
  --settle S         idle seconds before the idle reading (default 3)
  --load S           wrk seconds before the loaded reading (default 5)
  --only LIST        comma-separated subset: tsgi,node-cluster,pm2,node
  --out FILE         markdown results (default bench/results/memory.md; "-" for none)
`;

const opts = parseArgs({ workers: '2,16', rounds: 3, settle: 3, load: 5, only: '', out: path.join(RESULTS_DIR, 'memory.md') }, USAGE);
const HANDLER = 'hello.cjs';
const KB = 1024;

/** Rss and Pss of one process, bytes (smaps_rollup: one read per process). */
function memoryOf(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * KB;
    return { rss: field('Rss'), pss: field('Pss') };
  } catch {
    return undefined;
  }
}

/** The tree's reading: the root (master, primary, PM2's daemon) and each descendant. */
function treeMemory(root) {
  const master = memoryOf(root);
  const workers = descendants(root).map(memoryOf).filter(Boolean);
  const sum = (k) => (master?.[k] ?? 0) + workers.reduce((n, w) => n + w[k], 0);
  return { masterRss: master?.rss ?? NaN, masterPss: master?.pss ?? NaN, workerRss: median(workers.map((w) => w.rss)), workers: workers.length, treeRss: sum('rss'), treePss: sum('pss') };
}

/** A bare node process serving the handler alone: what a worker costs at the least. */
async function startBareNode({ dir }) {
  const port = await freePort();
  const code = `require('node:http').createServer(require(${JSON.stringify(path.join(APPS_DIR, HANDLER))})).listen(${port}, '127.0.0.1')`;
  const proc = startGroup(process.execPath, ['-e', code], { logFile: path.join(dir, `node-${port}.log`) });
  await waitHttp(port, { isDead: () => proc.child.exitCode !== null, what: 'bare node' });
  return { port, pid: proc.pid, stop: () => proc.stop('SIGINT', 5000) };
}

const CONTENDERS = [
  { key: 'tsgi', label: 'tsgi', start: (dir, n) => startTsgi({ dir, app: path.join(APPS_DIR, HANDLER), workers: n, logging: true }) },
  { key: 'node-cluster', label: 'node:cluster', start: (dir, n) => startCluster({ dir, handler: HANDLER, workers: n }) },
  {
    key: 'pm2',
    label: 'PM2 cluster mode',
    start: async (dir, n) => {
      const s = await startPm2({ dir, handler: HANDLER, workers: n });
      return { ...s, pid: Number(fs.readFileSync(path.join(s.pm2Home, 'pm2.pid'), 'utf8').trim()) };
    },
  },
  { key: 'node', label: 'bare node (one process)', single: true, start: (dir) => startBareNode({ dir }) },
].filter((c) => !opts.only || opts.only.split(',').includes(c.key));

async function measure(c, dir, workers) {
  const server = await c.start(dir, workers);
  try {
    await sleep(opts.settle * 1000);
    const idle = treeMemory(server.pid);
    await wrk(server.port, { seconds: opts.load, connections: 64 });
    await sleep(2000);
    const loaded = treeMemory(server.pid);
    return { idle, loaded };
  } finally {
    await server.stop();
  }
}

async function main() {
  const info = machineInfo();
  const dir = tmpDir('tsgi-bench-memory-');
  const counts = String(opts.workers).split(',').map(Number);
  const rows = [];
  for (const n of counts) {
    const runs = Object.fromEntries(CONTENDERS.map((c) => [c.key, []]));
    for (let round = 0; round < opts.rounds; round++) {
      for (let i = 0; i < CONTENDERS.length; i++) {
        const c = CONTENDERS[(i + round) % CONTENDERS.length];
        if (c.single && n !== counts[0]) continue;
        const r = await measure(c, dir, n);
        runs[c.key].push(r);
        console.log(`[${n} workers] round ${round + 1} ${c.label.padEnd(24)} idle tree rss ${fmtMb(r.idle.treeRss)} pss ${fmtMb(r.idle.treePss)}  loaded rss ${fmtMb(r.loaded.treeRss)} pss ${fmtMb(r.loaded.treePss)}`);
      }
    }
    const med = (key, when, k) => median(runs[key].map((r) => r[when][k]));
    for (const c of CONTENDERS) {
      if (runs[c.key].length === 0) continue;
      for (const when of ['idle', 'loaded']) {
        rows.push([
          c.single ? '1' : String(n), c.label, when,
          fmtMb(med(c.key, when, 'treeRss')), fmtMb(med(c.key, when, 'treePss')),
          fmtMb(med(c.key, when, 'masterRss')), c.single ? '-' : fmtMb(med(c.key, when, 'workerRss')),
          c.single || !runs['node-cluster']?.length ? '-' : fmtRatio(med(c.key, when, 'treePss'), med('node-cluster', when, 'treePss')),
        ]);
      }
    }
  }
  const header = ['workers', 'contender', 'when', 'tree RSS', 'tree PSS', 'master RSS', 'worker RSS (median)', 'tree PSS vs node:cluster'];
  console.log(textTable(header, rows));
  if (opts.out === '-') return;
  writeResults(opts.out, [
    '# Memory: tsgi vs node:cluster vs PM2 (bench/memory.mjs)',
    '',
    `- date: ${new Date().toISOString()}; HEAD ${gitHead()}`,
    `- machine: ${info.nproc} cores, ${info.cpu}; load average ${info.loadavg}`,
    `- node ${process.version}; the same hello-world handler (bench/apps/${HANDLER}) in every contender, request log on for tsgi`,
    `- each figure is the median of ${opts.rounds} fresh servers; "idle" after ${opts.settle} s, "loaded" 2 s after \`wrk -c64 -d${opts.load}s\``,
    '- tree = the root process (tsgi master, cluster primary, PM2 daemon) and all its descendants; PSS from /proc/<pid>/smaps_rollup',
    `- command: \`node bench/memory.mjs ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'),
    '',
    mdTable(header, rows),
    '',
  ].join('\n'));
}

const fmtMb = (b) => (Number.isFinite(b) ? `${(b / (1024 * 1024)).toFixed(1)} MB` : 'n/a');

runMain(main);
