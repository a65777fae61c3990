#!/usr/bin/env node
// max-requests recycling under load, against the same server that never recycles.
//
// supervise with --workers (1) hello-world workers, disable-logging, min-worker-lifetime = 0;
// "recycling" adds max-requests = --max-requests (a recycle every few seconds at this
// machine's rate). --rounds interleaved rounds of `wrk --latency` keep-alive load on each,
// each on a fresh server. With one worker, every recycle used to leave the socket unserved
// for a Node start-up (uWSGI's order: stop at N, then start the replacement); tsgi starts
// the successor about a second ahead and retires the worker once it is ready, so the tail
// latency of the recycling server should stay near the baseline's.
//
// On demand only (never in CI):  node bench/recycle.mjs [--rounds 3] [--workers 1] ...
import path from 'node:path';
import fs from 'node:fs';
import {
  APPS_DIR, RESULTS_DIR, fmtInt, fmtRatio, gitHead, machineInfo, mdTable, median, parseArgs, runMain, sleep,
  startTsgi, textTable, tmpDir, writeResults, wrk,
} from './lib/common.mjs';

const USAGE = `usage: node bench/recycle.mjs [options]

  --workers N         workers (default 1: nobody covers for a recycling worker)
  --max-requests N    max-requests of the recycling server (default 100000: a recycle every few seconds here)
  --rounds N          interleaved rounds, baseline and recycling each (default 3)
  --duration S        measured wrk run (default 15)
  --connections N     wrk keep-alive connections (default 8)
  --out FILE          markdown results (default bench/results/recycle.md; "-" for none)
`;

const opts = parseArgs({ workers: 1, maxRequests: 100000, rounds: 3, duration: 15, connections: 8, out: path.join(RESULTS_DIR, 'recycle.md') }, USAGE);
const HELLO = path.join(APPS_DIR, 'hello.cjs');
const VARIANTS = [
  { key: 'baseline', label: 'no recycling', extra: [] },
  { key: 'recycling', label: `max-requests = ${opts.maxRequests}`, extra: [`max-requests = ${opts.maxRequests}`] },
];

async function runOnce(dir, variant) {
  const server = await startTsgi({
    dir, app: HELLO, workers: opts.workers, logging: false, name: variant.key, extra: ['min-worker-lifetime = 0', ...variant.extra],
  });
  try {
    await sleep(500);
    const r = await wrk(server.port, { seconds: opts.duration, connections: opts.connections, latency: true });
    const log = fs.readFileSync(server.logFile, 'utf8');
    const count = (re) => (log.match(re) ?? []).length;
    return {
      ...r,
      handovers: count(/nears max-requests/g),
      stops: count(/The work of process \d+ is done \(max requests reached/g),
      exits: count(/killed successfully/g),
    };
  } finally {
    await server.stop();
  }
}

async function main() {
  const info = machineInfo();
  const dir = tmpDir('tsgi-bench-recycle-');
  console.log(`recycle: ${opts.workers} worker(s), wrk -t1 -c${opts.connections} -d${opts.duration}s --latency, ${opts.rounds} rounds; ` +
    `${info.nproc} cores shared by wrk and the servers; node ${info.node}; HEAD ${gitHead()}`);
  const runs = { baseline: [], recycling: [] };
  for (let round = 1; round <= opts.rounds; round++) {
    for (const v of round % 2 ? VARIANTS : [...VARIANTS].reverse()) {
      const r = await runOnce(dir, v);
      runs[v.key].push(r);
      console.log(`   round ${round} ${v.label.padEnd(22)} ${fmtInt(r.rps).padStart(8)} req/s  p50 ${r.latency.p50?.toFixed(2)} ms  ` +
        `p99 ${r.latency.p99?.toFixed(2)} ms  max ${r.latencyMax.toFixed(2)} ms  errors ${r.errors}` +
        `${v.key === 'recycling' ? `  recycles: ${r.exits} (successor first ${r.handovers}, stopped at N ${r.stops})` : ''}`);
      await sleep(500);
    }
  }
  const med = (key, f) => median(runs[key].map(f));
  const header = ['', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors', 'recycles (successor first / stopped at N)'];
  const row = (v) => [v.label, fmtInt(med(v.key, (r) => r.rps)), med(v.key, (r) => r.latency.p50).toFixed(2), med(v.key, (r) => r.latency.p90).toFixed(2),
    med(v.key, (r) => r.latency.p99).toFixed(2), med(v.key, (r) => r.latencyMax).toFixed(2), String(runs[v.key].reduce((n, r) => n + r.errors, 0)),
    v.key === 'recycling' ? `${runs.recycling.reduce((n, r) => n + r.exits, 0)} (${runs.recycling.reduce((n, r) => n + r.handovers, 0)} / ${runs.recycling.reduce((n, r) => n + r.stops, 0)})` : '-'];
  const ratio = (f) => fmtRatio(med('recycling', f), med('baseline', f));
  const rows = [...VARIANTS.map(row), ['recycling / baseline', ratio((r) => r.rps), ratio((r) => r.latency.p50), ratio((r) => r.latency.p90),
    ratio((r) => r.latency.p99), ratio((r) => r.latencyMax), '', '']];
  console.log(`\n${textTable(header, rows)}\n(medians over ${opts.rounds} rounds)`);
  if (opts.out !== '-') {
    writeResults(opts.out, [
      '# Recycling (max-requests) under load',
      '',
      `- date: ${info.date}; repository HEAD ${gitHead()}`,
      `- machine: ${info.nproc} cores, ${info.cpu}, ${info.kernel}; node ${info.node}, ${info.wrk}`,
      `- **wrk and the servers share the same ${info.nproc} cores**`,
      `- \`processes = ${opts.workers}\`, \`disable-logging = true\`, \`min-worker-lifetime = 0\`; hello world; ` +
        `\`wrk -t1 -c${opts.connections} -d${opts.duration}s --latency\` (keep-alive); ${opts.rounds} interleaved rounds, a fresh server each`,
      '- "successor first": the worker asked for its successor ahead of max-requests and was retired once it was ready; ' +
        '"stopped at N": it reached max-requests first and stopped accepting, as uWSGI\'s does, before a successor was ready',
      '- command: `node bench/recycle.mjs' + (process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : '') + '`',
      '',
      mdTable(header, rows),
      '',
      'Medians over the rounds; latency percentiles from wrk.',
      '',
    ].join('\n'));
  }
}

await runMain(main);
