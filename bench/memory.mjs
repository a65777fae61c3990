#!/usr/bin/env node
// Memory of the whole process tree, idle and after load: tsgi vs a bare node:cluster vs PM2
// cluster mode, same hello-world handler, same worker count; and a bare `node` serving it
// alone, the floor a worker is measured against. RSS counts shared pages in every process
// that maps them; PSS shares them out, so the tree's PSS is what the tree really costs.
// On demand only (never in CI):  node bench/memory.mjs [--workers 2,16] [--rounds 3] ...
import fs from 'node:fs';
import path from 'node:path';
import {
  runMain, writeResults, RESULTS_DIR, APPS_DIR, descendants, freePort, machineInfo, mdTable, median,
  parseArgs, sleep, startCluster, startGroup, startPm2, startTsgi, textTable, tmpDir, waitHttp, wrk, gitHead,
} from './lib/common.mjs';

const USAGE = `usage: node bench/memory.mjs [options]

  --workers LIST     worker counts to measure (default 2,16)
  --rounds N         fresh servers per contender and worker count, rotating order (default 3)
  --settle S         idle seconds, once every worker process exists, before the idle reading (default 5)
  --settled S        seconds, from the same moment, before the settled reading: V8 shrinks an idle
                     heap about 8 s after start-up, in every Node process (default 15; 0: none)
  --load S           wrk seconds before the loaded reading (default 5)
  --only LIST        comma-separated subset: tsgi,tsgi-nolog,node-cluster,pm2,node
  --out FILE         markdown results (default bench/results/memory.md; "-" for none)
`;

const opts = parseArgs({ workers: '2,16', rounds: 3, settle: 5, settled: 15, load: 5, only: '', out: path.join(RESULTS_DIR, 'memory.md') }, USAGE);
const HANDLER = 'hello.cjs';
const KB = 1024;
const MB = 1024 * 1024;

/** Rss, Pss and private anonymous memory (the heaps: what no other process shares) of one process, bytes (smaps_rollup: one read per process). */
function memoryOf(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * KB;
    return { rss: field('Rss'), pss: field('Pss'), anon: field('Anonymous') };
  } catch {
    return undefined;
  }
}

/** The tree's reading: the root (master, primary, PM2's daemon) and each descendant. */
function treeMemory(root) {
  const master = memoryOf(root);
  const workers = descendants(root).map(memoryOf).filter(Boolean);
  const sum = (k) => (master?.[k] ?? 0) + workers.reduce((n, w) => n + w[k], 0);
  return {
    masterRss: master?.rss ?? NaN, masterPss: master?.pss ?? NaN, masterAnon: master?.anon ?? NaN,
    workerRss: median(workers.map((w) => w.rss)), workerAnon: median(workers.map((w) => w.anon)),
    workers: workers.length, treeRss: sum('rss'), treePss: sum('pss'),
  };
}

/** A bare node process serving the handler alone: what a worker costs at the least. */
async function startBareNode({ dir }) {
  const port = await freePort();
  const code = `require('node:http').createServer(require(${JSON.stringify(path.join(APPS_DIR, HANDLER))})).listen(${port}, '127.0.0.1')`;
  const proc = startGroup(process.execPath, ['-e', code], { logFile: path.join(dir, `node-${port}.log`) });
  await waitHttp(port, { isDead: () => proc.child.exitCode !== null, what: 'bare node' });
  return { port, pid: proc.pid, stop: () => proc.stop('SIGINT', 5000) };
}

const tsgi = (logging, name) => (dir, n) => startTsgi({ dir, app: path.join(APPS_DIR, HANDLER), workers: n, logging, name });
const CONTENDERS = [
  { key: 'tsgi', label: 'tsgi (request log on)', start: tsgi(true, 'tsgi') },
  { key: 'tsgi-nolog', label: 'tsgi (disable-logging)', start: tsgi(false, 'tsgi-nolog') },
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

/** Waits (at most 60 s) until the root has `n` descendants: the first answer comes from the first worker ready. */
async function allStarted(root, n) {
  const deadline = Date.now() + 60_000;
  while (descendants(root).length < n && Date.now() < deadline) await sleep(200);
}

async function measure(c, dir, workers) {
  const server = await c.start(dir, workers);
  try {
    await allStarted(server.pid, c.single ? 0 : workers);
    const started = Date.now();
    await sleep(opts.settle * 1000);
    const idle = treeMemory(server.pid);
    let settled;
    if (opts.settled > opts.settle) {
      await sleep(started + opts.settled * 1000 - Date.now());
      settled = treeMemory(server.pid);
    }
    await wrk(server.port, { seconds: opts.load, connections: 64 });
    await sleep(2000);
    const loaded = treeMemory(server.pid);
    return { idle, settled, loaded };
  } finally {
    await server.stop();
  }
}

const WHEN = opts.settled > opts.settle ? ['idle', 'settled', 'loaded'] : ['idle', 'loaded'];
const fmtMb = (b) => (Number.isFinite(b) ? (b / MB).toFixed(1) : 'n/a');
/** "median (min–max)" in MB of one figure over the rounds. */
const spread = (xs) => (xs.length > 1 ? `${fmtMb(median(xs))} (${fmtMb(Math.min(...xs))}–${fmtMb(Math.max(...xs))})` : fmtMb(xs[0]));

/** The targets tsgi is held to, each against a baseline from the same run; one line per target. */
function targets(byCount, counts) {
  const lines = [];
  const node = byCount.get(counts[0])?.node ?? [];
  for (const n of counts) {
    const runs = byCount.get(n);
    const cluster = runs?.['node-cluster'] ?? [];
    for (const key of ['tsgi', 'tsgi-nolog']) {
      const mine = runs?.[key] ?? [];
      if (mine.length === 0 || cluster.length === 0) continue;
      for (const when of WHEN) {
        const m = (rs, k) => median(rs.map((r) => r[when][k]));
        const check = (what, value, limit) => {
          if (!Number.isFinite(value) || !Number.isFinite(limit)) return;
          const over = (value - limit) / MB;
          const verdict = value <= limit ? 'met' : `**not met** (${over.toFixed(over < 0.1 ? 2 : 1)} MB over)`;
          lines.push(`| ${n} | ${key} | ${when} | ${what} | ${fmtMb(value)} | ${fmtMb(limit)} | ${verdict} |`);
        };
        check('tree RSS ≤ node:cluster', m(mine, 'treeRss'), m(cluster, 'treeRss'));
        check('tree PSS ≤ node:cluster', m(mine, 'treePss'), m(cluster, 'treePss'));
        check('master RSS ≤ cluster primary + 3 MB', m(mine, 'masterRss'), m(cluster, 'masterRss') + 3 * MB);
        if (node.length > 0) check('worker RSS ≤ bare node + 3 MB', m(mine, 'workerRss'), m(node, 'masterRss') + 3 * MB);
        check('worker anon ≤ node:cluster worker anon', m(mine, 'workerAnon'), m(cluster, 'workerAnon'));
      }
    }
  }
  return ['| workers | tsgi | when | target | tsgi (median, MB) | limit (MB) | |', '|---|---|---|---|---:|---:|---|', ...lines].join('\n');
}

async function main() {
  const info = machineInfo();
  const dir = tmpDir('tsgi-bench-memory-');
  const counts = String(opts.workers).split(',').map(Number);
  const rows = [];
  const byCount = new Map();
  for (const n of counts) {
    const runs = Object.fromEntries(CONTENDERS.map((c) => [c.key, []]));
    byCount.set(n, runs);
    for (let round = 0; round < opts.rounds; round++) {
      for (let i = 0; i < CONTENDERS.length; i++) {
        const c = CONTENDERS[(i + round) % CONTENDERS.length];
        if (c.single && n !== counts[0]) continue;
        const r = await measure(c, dir, n);
        runs[c.key].push(r);
        const line = (when) => `${when} tree rss ${fmtMb(r[when].treeRss)} pss ${fmtMb(r[when].treePss)} master ${fmtMb(r[when].masterRss)} worker ${fmtMb(r[when].workerRss)}`;
        console.log(`[${n} workers] round ${round + 1} ${c.label.padEnd(24)} ${WHEN.map(line).join('  ')}`);
      }
    }
    const all = (key, when, k) => runs[key].map((r) => r[when][k]);
    const ratio = (key, when) => {
      const base = median(all('node-cluster', when, 'treePss'));
      return runs['node-cluster']?.length ? (median(all(key, when, 'treePss')) / base).toFixed(2) : '-';
    };
    for (const c of CONTENDERS) {
      if (runs[c.key].length === 0) continue;
      for (const when of WHEN) {
        rows.push([
          c.single ? '1' : String(n), c.label, when,
          spread(all(c.key, when, 'treeRss')), spread(all(c.key, when, 'treePss')),
          spread(all(c.key, when, 'masterRss')), spread(all(c.key, when, 'masterAnon')),
          c.single ? '-' : spread(all(c.key, when, 'workerRss')), c.single ? '-' : spread(all(c.key, when, 'workerAnon')),
          c.single ? '-' : ratio(c.key, when),
        ]);
      }
    }
  }
  const header = ['workers', 'contender', 'when', 'tree RSS', 'tree PSS', 'master RSS', 'master anon', 'worker RSS', 'worker anon', 'tree PSS vs node:cluster'];
  console.log(textTable(header, rows));
  const goals = targets(byCount, counts);
  console.log(`\n${goals}`);
  if (opts.out === '-') return;
  writeResults(opts.out, [
    '# Memory: tsgi vs node:cluster vs PM2 (bench/memory.mjs)',
    '',
    `- date: ${new Date().toISOString()}; HEAD ${gitHead()}`,
    `- machine: ${info.nproc} cores, ${info.cpu}; load average ${info.loadavg} at the start, ${machineInfo().loadavg} at the end`,
    `- node ${process.version}; the same hello-world handler (bench/apps/${HANDLER}) in every contender`,
    `- MB (2^20 bytes), median over ${opts.rounds} fresh servers per contender (min–max in brackets); "idle" ${opts.settle} s after every worker process exists${WHEN.includes('settled') ? `, "settled" ${opts.settled} s after it (V8 shrinks an idle heap about 8 s after start-up, in every Node process)` : ''}, "loaded" 2 s after \`wrk -c64 -d${opts.load}s\``,
    '- tree = the root process (tsgi master, cluster primary, PM2 daemon) and all its descendants; worker figures are the median over the workers; from /proc/<pid>/smaps_rollup',
    '- "anon" is the process\'s private anonymous memory (its heaps: V8\'s and malloc\'s); the rest of its RSS is mostly the `node` binary\'s pages, which every Node process on the machine shares and PSS shares out',
    `- command: \`node bench/memory.mjs ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'),
    '',
    mdTable(header, rows),
    '',
    '## Targets',
    '',
    'Each against a baseline measured in the same run; "worker" against the bare node process serving the same handler.',
    '',
    goals,
    '',
  ].join('\n'));
}

runMain(main);
