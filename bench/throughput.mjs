#!/usr/bin/env node
// Hello-world throughput: tsgi (request log on and off) vs a bare node:cluster (SCHED_NONE)
// vs PM2 cluster mode, same handler, same worker count, same wrk load, interleaved rounds.
// On demand only (never in CI):  node bench/throughput.mjs [--workers 2] [--rounds 5] ...
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  runMain,
  writeResults,
  RESULTS_DIR, fmtInt, fmtRatio, machineInfo, mdTable, median, parseArgs, runCleanups,
  sleep, startCluster, startPm2, startTsgi, textTable, tmpDir, wrk, APPS_DIR,
} from './lib/common.mjs';

const USAGE = `usage: node bench/throughput.mjs [options]

  --workers N        worker processes for every contender (default 2)
  --rounds N         interleaved rounds; each round runs every contender once, in
                     rotating order (default 5)
  --duration S       measured wrk run, seconds (default 10)
  --warmup S         unmeasured wrk run before it, seconds (default 2)
  --connections N    wrk keep-alive connections (default 64)
  --threads N        wrk threads (default 1)
  --only LIST        comma-separated subset: tsgi,tsgi-nolog,tsgi-condlog,tsgi-logformat,tsgi-json,
                     node-cluster,pm2
  --out FILE         markdown results (default bench/results/throughput.md; "-" for none)
`;

const opts = parseArgs({
  workers: 2, rounds: 5, duration: 10, warmup: 2, connections: 64, threads: 1, only: '',
  out: path.join(RESULTS_DIR, 'throughput.md'),
}, USAGE);

const HANDLER = 'hello.cjs';
// Apache's "combined" log format in uWSGI's variables
const COMBINED = '%(addr) - %(user) [%(ltime)] "%(method) %(uri) %(proto)" %(status) %(size) "%(referer)" "%(uagent)"';
const CONTENDERS = [
  { key: 'tsgi', label: 'tsgi (request log on)', start: (dir) => startTsgi({ dir, app: path.join(APPS_DIR, HANDLER), workers: opts.workers, logging: true, name: 'tsgi' }) },
  { key: 'tsgi-nolog', label: 'tsgi (disable-logging)', start: (dir) => startTsgi({ dir, app: path.join(APPS_DIR, HANDLER), workers: opts.workers, logging: false, name: 'tsgi-nolog' }) },
  { key: 'tsgi-condlog', label: 'tsgi (disable-logging + log-5xx, log-slow)', start: (dir) => startTsgi({ dir, app: path.join(APPS_DIR, HANDLER), workers: opts.workers, logging: false, name: 'tsgi-condlog', extra: ['log-5xx = true', 'log-slow = 500'] }) },
  { key: 'tsgi-logformat', label: 'tsgi (logformat: Apache combined)', start: (dir) => startTsgi({ dir, app: path.join(APPS_DIR, HANDLER), workers: opts.workers, logging: true, name: 'tsgi-logformat', extra: [`logformat = ${COMBINED}`] }) },
  { key: 'tsgi-json', label: 'tsgi (log-json = true)', start: (dir) => startTsgi({ dir, app: path.join(APPS_DIR, HANDLER), workers: opts.workers, logging: true, name: 'tsgi-json', extra: ['log-json = true'] }) },
  { key: 'node-cluster', label: 'node:cluster SCHED_NONE', start: (dir) => startCluster({ dir, handler: HANDLER, workers: opts.workers }) },
  { key: 'pm2', label: 'PM2 cluster mode', start: (dir) => startPm2({ dir, handler: HANDLER, workers: opts.workers }) },
].filter((c) => !opts.only || opts.only.split(',').includes(c.key));
if (CONTENDERS.length === 0) throw new Error(`--only ${opts.only}: no contender left`);

const runWrk = (port, seconds) => wrk(port, { seconds, connections: opts.connections, threads: opts.threads });

async function main() {
  const info = machineInfo();
  const dir = tmpDir('tsgi-bench-throughput-');
  const results = Object.fromEntries(CONTENDERS.map((c) => [c.key, []]));
  const notes = [];
  const totalRuns = opts.rounds * CONTENDERS.length;
  console.log(`throughput: ${CONTENDERS.length} contenders x ${opts.rounds} rounds, ${opts.workers} workers, ` +
    `wrk -t${opts.threads} -c${opts.connections} -d${opts.duration}s (+${opts.warmup}s warm-up); ` +
    `${info.nproc} cores shared by wrk and the servers`);
  let n = 0;
  for (let round = 0; round < opts.rounds; round++) {
    const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]);
    for (const c of order) {
      n++;
      let server;
      try {
        server = await c.start(dir);
        if (opts.warmup > 0) await runWrk(server.port, opts.warmup);
        const r = await runWrk(server.port, opts.duration);
        results[c.key].push({ round: round + 1, ...r });
        const err = r.errors ? `  errors ${r.errors} (non-2xx ${r.non2xx}, socket ${JSON.stringify(r.socket)})` : '';
        console.log(`[${n}/${totalRuns}] round ${round + 1} ${c.key.padEnd(12)} ${fmtInt(r.rps).padStart(8)} req/s  latency avg ${r.latencyAvg}${err}`);
        if (r.errors) notes.push(`round ${round + 1}, ${c.key}: ${r.errors} errors (non-2xx ${r.non2xx}, socket ${JSON.stringify(r.socket)})`);
      } catch (e) {
        console.log(`[${n}/${totalRuns}] round ${round + 1} ${c.key}: FAILED: ${e.message}`);
        notes.push(`round ${round + 1}, ${c.key}: run failed: ${e.message}`);
      } finally {
        if (server) await server.stop();
      }
      await sleep(500); // let the sockets and CPU settle between runs
    }
  }

  const summary = CONTENDERS.map((c) => {
    const rs = results[c.key];
    const rps = rs.map((r) => r.rps).filter(Number.isFinite);
    return {
      ...c,
      runs: rs.length,
      median: median(rps),
      min: rps.length ? Math.min(...rps) : NaN,
      max: rps.length ? Math.max(...rps) : NaN,
      errors: rs.reduce((s, r) => s + r.errors, 0),
      perRound: rs.map((r) => r.rps),
    };
  });
  const base = summary.find((s) => s.key === 'node-cluster')?.median;
  const pm2 = summary.find((s) => s.key === 'pm2')?.median;
  // Paired ratio: contender / node:cluster within the same round, median over rounds.
  // Less sensitive than the ratio of medians to a machine whose speed drifts between rounds.
  const paired = (key, against = 'node-cluster', spread = false) => {
    const rs = [];
    for (const r of results[key]) {
      const b = results[against]?.find((x) => x.round === r.round);
      if (b && b.rps > 0 && Number.isFinite(r.rps)) rs.push(r.rps / b.rps);
    }
    if (!rs.length) return 'n/a';
    return spread ? `${median(rs).toFixed(3)} (${Math.min(...rs).toFixed(3)}..${Math.max(...rs).toFixed(3)})` : median(rs).toFixed(2);
  };
  const header = ['contender', 'median req/s', 'min', 'max', 'vs node:cluster', 'vs PM2', 'paired vs node:cluster', 'paired vs tsgi log off (min..max)', 'errors', 'runs'];
  const rows = summary.map((s) => [s.label, fmtInt(s.median), fmtInt(s.min), fmtInt(s.max),
    fmtRatio(s.median, base), fmtRatio(s.median, pm2), paired(s.key), s.key.startsWith('tsgi') ? paired(s.key, 'tsgi-nolog', true) : '-', String(s.errors), String(s.runs)]);
  console.log(`\n${textTable(header, rows)}\n`);
  for (const note of notes) console.log(`note: ${note}`);

  if (opts.out !== '-') {
    const md = [
      '# Throughput: hello world, tsgi vs node:cluster vs PM2',
      '',
      `- date: ${info.date}`,
      `- machine: ${info.nproc} cores (\`nproc\`), ${info.cpu}, ${info.kernel}; load average ${info.loadavg} ` +
        `at the start, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end (1/5/15 min)`,
      `- node ${info.node}, ${info.wrk}, pm2 ${info.pm2}`,
      `- ${opts.workers} workers per contender; \`wrk -t${opts.threads} -c${opts.connections} -d${opts.duration}s\` ` +
        `(keep-alive) after a ${opts.warmup} s warm-up; ${opts.rounds} interleaved rounds, rotating order; ` +
        'each run starts the server fresh on an ephemeral 127.0.0.1 port',
      `- **the load generator and the servers share the same ${info.nproc} cores**: absolute figures are low ` +
        'and noisy; read the ratios, not the req/s',
      '- command: `node bench/throughput.mjs' + (process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : '') + '`',
      '',
      mdTable(header, rows),
      '',
      '"vs node:cluster" is the row\'s median req/s divided by node:cluster\'s median, "vs PM2" divided by ' +
        'PM2\'s median (1.00 = as fast; 0.90 = 10 % fewer requests per second; 1.50 = 50 % more); "paired vs tsgi log off" is the ' +
        'median over the rounds of the row\'s req/s over tsgi with disable-logging in the same round: what the request log costs. ' +
        '"errors" sums wrk\'s non-2xx responses and socket errors (connect, read, write, timeout) over all rounds.',
      '',
      '## Per round (req/s)',
      '',
      mdTable(['contender', ...Array.from({ length: opts.rounds }, (_, i) => `round ${i + 1}`)],
        summary.map((s) => [s.label, ...Array.from({ length: opts.rounds }, (_, i) => {
          const r = results[s.key].find((x) => x.round === i + 1);
          return r ? fmtInt(r.rps) : 'failed';
        })])),
      '',
      ...(notes.length ? ['## Notes', '', ...notes.map((x) => `- ${x}`), ''] : []),
    ].join('\n');
    writeResults(opts.out, md);
  }
}

await runMain(main);
