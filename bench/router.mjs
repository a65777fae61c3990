#!/usr/bin/env node
// The `http` router against the kernel's accept (`http-socket`) and node:cluster's
// round-robin primary (a Node master handing off each connection, like the router),
// same app, same run: wrk with Connection: close clients (new connections: what a
// router decides on), alone, then beside clients looping on a CPU-bound request.
// Several rounds, the contenders interleaved; medians and spreads (min-max) of req/s,
// p99 latency, and the master's CPU per request (what handing off costs).
// --master-args '--cpu-prof --cpu-prof-dir=/tmp/prof': node flags for tsgi's master.
import http from 'node:http';
import path from 'node:path';
import { APPS_DIR, RESULTS_DIR, cpuSnapshot, foreignCpu, freePort, gitHead, machineInfo, mdTable, median, parseArgs, parseWrk, run, runMain, serverJiffies, sleep, startCluster, startTsgi, tmpDir, writeResults } from './lib/common.mjs';

const USAGE = `usage: node bench/router.mjs [--workers 4] [--seconds 5] [--rounds 3] [--connections 8] [--slow-clients 2] [--only 'http router'] [--master-args '...']\n`;
const o = parseArgs({ workers: 4, seconds: 5, rounds: 3, connections: 8, slowClients: 2, only: '', masterArgs: '' }, USAGE);
const APP = path.join(APPS_DIR, 'router-app.cjs');

/** wrk on `/` with Connection: close, with `slow` clients looping on `/cpu` meanwhile; `master` pid for its CPU. */
async function measure(port, slow, master) {
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
  const [cpu0, j0] = [cpuSnapshot(), serverJiffies(master)];
  const r = await run('wrk', args, { timeoutMs: (o.seconds + 30) * 1000 });
  const [cpu1, j1] = [cpuSnapshot(), serverJiffies(master)];
  stop = true;
  await Promise.all(loops);
  if (r.code !== 0) throw new Error(`wrk ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  const p = parseWrk(r.stdout);
  // jiffies are 10 ms of CPU
  const perRequest = (jiffies) => (jiffies * 10_000) / Math.max(1, p.requests);
  const masterUs = perRequest(j1.master - j0.master);
  const serverUs = perRequest(j1.master + j1.workers - j0.master - j0.workers);
  return { rps: p.rps, p50: p.latency.p50, p99: p.latency.p99, errors: p.errors, slowDone, masterUs, serverUs, others: foreignCpu(cpu0, cpu1) };
}

await runMain(async () => {
  const info = machineInfo();
  const dir = tmpDir('tsgi-router-bench-');
  // the last one only on demand (--only): the master's CPU first does not help on these cores (bench/results/router.md)
  const contenders = ['http-socket', 'http router', 'node:cluster RR', 'http router + worker-prio 5'].filter((c) => (o.only ? c === 'http-socket' || o.only.split(',').includes(c) : !c.includes('worker-prio')));
  const start = async (name) => {
    if (name === 'node:cluster RR') return startCluster({ dir, handler: 'router-app.cjs', workers: o.workers, sched: 'rr' });
    const routerPort = await freePort();
    const router = name.startsWith('http router');
    const nodeArgs = router && o.masterArgs ? o.masterArgs.split(' ') : [];
    // worker-prio: the workers' nice value above the master's, so that the router gets its CPU on saturated cores
    const extra = router ? [`http = 127.0.0.1:${routerPort}`, ...(name.endsWith('worker-prio 5') ? ['worker-prio = 5'] : [])] : [];
    const t = await startTsgi({ dir, app: APP, workers: o.workers, name: name.replace(/\W+/g, '-'), extra, nodeArgs });
    return router ? { ...t, port: routerPort } : t;
  };
  const rows = [['fast requests only', 0], [`same + ${o.slowClients} clients looping on /cpu`, o.slowClients]];
  const got = new Map();
  for (let round = 1; round <= o.rounds; round++) {
    for (const name of contenders) {
      const t = await start(name);
      await sleep(500);
      for (const [row, slow] of rows) {
        const m = await measure(t.port, slow, t.pid);
        console.log(`round ${round} ${name} | ${row}: ${Math.round(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, errors ${m.errors}, slow requests ${m.slowDone}, master ${Math.round(m.masterUs)} µs/request, server ${Math.round(m.serverUs)} µs/request, other load ${Math.round(m.others)} %`);
        const key = `${row}\u0000${name}`;
        got.set(key, [...(got.get(key) ?? []), m]);
      }
      await t.stop();
    }
  }
  const spread = (xs, f) => `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`;
  const table = [];
  for (const [row, slow] of rows) {
    const base = median(got.get(`${row}\u0000http-socket`).map((m) => m.rps));
    for (const name of contenders) {
      const ms = got.get(`${row}\u0000${name}`);
      const rps = ms.map((m) => m.rps);
      table.push([
        row,
        name,
        spread(rps, Math.round),
        (median(rps) / base).toFixed(2),
        spread(ms.map((m) => m.p50), (x) => x.toFixed(1)),
        spread(ms.map((m) => m.p99), (x) => x.toFixed(1)),
        spread(ms.map((m) => m.masterUs), Math.round),
        slow ? '-' : spread(ms.map((m) => m.serverUs), Math.round),
        String(median(ms.map((m) => m.slowDone))),
        String(ms.reduce((n, m) => n + m.errors, 0)),
      ]);
    }
  }
  const md = [
    `# http router vs http-socket and node:cluster's round-robin primary (${new Date().toISOString()}, ${gitHead()})`,
    '',
    (({ nproc, cpu, kernel, node, loadavg, wrk }) => `${nproc} cores (${cpu}), ${kernel}, Node ${node}, load average ${loadavg} at the start, ${wrk}`)(info),
    '',
    `\`node bench/router.mjs --workers ${o.workers} --seconds ${o.seconds} --rounds ${o.rounds} --connections ${o.connections} --slow-clients ${o.slowClients}\`; medians of ${o.rounds} rounds (min-max); ` +
      `load from other processes during the runs: ${spread([...got.values()].flat().map((m) => m.others), Math.round)} % of one core. ` +
      'master µs/request: CPU time of the master (tsgi) or primary (node:cluster) per fast request answered; ' +
      'server µs/request: the same for the master and its workers together (fast requests only: beside /cpu it would count the spinning); /cpu done: the slow clients\' requests in the run.',
    '',
    mdTable(['load', 'contender', 'req/s', 'vs http-socket', 'p50 ms', 'p99 ms', 'master µs/request', 'server µs/request', '/cpu done', 'errors'], table),
    '',
  ].join('\n');
  console.log(md);
  writeResults(path.join(RESULTS_DIR, 'router.md'), md);
});
