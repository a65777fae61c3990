#!/usr/bin/env node
// Graceful reloads under keep-alive load: how many requests fail?
//   tsgi          supervise, N workers, SIGHUP to the master (waits for "reload complete")
//   PM2           cluster mode, `pm2 reload <app>` (waits for the command to finish)
//   node:cluster  textbook rolling restart on SIGHUP (fork new -> 'listening' -> old.disconnect()),
//                 SCHED_NONE, plain handler (waits for the primary's "reload complete")
// The load is a Node closed loop of --connections concurrent request loops through one
// http.Agent({keepAlive:true}) (bench/lib/load-client.mjs); every non-200 and every error
// is counted by code.
// On demand only (never in CI):  node bench/reload.mjs [--workers 2] [--reloads 10] ...
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  LogTail,
  fmtCodes,
  runMain,
  writeResults,
  APPS_DIR, BENCH_DIR, RESULTS_DIR, fmtInt, machineInfo, mdTable, median, onCleanup, parseArgs,
  runCleanups, sleep, startCluster, startPm2, startTsgi, textTable, tmpDir,
} from './lib/common.mjs';

const USAGE = `usage: node bench/reload.mjs [options]

  --workers N          worker processes for every contender (default 2)
  --reloads N          reloads per contender (default 10)
  --interval MS        pause after each reload has completed (default 1000)
  --connections N      concurrent keep-alive request loops (default 64)
  --settle MS          load before the first reload and after the last (default 1000)
  --reload-timeout MS  bound on waiting for one reload to complete (default 60000)
  --rounds N           run every contender N times, rotating order (default 1)
  --disable-logging    run tsgi with disable-logging = true (default: request log on,
                       as shipped)
  --pm2-plain          PM2 app without the SIGINT -> server.close() handler PM2's docs
                       recommend (default: with it)
  --probe MS           open a fresh connection for one request every MS (default 20; 0: off)
  --only LIST          comma-separated subset: tsgi,pm2,node-cluster
  --out FILE           markdown results (default bench/results/reload.md; "-" for none)
`;

const opts = parseArgs({
  workers: 2, reloads: 10, interval: 1000, connections: 64, settle: 1000, reloadTimeout: 60_000,
  rounds: 1, probe: 20, disableLogging: false, pm2Plain: false, only: '',
  out: path.join(RESULTS_DIR, 'reload.md'),
}, USAGE);

const HANDLER = 'hello-pid.cjs';


/** Lines of a server log worth showing: not request-log lines, looking like trouble. */
const ODD = /error|exception|uncaught|SIGKILL|too fast|!!!|EADDR|mercy|still alive|killing|died|warn/i;
const EXPECTED = /^Gracefully killing worker|^\[pid: |^your mercy for graceful/;

const CONTENDERS = [
  {
    key: 'tsgi',
    label: `tsgi (SIGHUP${opts.disableLogging ? ', disable-logging' : ''})`,
    async start(dir) {
      const s = await startTsgi({ dir, app: path.join(APPS_DIR, HANDLER), workers: opts.workers, logging: !opts.disableLogging });
      const tail = new LogTail(s.logFile);
      const odd = [];
      const watch = (l) => { if (ODD.test(l) && !EXPECTED.test(l)) odd.push(l); };
      tail.poll().forEach(watch);
      return {
        ...s,
        odd,
        async reload() {
          process.kill(s.pid, 'SIGHUP');
          return tail.waitFor(/reload complete/, opts.reloadTimeout, watch);
        },
        finish() { tail.poll().forEach(watch); },
      };
    },
  },
  {
    key: 'pm2',
    label: `PM2 cluster mode (pm2 reload${opts.pm2Plain ? ', plain app' : ', SIGINT handler'})`,
    async start(dir) {
      const s = await startPm2({ dir, handler: HANDLER, workers: opts.workers, graceful: !opts.pm2Plain });
      const odd = [];
      return {
        ...s,
        odd,
        async reload() {
          const r = await s.pm2(['reload', s.appName], opts.reloadTimeout);
          if (r.code !== 0) throw new Error(`pm2 reload exited ${r.code}: ${r.stderr || r.stdout}`);
          return 'pm2 reload done';
        },
        finish() {
          // PM2's own log says when an old instance had to be SIGKILLed after kill_timeout.
          try {
            const log = fs.readFileSync(path.join(s.pm2Home, 'pm2.log'), 'utf8');
            for (const l of log.split('\n')) if (/SIGKILL|still alive|errored|exited with code \[[1-9]/i.test(l)) odd.push(l);
          } catch { /* no log */ }
          try {
            for (const f of fs.readdirSync(path.join(s.pm2Home, 'logs'))) {
              if (!f.includes('-error')) continue;
              const text = fs.readFileSync(path.join(s.pm2Home, 'logs', f), 'utf8').trim();
              if (text) odd.push(...text.split('\n').slice(0, 5).map((l) => `${f}: ${l}`));
            }
          } catch { /* no logs */ }
        },
      };
    },
  },
  {
    key: 'node-cluster',
    label: 'node:cluster rolling restart (SIGHUP)',
    async start(dir) {
      const s = await startCluster({ dir, handler: HANDLER, workers: opts.workers });
      const tail = new LogTail(s.logFile);
      const odd = [];
      const watch = (l) => { if (ODD.test(l)) odd.push(l); };
      tail.poll().forEach(watch);
      return {
        ...s,
        odd,
        async reload() {
          process.kill(s.pid, 'SIGHUP');
          return tail.waitFor(/reload complete/, opts.reloadTimeout, watch);
        },
        finish() { tail.poll().forEach(watch); },
      };
    },
  },
].filter((c) => !opts.only || opts.only.split(',').includes(c.key));
if (CONTENDERS.length === 0) throw new Error(`--only ${opts.only}: no contender left`);

function startClient(port) {
  const child = fork(path.join(BENCH_DIR, 'lib', 'load-client.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const unregister = onCleanup(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
  const next = (type, timeoutMs) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`load client: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
    const onMsg = (m) => { if (m.type === type) { clearTimeout(timer); child.off('message', onMsg); resolve(m); } };
    child.on('message', onMsg);
    child.once('exit', () => { clearTimeout(timer); reject(new Error('load client exited')); });
  });
  return {
    async start() {
      const started = next('started', 10_000);
      child.send({ cmd: 'start', port, concurrency: opts.connections, timeoutMs: 10_000, probeMs: opts.probe });
      await started;
    },
    mark(label) { child.send({ cmd: 'mark', label }); },
    async stop() {
      const result = next('result', 30_000);
      child.send({ cmd: 'stop', drainMs: 15_000 });
      try { return await result; } finally {
        const exited = new Promise((r) => child.once('exit', r));
        await Promise.race([exited, sleep(2000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
        unregister();
      }
    },
    kill() { try { child.kill('SIGKILL'); } catch { /* gone */ } unregister(); },
  };
}

async function runOne(c, dir) {
  const rec = { key: c.key, label: c.label, reloadsDone: 0, reloadMs: [], error: null };
  let server;
  let client;
  try {
    server = await c.start(dir);
    client = startClient(server.port);
    await client.start();
    await sleep(opts.settle);
    for (let i = 1; i <= opts.reloads; i++) {
      client.mark(`reload ${i} start`);
      const t = Date.now();
      await server.reload();
      rec.reloadMs.push(Date.now() - t);
      client.mark(`reload ${i} complete`);
      rec.reloadsDone++;
      await sleep(opts.interval);
    }
    await sleep(Math.max(0, opts.settle - opts.interval));
  } catch (e) {
    rec.error = e.message;
  } finally {
    if (client) {
      try { Object.assign(rec, { client: await client.stop() }); } catch (e) {
        client.kill();
        rec.error = (rec.error ? `${rec.error}; ` : '') + e.message;
      }
    }
    if (server) {
      try { server.finish(); } catch { /* best effort */ }
      rec.odd = server.odd;
      await server.stop();
    }
  }
  const r = rec.client ?? { ok: 0, failed: 0, byCode: {}, pids: {}, errors: [], marks: [], unfinished: 0, elapsedMs: 0, maxLatencyMs: 0 };
  rec.ok = r.ok;
  rec.failed = r.failed + (r.unfinished ?? 0);
  rec.byCode = { ...r.byCode, ...(r.unfinished ? { UNFINISHED: r.unfinished } : {}) };
  rec.pids = Object.keys(r.pids).length;
  rec.elapsedMs = r.elapsedMs;
  rec.maxLatencyMs = r.maxLatencyMs;
  rec.errors = r.errors;
  rec.marks = r.marks;
  rec.tail = latencyTail(r);
  // Failures per reload: between reload i's start and reload i+1's start (the last one
  // runs to the end of the load); failures before the first reload are reported apart.
  const starts = (r.marks ?? []).filter((m) => m.label.endsWith('start')).map((m) => m.t);
  rec.perReload = starts.map(() => 0);
  rec.beforeFirstReload = 0;
  for (const t of r.failTimes ?? []) {
    let i = starts.length - 1;
    while (i >= 0 && starts[i] > t) i--;
    if (i < 0) rec.beforeFirstReload++;
    else rec.perReload[i]++;
  }
  return rec;
}

/**
 * The latency tail, split by when a request started: inside a reload (from its signal to
 * 500 ms after its completion) or in steady state. `keepalive` is the load's requests on its
 * kept-alive connections (only those of 20 ms or more are recorded); `fresh` is the probe's
 * requests, each on a new connection.
 */
function latencyTail(r) {
  const marks = r.marks ?? [];
  const windows = [];
  for (const m of marks) {
    if (m.label.endsWith('start')) windows.push([m.t, Infinity]);
    else if (m.label.endsWith('complete') && windows.length) windows[windows.length - 1][1] = m.t + 500;
  }
  const inReload = (t) => windows.some(([a, b]) => t >= a && t <= b);
  const split = (xs) => ({
    reload: xs.filter((x) => inReload(x.t)).map((x) => x.ms),
    steady: xs.filter((x) => !inReload(x.t)).map((x) => x.ms),
  });
  const slow = split(r.slow ?? []);
  const fresh = split(r.fresh ?? []);
  const stalls = split(r.stalls ?? []);
  const max = (xs) => (xs.length ? Math.max(...xs) : 0);
  const over = (xs, ms) => xs.filter((x) => x >= ms).length;
  // every keep-alive request, by the 100 ms in which it began
  let startedReload = 0;
  let startedSteady = 0;
  (r.started ?? []).forEach((n, b) => {
    if (!n) return;
    if (inReload(b * 100 + 50)) startedReload += n;
    else startedSteady += n;
  });
  const share = (n, of) => (of ? (100 * n) / of : 0);
  return {
    keepaliveMaxReload: max(slow.reload), keepaliveMaxSteady: max(slow.steady),
    keepaliveOver50Reload: over(slow.reload, 50), keepaliveOver50Steady: over(slow.steady, 50),
    keepaliveOver50ReloadPct: share(over(slow.reload, 50), startedReload),
    keepaliveOver50SteadyPct: share(over(slow.steady, 50), startedSteady),
    freshMaxReload: max(fresh.reload), freshMaxSteady: max(fresh.steady),
    freshP99Reload: percentile(fresh.reload, 99), freshP99Steady: percentile(fresh.steady, 99),
    freshOver50Reload: over(fresh.reload, 50), freshN: (r.fresh ?? []).length,
    clientStallMaxReload: max(stalls.reload), clientStallMaxSteady: max(stalls.steady),
    freshFailed: (r.fresh ?? []).filter((x) => !x.ok).length,
  };
}

function percentile(xs, p) {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const fmtNum = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(x < 1 ? 2 : 1));
const pct = (x) => `${fmtNum(x)} %`;

function fmtTail(t) {
  return `keep-alive max ${t.keepaliveMaxReload} ms in reloads (${t.keepaliveOver50Reload} ≥ 50 ms, ${pct(t.keepaliveOver50ReloadPct)}) / ` +
    `${t.keepaliveMaxSteady} ms steady (${pct(t.keepaliveOver50SteadyPct)} ≥ 50 ms); ` +
    `fresh connection max ${t.freshMaxReload} ms, p99 ${t.freshP99Reload} ms in reloads (${t.freshOver50Reload} ≥ 50 ms) / ` +
    `max ${t.freshMaxSteady} ms, p99 ${t.freshP99Steady} ms steady; ${t.freshN} probes, ${t.freshFailed} failed; ` +
    `the load client's own event loop late by up to ${t.clientStallMaxReload} ms in reloads / ${t.clientStallMaxSteady} ms steady`;
}

async function main() {
  const info = machineInfo();
  const dir = tmpDir('tsgi-bench-reload-');
  console.log(`reload: ${CONTENDERS.length} contenders, ${opts.workers} workers, ${opts.reloads} reloads ` +
    `every ${opts.interval} ms after completion, ${opts.connections} keep-alive loops; ${info.nproc} cores shared`);
  const runs = [];
  for (let round = 0; round < opts.rounds; round++) {
    const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]);
    for (const c of order) {
      const rec = await runOne(c, dir);
      rec.round = round + 1;
      runs.push(rec);
      console.log(`\n== ${rec.label}${opts.rounds > 1 ? `, round ${rec.round}` : ''}`);
      console.log(`   ok ${fmtInt(rec.ok)}  failed ${rec.failed} (${fmtCodes(rec.byCode)})  reloads ${rec.reloadsDone}/${opts.reloads}` +
        `  distinct worker pids ${rec.pids} (expected ${opts.workers * (rec.reloadsDone + 1)})` +
        `  reload time median ${fmtInt(median(rec.reloadMs))} ms  max latency ${rec.maxLatencyMs} ms`);
      if (rec.tail) console.log(`   ${fmtTail(rec.tail)}`);
      if (rec.failed) console.log(`   failures per reload: ${rec.perReload.join(' ')}${rec.beforeFirstReload ? ` (+${rec.beforeFirstReload} before the first reload)` : ''}`);
      if (rec.error) console.log(`   ERROR: ${rec.error}`);
      if (rec.errors?.length) {
        console.log(`   first failures (ms since load start; reloads started at ${rec.marks.filter((m) => m.label.endsWith('start')).map((m) => m.t).join(', ')}):`);
        for (const e of rec.errors.slice(0, 5)) console.log(`     t=${e.t} ${e.code}: ${e.message}`);
      }
      if (rec.odd?.length) {
        console.log(`   ${rec.odd.length} notable server log line(s), e.g.:`);
        for (const l of [...new Set(rec.odd)].slice(0, 5)) console.log(`     ${l.slice(0, 200)}`);
      }
      await sleep(500);
    }
  }

  const totals = CONTENDERS.map((c) => {
    const rs = runs.filter((r) => r.key === c.key);
    const byCode = {};
    for (const r of rs) for (const [k, v] of Object.entries(r.byCode)) byCode[k] = (byCode[k] ?? 0) + v;
    return {
      label: c.label,
      ok: rs.reduce((s, r) => s + r.ok, 0),
      failed: rs.reduce((s, r) => s + r.failed, 0),
      byCode,
      reloads: rs.reduce((s, r) => s + r.reloadsDone, 0),
      pids: rs.map((r) => r.pids).join(' / '),
      reloadMs: median(rs.flatMap((r) => r.reloadMs)),
      seconds: rs.reduce((s, r) => s + r.elapsedMs, 0) / 1000,
      errors: rs.filter((r) => r.error).map((r) => r.error),
    };
  });
  const header = ['contender', 'failed', 'failed by code', 'ok', 'load s', 'reloads', 'distinct pids', 'median reload ms'];
  const rows = totals.map((t) => [t.label, String(t.failed), fmtCodes(t.byCode), fmtInt(t.ok), t.seconds.toFixed(1),
    `${t.reloads}/${opts.reloads * opts.rounds}`, t.pids, fmtInt(t.reloadMs)]);
  console.log(`\n${textTable(header, rows)}\n`);
  // the latency tail: median over the rounds, [min–max] after it
  const spread = (xs) => (xs.length > 1 ? `${fmtNum(median(xs))} [${fmtNum(Math.min(...xs))}–${fmtNum(Math.max(...xs))}]` : fmtNum(xs[0] ?? 0));
  const tailHeader = ['contender', 'keep-alive max, reloads', 'keep-alive max, steady', '≥ 50 ms, reloads', '≥ 50 ms, steady',
    'fresh max, reloads', 'fresh p99, reloads', 'fresh max, steady', 'client stall, reloads', 'client stall, steady'];
  const tailRows = CONTENDERS.map((c) => {
    const ts = runs.filter((r) => r.key === c.key && r.tail).map((r) => r.tail);
    const col = (k) => spread(ts.map((t) => t[k]));
    return [c.label, `${col('keepaliveMaxReload')} ms`, `${col('keepaliveMaxSteady')} ms`, `${col('keepaliveOver50ReloadPct')} %`,
      `${col('keepaliveOver50SteadyPct')} %`, `${col('freshMaxReload')} ms`, `${col('freshP99Reload')} ms`, `${col('freshMaxSteady')} ms`,
      `${col('clientStallMaxReload')} ms`, `${col('clientStallMaxSteady')} ms`];
  });
  console.log(`${textTable(tailHeader, tailRows)}\n`);

  if (opts.out !== '-') {
    const md = [
      '# Reloads under keep-alive load: failed requests',
      '',
      `- date: ${info.date}`,
      `- machine: ${info.nproc} cores (\`nproc\`), ${info.cpu}, ${info.kernel}; load average ${info.loadavg} ` +
        `at the start, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end (1/5/15 min)`,
      `- node ${info.node}, pm2 ${info.pm2}`,
      `- ${opts.workers} workers per contender; ${opts.reloads} reloads, the next one ${opts.interval} ms after the ` +
        `previous one completed; load: ${opts.connections} concurrent request loops (Node client, ` +
        '`http.Agent({keepAlive: true})`, no retries), from ' + `${opts.settle} ms before the first reload to ` +
        `${Math.max(opts.settle, opts.interval)} ms after the last; ${opts.rounds} round(s)`,
      `- tsgi: \`supervise\`, http-socket, request log ${opts.disableLogging ? 'off' : 'on (as shipped)'}, SIGHUP to the ` +
        'master, waiting for its `reload complete` log line',
      `- PM2: cluster mode, \`pm2 reload <app>\` (waiting for the command to return); the app ${opts.pm2Plain ? 'has no signal handler' :
        'closes its server on SIGINT as PM2\'s docs recommend'}`,
      '- node:cluster: SCHED_NONE primary, on SIGHUP one worker at a time: fork → `listening` → `old.disconnect()` ' +
        '(`old.kill()` if still alive after 2 s); the worker app is a plain `http.createServer(handler).listen()`',
      `- **the load client and the servers share the same ${info.nproc} cores**`,
      '- command: `node bench/reload.mjs' + (process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : '') + '`',
      '',
      mdTable(header, rows),
      '',
      '## Latency tail',
      '',
      mdTable(tailHeader, tailRows),
      '',
      'Median over the rounds, [lowest–highest] after it. "reloads": requests that began between a reload\'s signal ' +
        'and 500 ms after its completion; "steady": the others (the second before the first reload, the pauses between ' +
        `reloads, the ${Math.max(opts.settle, opts.interval)} ms after the last). "keep-alive": the load's requests on its kept-alive ` +
        'connections; "≥ 50 ms": their share that took 50 ms or more. "fresh": ' +
        (opts.probe ? `one GET on a new connection (\`Connection: close\`) every ${opts.probe} ms, beside the load: what a new client waits.` : 'no probe (--probe 0).') +
        ' "client stall": the longest the load client\'s own event loop ran late (descheduled on the shared cores, or its GC); ' +
        'every request in flight then looks that much slower, whichever server answers it.',
      '',
      '"failed" counts every request that did not end in a 200 with the expected body: connection errors by ' +
        'their code (ECONNRESET, ECONNREFUSED, ...), `HTTP_<status>` for other statuses, `CLIENT_TIMEOUT` after 10 s. ' +
        `"distinct pids" is how many worker processes answered (at most workers × (reloads + 1) = ${opts.workers * (opts.reloads + 1)}). ` +
        '"load s" is how long the load ran, including the wait for the last requests in flight; ' +
        '"ok" depends on it and on each server\'s speed, so compare "failed", not "ok". ' +
        '"median reload ms" runs from the signal (or `pm2 reload`) to the reload\'s completion.',
      '',
      ...runs.flatMap((r) => {
        const lines = [`## ${r.label}${opts.rounds > 1 ? `, round ${r.round}` : ''}`, ''];
        lines.push(`- ok ${fmtInt(r.ok)}, failed ${r.failed} (${fmtCodes(r.byCode)}), reloads ${r.reloadsDone}, ` +
          `distinct pids ${r.pids}, load ran ${(r.elapsedMs / 1000).toFixed(1)} s, max latency ${r.maxLatencyMs} ms`);
        lines.push(`- reload durations (ms): ${r.reloadMs.join(', ') || '-'}`);
        if (r.tail) lines.push(`- latency tail: ${fmtTail(r.tail)}`);
        lines.push(`- failures per reload (from its start to the next one's): ${r.perReload.join(', ') || '-'}` +
          (r.beforeFirstReload ? `; ${r.beforeFirstReload} before the first reload` : ''));
        if (r.error) lines.push(`- ERROR: ${r.error}`);
        if (r.errors?.length) {
          const starts = r.marks.filter((m) => m.label.endsWith('start')).map((m) => m.t);
          lines.push(`- reloads started at (ms since load start): ${starts.join(', ')}`);
          lines.push('- first failures:', '', '```',
            ...r.errors.slice(0, 10).map((e) => `t=${e.t} ms  ${e.code}: ${e.message}`), '```');
        }
        if (r.odd?.length) {
          lines.push(`- notable server log lines (${r.odd.length}, first 10 distinct):`, '', '```',
            ...[...new Set(r.odd)].slice(0, 10).map((l) => l.slice(0, 300)), '```');
        }
        lines.push('');
        return lines;
      }),
    ].join('\n');
    writeResults(opts.out, md);
  }
}

await runMain(main);
