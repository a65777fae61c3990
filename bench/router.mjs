#!/usr/bin/env node
// The `http` router against the kernel's accept (`http-socket`), same app, same run:
// wrk with Connection: close clients (new connections: what a router decides on),
// alone, then beside clients looping on a CPU-bound request. Several rounds, the
// contenders interleaved; medians and spreads (min-max) of req/s and p99 latency.
import http from 'node:http';
import path from 'node:path';
import { APPS_DIR, RESULTS_DIR, freePort, gitHead, machineInfo, mdTable, median, parseArgs, parseWrk, run, runMain, sleep, startTsgi, tmpDir, writeResults } from './lib/common.mjs';

const USAGE = `usage: node bench/router.mjs [--workers 4] [--seconds 5] [--rounds 3] [--connections 8] [--slow-clients 2]\n`;
const o = parseArgs({ workers: 4, seconds: 5, rounds: 3, connections: 8, slowClients: 2 }, USAGE);
const APP = path.join(APPS_DIR, 'router-app.cjs');

/** wrk on `/` with Connection: close, with `slow` clients looping on `/cpu` meanwhile. */
async function measure(port, slow) {
  let stop = false;
  let slowDone = 0;
  const one = () => new Promise((resolve) => http.get({ host: '127.0.0.1', port, path: '/cpu', agent: false }, (res) => res.resume().on('end', resolve)).on('error', resolve));
  const loops = Array.from({ length: slow }, async () => {
    while (!stop) {
      await one();
      slowDone++;
    }
  });
  await sleep(200);
  const args = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '-H', 'Connection: close', `http://127.0.0.1:${port}/`];
  const r = await run('wrk', args, { timeoutMs: (o.seconds + 30) * 1000 });
  stop = true;
  await Promise.all(loops);
  if (r.code !== 0) throw new Error(`wrk ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  const p = parseWrk(r.stdout);
  return { rps: p.rps, p99: p.latency.p99, errors: p.errors, slowDone };
}

await runMain(async () => {
  const info = machineInfo();
  const dir = tmpDir('tsgi-router-bench-');
  const contenders = ['http-socket', 'http router'];
  const rows = [['fast requests only', 0], [`same + ${o.slowClients} clients looping on /cpu`, o.slowClients]];
  const got = new Map();
  for (let round = 1; round <= o.rounds; round++) {
    for (const name of contenders) {
      const routerPort = await freePort();
      const t = await startTsgi({ dir, app: APP, workers: o.workers, name: name.replace(' ', '-'), extra: name === 'http router' ? [`http = 127.0.0.1:${routerPort}`] : [] });
      await sleep(500);
      for (const [row, slow] of rows) {
        const m = await measure(name === 'http router' ? routerPort : t.port, slow);
        console.log(`round ${round} ${name} | ${row}: ${Math.round(m.rps)} req/s, p99 ${m.p99} ms, errors ${m.errors}, slow requests ${m.slowDone}`);
        const key = `${row}\u0000${name}`;
        got.set(key, [...(got.get(key) ?? []), m]);
      }
      await t.stop();
    }
  }
  const spread = (xs, f) => `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`;
  const table = [];
  for (const [row] of rows) {
    const base = median(got.get(`${row}\u0000http-socket`).map((m) => m.rps));
    for (const name of contenders) {
      const ms = got.get(`${row}\u0000${name}`);
      const rps = ms.map((m) => m.rps);
      table.push([row, name, spread(rps, Math.round), (median(rps) / base).toFixed(2), spread(ms.map((m) => m.p99), (x) => x.toFixed(1)), String(ms.reduce((n, m) => n + m.errors, 0))]);
    }
  }
  const md = [
    `# http router vs http-socket (${new Date().toISOString()}, ${gitHead()})`,
    '',
    (({ nproc, cpu, kernel, node, loadavg, wrk }) => `${nproc} cores (${cpu}), ${kernel}, Node ${node}, load average ${loadavg} at the start, ${wrk}`)(info),
    '',
    `\`node bench/router.mjs --workers ${o.workers} --seconds ${o.seconds} --rounds ${o.rounds} --connections ${o.connections} --slow-clients ${o.slowClients}\`; medians of ${o.rounds} rounds (min-max)`,
    '',
    mdTable(['load', 'contender', 'req/s', 'vs http-socket', 'p99 ms', 'errors'], table),
    '',
  ].join('\n');
  console.log(md);
  writeResults(path.join(RESULTS_DIR, 'router.md'), md);
});
