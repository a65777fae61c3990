#!/usr/bin/env node
// Issue 4: cheaper mode and idle, measured.
//
//  (a) reaction: supervise with processes = 4, cheaper = 1, cheaper-overload = 1, for
//      cheaper-algo = spare and busyness. An overload starts (spare: many concurrent slow
//      requests, /sleep, so every worker always has one in flight; busyness: a CPU-heavy
//      handler, /spin); the time from its start to the first response served by a new worker
//      pid is the reaction time. --reps times per algorithm on the same server, each after
//      the server is back to one worker and a cool-down; the median is printed. The master's
//      log gives the split: decision ("cheaper: spawning worker"), worker ready.
//  (b) wake-up: processes = 2, idle = 1. Once every slot is `cheap` in the stats (and the old
//      worker processes are gone), one request is timed from connect to full response;
//      --reps times; median and max, against the same request on warm workers (baseline).
//  (c) ramp: processes = 4, cheaper = 1, max-requests = 500 (recycling on), a keep-alive
//      load ramping 1 -> 8 -> 64 -> 8 -> 1 connections; every request that does not end in a
//      200 with the expected body is counted by code. The stats are read every 250 ms to show
//      the worker counts over time.
//
// The app is apps/cheaper-app.mjs: `/`, `/sleep?ms=`, `/spin?ms=`, each answering with the
// worker's pid. On demand only (never in CI):  node bench/cheaper.mjs [--reps 5] ...
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readStats } from '../packages/stats-protocol/dist/index.js';
import {
  LogTail,
  oddLines,
  pct,
  fmtCodes,
  gitHead,
  runMain,
  cpuSnapshot,
  foreignCpu,
  fmtCpu,
  APPS_DIR, RESULTS_DIR, ROOT, descendants, fmtInt, freePort, isAlive, machineInfo, mdTable, median, parseArgs,
  runCleanups, sleep, startTsgi, textTable, tmpDir,
} from './lib/common.mjs';

const USAGE = `usage: node bench/cheaper.mjs [options]

 (a) reaction time
  --reps N                 repetitions per algorithm, and of the wake-up (default 5)
  --algos LIST             cheaper algorithms to time (default spare,busyness)
  --sleep-ms N             spare's overload: /sleep?ms=N requests (default 100)
  --spare-concurrency N    concurrent /sleep request loops, a new connection each (default 24)
  --spin-ms N              busyness's overload: /spin?ms=N requests (default 20)
  --busy-concurrency N     concurrent /spin request loops, a new connection each (default 4)
  --reaction-timeout S     give up on one repetition after S seconds (default 30)
  --cooldown S             pause once back to one worker, before the next overload (default 3)
  --settle-timeout S       bound on waiting to be back to one worker (default 120)
 (b) wake-up
  --wake-settle MS         pause after every slot shows cheap, before the request (default 1000)
  --warm-requests N        baseline requests on warm workers after each wake-up (default 5)
 (c) ramp
  --ramp LIST              connections:seconds phases (default 1:5,8:5,64:5,8:5,1:5)
  --ramp-algo NAME         cheaper-algo of the ramp (default busyness, tsgi's default)
  --ramp-path PATH         request path of the ramp (default /)
  --max-requests N         (default 500)
  --min-worker-lifetime S  (default 0, so max-requests recycles within the seconds of a
                           phase; tsgi's default is 10)
  --tail S                 keep reading the stats S seconds after the load (default 10)
 common
  --only LIST              reaction,wake,ramp (default all)
  --keep-logs              keep the servers' logs (their directory is printed)
  --max-foreign PCT        note a measurement during which processes outside this benchmark
                           (builds, tests) used more than PCT % of a core (default 10)
  --out FILE               markdown results (default bench/results/cheaper.md; "-" for none)
`;

const opts = parseArgs({
  reps: 5, algos: 'spare,busyness', sleepMs: 100, spareConcurrency: 24, spinMs: 20, busyConcurrency: 4,
  reactionTimeout: 30, cooldown: 3, settleTimeout: 120,
  wakeSettle: 1000, warmRequests: 5,
  ramp: '1:5,8:5,64:5,8:5,1:5', rampAlgo: 'busyness', rampPath: '/', maxRequests: 500, minWorkerLifetime: 0, tail: 10,
  only: '', keepLogs: false, maxForeign: 10,
  out: path.join(RESULTS_DIR, 'cheaper.md'),
}, USAGE);
const parts = opts.only ? opts.only.split(',') : ['reaction', 'wake', 'ramp'];
for (const p of parts) if (!['reaction', 'wake', 'ramp'].includes(p)) throw new Error(`--only: unknown part ${p}`);
const ALGOS = opts.algos.split(',').filter(Boolean);
for (const a of ALGOS) if (!['spare', 'busyness', 'backlog'].includes(a)) throw new Error(`--algos: unknown ${a}`);
const RAMP = opts.ramp.split(',').map((p) => {
  const [c, s] = p.split(':').map(Number);
  if (!(c >= 1 && s > 0)) throw new Error(`--ramp: bad phase ${p} (connections:seconds)`);
  return { connections: c, seconds: s };
});

const APP = path.join(APPS_DIR, 'cheaper-app.mjs');
const BODY = /^hello from worker (\S+) \(pid (\d+)\)\n$/;

// ---------------------------------------------------------------- clients
/**
 * One HTTP request, timed with perf_hooks from the request's creation (connect) to the end
 * of the response. agent false: a new connection, `Connection: close`. Never rejects:
 * resolves { ok, status, pid, ms, connectMs, end, code? }.
 */
function request(port, urlPath, { agent = false, timeoutMs = 10_000 } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let tConnect = NaN;
    let settled = false;
    const done = (r) => {
      if (settled) return;
      settled = true;
      const end = performance.now();
      resolve({ ...r, ms: end - t0, connectMs: tConnect - t0, end });
    };
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        if (res.statusCode !== 200) return done({ ok: false, code: `HTTP_${res.statusCode}`, status: res.statusCode, message: body.slice(0, 100) });
        const m = body.match(BODY);
        if (!m) return done({ ok: false, code: 'BAD_BODY', status: 200, message: body.slice(0, 100) });
        done({ ok: true, status: 200, pid: Number(m[2]), worker: m[1] });
      });
      res.on('error', (e) => done({ ok: false, code: e.code ?? 'RESPONSE_ERROR', message: e.message }));
      res.on('close', () => { if (!res.complete) done({ ok: false, code: 'RESPONSE_ABORTED', message: 'response aborted' }); });
    });
    req.on('socket', (s) => {
      if (s.connecting) s.once('connect', () => { tConnect = performance.now(); });
      else tConnect = performance.now(); // a reused keep-alive connection
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (e) => done({ ok: false, code: e.code ?? 'REQUEST_ERROR', message: e.message }));
  });
}

/** The stats document; throws when unreachable or not a document. */
const readDoc = (port) => readStats(`127.0.0.1:${port}`, { timeoutMs: 5000 });

const running = (doc) => doc.workers.filter((w) => w.pid > 0);
const draining = (doc) => doc.tsgi?.draining?.length ?? 0;

/** Bounded poll of the stats until `check(doc)` holds; returns { ok, ms, doc, last }. */
async function waitStats(port, check, timeoutMs, everyMs = 100) {
  const t0 = Date.now();
  let doc;
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    try {
      doc = await readDoc(port);
      last = `${running(doc).length} running (${doc.workers.map((w) => w.status).join(',')}), ${draining(doc)} draining`;
      if (check(doc)) return { ok: true, ms: Date.now() - t0, doc, last };
    } catch (e) {
      last = e.message;
    }
    await sleep(everyMs);
  }
  return { ok: false, ms: Date.now() - t0, doc, last };
}


const countLines = (logFile, re) => {
  try { return fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => re.test(l)).length; } catch { return 0; }
};

// ---------------------------------------------------------------- other processes' CPU

// ---------------------------------------------------------------- numbers
const ms0 = (x) => (Number.isFinite(x) ? String(Math.round(x)) : 'n/a');
const ms1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const finite = (xs) => xs.filter(Number.isFinite);


// ---------------------------------------------------------------- (a) reaction
/** One overload until a worker pid not in `before` answers (or the timeout). */
async function overload(port, algo, before, tail) {
  const urlPath = algo === 'busyness' ? `/spin?ms=${opts.spinMs}` : `/sleep?ms=${opts.sleepMs}`;
  const concurrency = algo === 'busyness' ? opts.busyConcurrency : opts.spareConcurrency;
  const rec = { urlPath, concurrency, ok: 0, failed: 0, byCode: {}, decisionMs: NaN, readyMs: NaN, servedMs: NaN, newPid: 0, startupMs: NaN, spawned: [], algoLines: [] };
  const c0 = cpuSnapshot();
  const t0 = performance.now();
  let loading = true;
  const watch = (lines) => {
    const now = performance.now() - t0;
    for (const l of lines) {
      if (/\[(spare|busyness|backlog)\]/.test(l) && rec.algoLines.length < 6) rec.algoLines.push(l.replace(/^.* - (?=\[)/, ''));
      let m = l.match(/cheaper: spawning worker (\d+)/);
      if (m) { if (!Number.isFinite(rec.decisionMs)) rec.decisionMs = now; rec.spawned.push(Number(m[1])); }
      m = l.match(/ready in (\d+) ms on worker (\d+) \(pid: (\d+)\)/);
      if (m && !Number.isFinite(rec.readyMs)) { rec.readyMs = now; rec.startupMs = Number(m[1]); rec.readyPid = Number(m[3]); }
    }
  };
  const loops = Array.from({ length: concurrency }, async () => {
    while (loading) {
      const r = await request(port, urlPath);
      if (r.ok) {
        rec.ok++;
        if (!before.has(r.pid) && !rec.newPid) { rec.newPid = r.pid; rec.servedMs = r.end - t0; }
      } else {
        rec.failed++;
        rec.byCode[r.code] = (rec.byCode[r.code] ?? 0) + 1;
        await sleep(10); // never spin on a refused port
      }
    }
  });
  const deadline = t0 + opts.reactionTimeout * 1000;
  while (!rec.newPid && performance.now() < deadline) {
    watch(tail.poll());
    await sleep(5);
  }
  watch(tail.poll());
  loading = false;
  await Promise.race([Promise.all(loops), sleep(15_000)]);
  rec.loadMs = performance.now() - t0;
  rec.foreign = foreignCpu(c0, cpuSnapshot());
  return rec;
}

async function reactionRun(dir, algo, notes) {
  const statsPort = await freePort();
  const server = await startTsgi({
    dir, app: APP, workers: 4, logging: false, name: `reaction-${algo}`,
    extra: ['cheaper = 1', `cheaper-algo = ${algo}`, 'cheaper-overload = 1', `stats = 127.0.0.1:${statsPort}`],
  });
  const tail = new LogTail(server.logFile);
  const reps = [];
  console.log(`\n(a) reaction, cheaper-algo = ${algo}: processes = 4, cheaper = 1, cheaper-overload = 1; ` +
    (algo === 'busyness' ? `${opts.busyConcurrency} loops of /spin?ms=${opts.spinMs}` : `${opts.spareConcurrency} loops of /sleep?ms=${opts.sleepMs}`) +
    ', a new connection per request');
  try {
    for (let i = 1; i <= opts.reps; i++) {
      const settled = await waitStats(statsPort, (d) => running(d).length === 1 && draining(d) === 0 && running(d)[0].ready === 1, opts.settleTimeout * 1000, 250);
      if (!settled.ok) {
        notes.push(`(a) ${algo}: not back to one worker within ${opts.settleTimeout} s before repetition ${i} (last: ${settled.last}); stopped`);
        console.log(`   rep ${i}: not back to one worker within ${opts.settleTimeout} s (${settled.last}), stopping`);
        break;
      }
      const backMs = settled.ms;
      await sleep(opts.cooldown * 1000);
      const doc = await readDoc(statsPort);
      const before = new Set(running(doc).map((w) => w.pid));
      if (before.size !== 1) notes.push(`(a) ${algo} rep ${i}: ${before.size} workers running at the start of the overload`);
      tail.poll(); // skip what was logged before the overload
      const rec = await overload(server.port, algo, before, tail);
      rec.rep = i;
      rec.backMs = i === 1 ? NaN : backMs;
      reps.push(rec);
      console.log(`   rep ${i}: new worker served after ${ms0(rec.servedMs)} ms (decision ${ms0(rec.decisionMs)} ms, ready ${ms0(rec.readyMs)} ms, ` +
        `app startup ${ms0(rec.startupMs)} ms)  ok ${rec.ok} failed ${rec.failed}${rec.failed ? ` (${fmtCodes(rec.byCode)})` : ''}` +
        `${i > 1 ? `  [back to 1 worker ${(backMs / 1000).toFixed(1)} s after the previous overload's end]` : ''}` +
        `  [other processes' CPU ${fmtCpu(rec.foreign)} of a core]`);
      if (!rec.newPid) notes.push(`(a) ${algo} rep ${i}: no new worker served within ${opts.reactionTimeout} s`);
      if (rec.failed) notes.push(`(a) ${algo} rep ${i}: ${rec.failed} failed requests (${fmtCodes(rec.byCode)})`);
      if (rec.foreign > opts.maxForeign) notes.push(`(a) ${algo} rep ${i} disturbed: other processes used ${fmtCpu(rec.foreign)} of a core`);
    }
  } finally {
    await server.stop();
  }
  return { algo, reps, odd: oddLines(server.logFile) };
}

// ---------------------------------------------------------------- (b) wake-up
async function wakeRun(dir, notes) {
  const statsPort = await freePort();
  const server = await startTsgi({
    dir, app: APP, workers: 2, logging: false, name: 'wake',
    extra: ['idle = 1', `stats = 127.0.0.1:${statsPort}`],
  });
  const tail = new LogTail(server.logFile);
  console.log(`\n(b) wake-up: processes = 2, idle = 1; once every slot is cheap and the old workers are gone, +${opts.wakeSettle} ms, ` +
    `one GET / on a new connection; then ${opts.warmRequests} on warm workers`);
  const reps = [];
  const c0 = cpuSnapshot();
  try {
    let prev = running((await waitStats(statsPort, (d) => running(d).length === 2, 20_000)).doc ?? { workers: [] }).map((w) => w.pid);
    for (let i = 1; i <= opts.reps; i++) {
      const cheap = await waitStats(statsPort, (d) => d.workers.every((w) => w.status === 'cheap'), 30_000);
      if (!cheap.ok) {
        notes.push(`(b) rep ${i}: the slots did not all go cheap within 30 s (last: ${cheap.last}); stopped`);
        console.log(`   rep ${i}: not cheap within 30 s (${cheap.last}), stopping`);
        break;
      }
      const phase = cheap.doc.tsgi?.phase;
      const t0 = Date.now();
      while (prev.some(isAlive) && Date.now() - t0 < 10_000) await sleep(50);
      const lingering = prev.filter(isAlive);
      if (lingering.length) notes.push(`(b) rep ${i}: worker pid(s) ${lingering.join(', ')} still alive 10 s after every slot showed cheap`);
      await sleep(opts.wakeSettle);
      tail.poll();
      const r = await request(server.port, '/', { timeoutMs: 15_000 });
      const lines = tail.poll();
      const ready = lines.map((l) => l.match(/ready in (\d+) ms on worker (\d+) \(pid: (\d+)\)/)).find(Boolean);
      const woke = lines.some((l) => /cheap mode ended by a connection/.test(l));
      await sleep(300);
      const warm = [];
      for (let k = 0; k < opts.warmRequests; k++) {
        warm.push(await request(server.port, '/'));
        await sleep(20);
      }
      const rec = {
        rep: i, ok: r.ok, code: r.code, ms: r.ms, connectMs: r.connectMs, pid: r.pid, newPid: r.ok && !prev.includes(r.pid),
        startupMs: ready ? Number(ready[1]) : NaN, woke, phase,
        warm: warm.filter((w) => w.ok).map((w) => w.ms), warmFailed: warm.filter((w) => !w.ok).map((w) => w.code),
      };
      reps.push(rec);
      console.log(`   rep ${i}: ${r.ok ? `200 from pid ${r.pid}` : `FAILED ${r.code}`} in ${ms1(r.ms)} ms (connect ${ms1(r.connectMs)} ms, ` +
        `worker app startup ${ms0(rec.startupMs)} ms, phase was "${phase}")  warm: ${rec.warm.map(ms1).join(' ')} ms`);
      if (!r.ok) notes.push(`(b) rep ${i}: the wake-up request failed: ${r.code} ${r.message ?? ''}`);
      if (r.ok && !rec.newPid) notes.push(`(b) rep ${i}: the wake-up request was answered by an old worker pid ${r.pid}`);
      if (!woke) notes.push(`(b) rep ${i}: no "cheap mode ended by a connection" line in the log`);
      if (rec.warmFailed.length) notes.push(`(b) rep ${i}: warm requests failed: ${rec.warmFailed.join(', ')}`);
      const after = await readDoc(statsPort).catch(() => ({ workers: [] }));
      prev = running(after).map((w) => w.pid);
    }
  } finally {
    await server.stop();
  }
  const foreign = foreignCpu(c0, cpuSnapshot());
  if (foreign > opts.maxForeign) notes.push(`(b) disturbed: other processes used ${fmtCpu(foreign)} of a core`);
  return { reps, odd: oddLines(server.logFile), foreign };
}

// ---------------------------------------------------------------- (c) ramp
/** Closed keep-alive request loops, one connection each (own agent), resizable at any time. */
class RampClient {
  constructor(port, urlPath) {
    this.port = port;
    this.urlPath = urlPath;
    this.loops = [];
    this.all = [];
    this.phase = 0;
    this.perPhase = [];
    this.pids = new Set();
    this.t0 = performance.now();
    this.failures = []; // first 50: { t, phase, code, message }
  }
  stats(phase) {
    return (this.perPhase[phase] ??= { ok: 0, failed: 0, byCode: {}, maxMs: 0, lat: [] });
  }
  setPhase(phase, n) {
    this.phase = phase;
    this.stats(phase);
    for (const l of this.loops.slice(n)) l.stop = true;
    this.loops = this.loops.slice(0, n);
    while (this.loops.length < n) {
      const l = { stop: false, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) };
      l.done = this.loop(l);
      this.loops.push(l);
      this.all.push(l);
    }
  }
  async loop(l) {
    try {
      while (!l.stop) {
        const phase = this.phase;
        const r = await request(this.port, this.urlPath, { agent: l.agent, timeoutMs: 10_000 });
        const s = this.stats(phase);
        if (r.ms > s.maxMs) s.maxMs = r.ms;
        s.lat.push(r.ms);
        if (r.ok) {
          s.ok++;
          this.pids.add(r.pid);
        } else {
          s.failed++;
          s.byCode[r.code] = (s.byCode[r.code] ?? 0) + 1;
          if (this.failures.length < 50) this.failures.push({ t: Math.round(r.end - this.t0), phase, code: r.code, message: r.message });
          await sleep(10);
        }
        await new Promise(setImmediate);
      }
    } finally {
      l.agent.destroy();
    }
  }
  /** Stops every loop after its request in flight (bounded); returns how many did not finish. */
  async stop(ms = 15_000) {
    for (const l of this.all) l.stop = true;
    const all = Promise.all(this.all.map((l) => l.done));
    let finished = false;
    await Promise.race([all.then(() => { finished = true; }), sleep(ms)]);
    for (const l of this.all) l.agent.destroy();
    return finished ? 0 : this.all.length;
  }
}

async function rampRun(dir, notes) {
  const statsPort = await freePort();
  const extra = ['cheaper = 1', `cheaper-algo = ${opts.rampAlgo}`, 'cheaper-overload = 1', `max-requests = ${opts.maxRequests}`,
    `min-worker-lifetime = ${opts.minWorkerLifetime}`, `stats = 127.0.0.1:${statsPort}`];
  const server = await startTsgi({ dir, app: APP, workers: 4, logging: false, name: 'ramp', extra });
  console.log(`\n(c) ramp ${RAMP.map((p) => `${p.connections}:${p.seconds}s`).join(' → ')} on ${opts.rampPath}, keep-alive; ` +
    `processes = 4, ${extra.slice(0, -1).join(', ')}`);
  const timeline = []; // { t, phase, running, ready, busy, draining, respawns }
  let polling = true;
  let pollErrors = 0;
  let phaseNow = -1;
  const client = new RampClient(server.port, opts.rampPath);
  const t0 = performance.now();
  const poller = (async () => {
    while (polling) {
      try {
        const d = await readDoc(statsPort);
        const run = running(d);
        timeline.push({
          t: (performance.now() - t0) / 1000, phase: phaseNow, running: run.length, ready: run.filter((w) => w.ready === 1).length,
          busy: run.filter((w) => w.status === 'busy').length, draining: draining(d),
          respawns: d.workers.reduce((n, w) => n + w.respawn_count, 0),
        });
      } catch {
        pollErrors++;
      }
      await sleep(250);
    }
  })();
  let unfinished = 0;
  let foreign = NaN;
  try {
    await sleep(500);
    const c0 = cpuSnapshot();
    for (let i = 0; i < RAMP.length; i++) {
      phaseNow = i;
      client.setPhase(i, RAMP[i].connections);
      console.log(`   t=${((performance.now() - t0) / 1000).toFixed(1)} s: ${RAMP[i].connections} connection(s) for ${RAMP[i].seconds} s`);
      await sleep(RAMP[i].seconds * 1000);
    }
    phaseNow = RAMP.length; // the tail: no load
    unfinished = await client.stop();
    foreign = foreignCpu(c0, cpuSnapshot());
    if (foreign > opts.maxForeign) notes.push(`(c) disturbed: other processes used ${fmtCpu(foreign)} of a core during the load`);
    console.log(`   t=${((performance.now() - t0) / 1000).toFixed(1)} s: load stopped; reading the stats for ${opts.tail} s more`);
    await sleep(opts.tail * 1000);
  } finally {
    polling = false;
    await Promise.race([poller, sleep(6000)]);
    if (unfinished === 0 && client.all.some((l) => !l.stop)) unfinished = await client.stop(5000);
    await server.stop();
  }
  const log = server.logFile;
  return {
    phases: RAMP.map((p, i) => ({ ...p, ...client.stats(i) })),
    unfinished, timeline, pollErrors, foreign, failures: client.failures, pids: client.pids.size,
    spawns: countLines(log, /cheaper: spawning worker/), retires: countLines(log, /cheaper: retiring worker/),
    recycles: countLines(log, /The work of process \d+ is done/), killedOk: countLines(log, /killed successfully/),
    algoSpawns: countLines(log, /\[(busyness|spare|backlog)\].*(will spawn|spawning \d+ worker)/),
    emergencySpawns: countLines(log, /emergency worker/),
    algoLines: (() => { try { return fs.readFileSync(log, 'utf8').split('\n').filter((l) => /\[(busyness|spare|backlog)\]/.test(l) && !/settings|alert is set/.test(l)).slice(0, 12); } catch { return []; } })(),
    odd: oddLines(log), extra,
  };
}

/** Worker counts over time, as change points: "t=0.0 1, t=3.2 2 (1 draining), ...". */
function changePoints(timeline) {
  const out = [];
  let last = '';
  for (const s of timeline) {
    const key = `${s.running}${s.draining ? `+${s.draining}d` : ''}`;
    if (key !== last) out.push({ t: s.t, key, phase: s.phase });
    last = key;
  }
  return out;
}

// ---------------------------------------------------------------- main
async function main() {
  const info = machineInfo();
  const head = gitHead();
  let dir;
  if (opts.keepLogs) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsgi-bench-cheaper-'));
    console.log(`logs kept in ${dir}`);
  } else {
    dir = tmpDir('tsgi-bench-cheaper-');
  }
  console.log(`cheaper: ${info.nproc} cores shared by the clients and the servers; node ${info.node}; HEAD ${head}`);
  const notes = [];
  const reactions = [];
  let wake;
  let ramp;
  if (parts.includes('reaction')) {
    for (const algo of ALGOS) {
      try { reactions.push(await reactionRun(dir, algo, notes)); } catch (e) { notes.push(`(a) ${algo} failed: ${e.message}`); console.log(`   FAILED: ${e.message}`); }
    }
  }
  if (parts.includes('wake')) {
    try { wake = await wakeRun(dir, notes); } catch (e) { notes.push(`(b) failed: ${e.message}`); console.log(`   FAILED: ${e.message}`); }
  }
  if (parts.includes('ramp')) {
    try { ramp = await rampRun(dir, notes); } catch (e) { notes.push(`(c) failed: ${e.message}`); console.log(`   FAILED: ${e.message}`); }
  }

  const md = [
    '# Cheaper mode and idle: reaction time, wake-up latency, failures under a ramp',
    '',
    `- date: ${info.date}; repository HEAD ${head} (working tree as built)`,
    `- machine: ${info.nproc} cores (\`nproc\`), ${info.cpu}, ${info.kernel}; load average ${info.loadavg} ` +
      `at the start, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end (1/5/15 min)`,
    `- node ${info.node}; app \`bench/apps/cheaper-app.mjs\`; request log off (\`disable-logging = true\`) everywhere`,
    `- **the load (a Node client in the benchmark process) and the servers share the same ${info.nproc} cores**: ` +
      'a worker\'s start-up time, which is most of every figure below, is longer than on an idle machine',
    '- command: `node bench/cheaper.mjs' + (process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : '') + '`',
    '',
  ];
  const out = [];

  if (reactions.length) {
    const header = ['cheaper-algo', 'overload', 'reps', 'served median ms', 'min', 'max', 'decision median ms', 'ready median ms', 'app startup median ms', 'failed'];
    const rows = reactions.map((r) => {
      const served = finite(r.reps.map((x) => x.servedMs));
      return [r.algo, `${r.reps[0]?.concurrency ?? '?'} × ${r.reps[0]?.urlPath ?? '?'}`, `${served.length}/${r.reps.length}`,
        ms0(median(served)), ms0(Math.min(...served)), ms0(Math.max(...served)),
        ms0(median(finite(r.reps.map((x) => x.decisionMs)))), ms0(median(finite(r.reps.map((x) => x.readyMs)))),
        ms0(median(finite(r.reps.map((x) => x.startupMs)))), String(r.reps.reduce((n, x) => n + x.failed, 0))];
    });
    out.push('(a) reaction time: overload start → first response from a new worker pid', textTable(header, rows), '');
    md.push(
      '## (a) Reaction time: overload start → first response from a new worker',
      '',
      '- `processes = 4`, `cheaper = 1`, `cheaper-overload = 1`; one server per algorithm, ' +
        `${opts.reps} overloads each; before each, the stats show one ready worker and nothing draining, then ${opts.cooldown} s of quiet`,
      `- spare's overload: ${opts.spareConcurrency} request loops of \`/sleep?ms=${opts.sleepMs}\` (every worker always has requests in flight); ` +
        `busyness's: ${opts.busyConcurrency} loops of \`/spin?ms=${opts.spinMs}\` (event loop saturated); every request on a new connection, ` +
        'so a new worker gets connections as soon as it accepts',
      '- "served" = `performance.now()` from the start of the overload to the end of the first response whose body names a pid ' +
        'that was not running before; "decision" = when the master\'s `cheaper: spawning worker` line appeared in its log, ' +
        '"ready" = its `ready in N ms on worker` line (the log is polled every 5 ms); "app startup" = the N of that line',
      '- "back to 1 worker after": from the end of the previous overload until the stats show a single ready worker again. spare ' +
        'cheaps an idle worker every `cheaper-overload` idle ticks; busyness waits `cheaper-overload` × its multiplier (10) seconds ' +
        'after a spawn, and raises the multiplier by the penalty (2) when it must spawn again soon after a cheap (uWSGI\'s rule ' +
        'against flapping), which the back-to-back overloads here trigger every time',
      '',
      mdTable(header, rows),
      '',
    );
    for (const r of reactions) {
      md.push(`### ${r.algo}: per repetition`, '',
        mdTable(['rep', 'served ms', 'decision ms', 'ready ms', 'app startup ms', 'requests ok', 'failed', 'slots spawned', 'back to 1 worker after (s)', 'other processes\' CPU'],
          r.reps.map((x) => [String(x.rep), ms0(x.servedMs), ms0(x.decisionMs), ms0(x.readyMs), ms0(x.startupMs), String(x.ok),
            x.failed ? `${x.failed} (${fmtCodes(x.byCode)})` : '0', x.spawned.join(', ') || '-', Number.isFinite(x.backMs) ? (x.backMs / 1000).toFixed(1) : '-', fmtCpu(x.foreign)])),
        '');
      const lines = [...new Set(r.reps.flatMap((x) => x.algoLines))].slice(0, 6);
      if (lines.length) md.push('The algorithm\'s log lines during the overloads (first ones):', '', '```', ...lines, '```', '');
      if (r.odd.length) md.push('Notable server log lines:', '', '```', ...r.odd.slice(0, 10), '```', '');
    }
  }

  if (wake) {
    const ok = wake.reps.filter((x) => x.ok);
    const wakeMs = ok.map((x) => x.ms);
    const warmAll = wake.reps.flatMap((x) => x.warm);
    const warmMed = median(warmAll);
    const header = ['', 'requests', 'median ms', 'max ms', 'min ms', 'vs warm'];
    const rows = [
      ['wake-up (every slot cheap)', `${ok.length}/${wake.reps.length}`, ms1(median(wakeMs)), ms1(Math.max(...wakeMs)), ms1(Math.min(...wakeMs)),
        Number.isFinite(warmMed) && warmMed > 0 ? `${(median(wakeMs) / warmMed).toFixed(0)}×` : 'n/a'],
      ['warm workers (baseline)', String(warmAll.length), ms1(warmMed), ms1(Math.max(...warmAll)), ms1(Math.min(...warmAll)), '1×'],
    ];
    out.push('(b) wake-up: one request from connect to full response', textTable(header, rows),
      `    worker app startup (log) median ${ms0(median(finite(wake.reps.map((x) => x.startupMs))))} ms; other processes' CPU ${fmtCpu(wake.foreign)} of a core`, '');
    md.push(
      '## (b) Wake-up latency after idle',
      '',
      `- \`processes = 2\`, \`idle = 1\`; before each request: every slot shows \`status: "cheap"\` in the stats, the previous ` +
        `worker processes have exited, then ${opts.wakeSettle} ms; the request is \`GET /\` on a new connection (\`Connection: close\`), ` +
        'timed from its creation to the end of the response',
      `- baseline: ${opts.warmRequests} identical requests 300 ms after each wake-up, on the then warm workers`,
      `- CPU used by processes outside this benchmark during this part: ${fmtCpu(wake.foreign)} of a core`,
      '',
      mdTable(header, rows),
      '',
      mdTable(['rep', 'wake-up ms', 'connect ms', 'status', 'answered by', 'app startup ms (log)', 'warm ms'],
        wake.reps.map((x) => [String(x.rep), ms1(x.ms), ms1(x.connectMs), x.ok ? '200' : x.code, x.ok ? `pid ${x.pid}${x.newPid ? ' (new)' : ' (OLD)'}` : '-',
          ms0(x.startupMs), x.warm.map(ms1).join(', ')])),
      '',
    );
    if (wake.odd.length) md.push('Notable server log lines:', '', '```', ...wake.odd.slice(0, 10), '```', '');
  }

  if (ramp) {
    const header = ['phase', 'connections', 'seconds', 'ok', 'failed', 'failed by code', 'latency p50 / p99 / max ms', 'running workers seen'];
    const byPhase = (i) => ramp.timeline.filter((s) => s.phase === i).map((s) => s.running);
    const seen = (i) => {
      const xs = byPhase(i);
      const seq = xs.filter((x, k) => k === 0 || x !== xs[k - 1]);
      return seq.length > 12 ? `${Math.min(...xs)}..${Math.max(...xs)} (${seq.length} changes)` : seq.join(' → ') || '-';
    };
    const rows = ramp.phases.map((p, i) => [String(i + 1), String(p.connections), String(p.seconds), fmtInt(p.ok), String(p.failed),
      fmtCodes(p.byCode), `${ms1(pct(p.lat, 50))} / ${ms0(pct(p.lat, 99))} / ${ms0(p.maxMs)}`, seen(i)]);
    rows.push(['tail (no load)', '0', String(opts.tail), '', '', '', '', seen(RAMP.length)]);
    const failed = ramp.phases.reduce((n, p) => n + p.failed, 0) + ramp.unfinished;
    const okTotal = ramp.phases.reduce((n, p) => n + p.ok, 0);
    const points = changePoints(ramp.timeline);
    const pointsText = points.map((p) => `${p.t.toFixed(1)}s:${p.key}`).join(' ');
    out.push(`(c) ramp: failed requests ${failed} (expected 0) of ${fmtInt(okTotal + failed)}; unfinished ${ramp.unfinished}; ` +
      `other processes' CPU ${fmtCpu(ramp.foreign)} of a core`,
      textTable(header, rows),
      `    ${ramp.spawns} cheaper spawns (${ramp.algoSpawns} by the algorithm's load rule, ${ramp.emergencySpawns} emergency/backlog), ${ramp.retires} cheaper retirements, ` +
        `${ramp.recycles} max-requests recycles; ${ramp.pids} distinct worker pids answered`,
      `    running workers over time (t:count, +Nd = N draining): ${pointsText.length > 600 ? `${pointsText.slice(0, 600)} ...` : pointsText}`, '');
    md.push(
      '## (c) Load ramp with cheaper mode and max-requests recycling',
      '',
      `- \`processes = 4\`, ${ramp.extra.slice(0, -1).map((x) => `\`${x}\``).join(', ')}, stats on; ` +
        `load: closed request loops on \`${opts.rampPath}\`, each its own keep-alive connection (\`http.Agent({keepAlive: true, maxSockets: 1})\`), ` +
        'added and removed at each phase change (a removed loop finishes its request, then closes its connection); no retries',
      '- "failed" counts every request that did not end in a 200 with the expected body: errors by code (ECONNRESET, ...), ' +
        '`HTTP_<status>`, `BAD_BODY`, `CLIENT_TIMEOUT` (10 s), `UNFINISHED` at the end',
      `- the stats are read every 250 ms; "running workers" = slots with a live process (pid > 0)`,
      `- CPU used by processes outside this benchmark during the load: ${fmtCpu(ramp.foreign)} of a core`,
      '',
      `**Failed requests: ${failed}** (expected 0) of ${fmtInt(okTotal + failed)}; ${ramp.unfinished} unfinished at the end.`,
      '',
      mdTable(header, rows),
      '',
      `From the master's log: ${ramp.spawns} cheaper spawns (${ramp.algoSpawns} by the algorithm's load rule, ${ramp.emergencySpawns} emergency ` +
        `spawns on the listen queue), ${ramp.retires} cheaper retirements, ${ramp.recycles} max-requests recycles ` +
        `(${ramp.killedOk} \`killed successfully\`); ${ramp.pids} distinct worker pids answered; ${ramp.pollErrors} stats reads failed.`,
      '',
      'Running workers over time (`seconds:count`, `+Nd` = N processes draining):',
      '',
      '```',
      ...(pointsText.match(/.{1,110}(\s|$)/g) ?? [pointsText]).map((s) => s.trim()),
      '```',
      '',
    );
    if (ramp.algoLines.length) md.push('The algorithm\'s log lines (first 12):', '', '```', ...ramp.algoLines, '```', '');
    if (ramp.failures.length) {
      md.push('First failures (ms since the load started):', '', '```',
        ...ramp.failures.slice(0, 20).map((f) => `t=${f.t} phase ${f.phase + 1}: ${f.code} ${f.message ?? ''}`), '```', '');
    }
    if (ramp.odd.length) md.push('Notable server log lines:', '', '```', ...ramp.odd.slice(0, 10), '```', '');
  }
  if (notes.length) md.push('## Notes', '', ...notes.map((x) => `- ${x}`), '');

  console.log(`\n${out.join('\n')}`);
  for (const note of notes) console.log(`note: ${note}`);
  if (opts.out !== '-') {
    fs.mkdirSync(path.dirname(opts.out), { recursive: true });
    fs.writeFileSync(opts.out, md.join('\n'));
    console.log(`results written to ${path.relative(process.cwd(), opts.out) || opts.out}`);
  }
  if ((parts.includes('reaction') && reactions.length < ALGOS.length) || (parts.includes('wake') && !wake) || (parts.includes('ramp') && !ramp)) {
    process.exitCode = 1;
  }
}

await runMain(main);
