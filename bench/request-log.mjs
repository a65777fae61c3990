#!/usr/bin/env node
// What the request log costs, in two parts, each with ratios against a baseline measured
// in the same run:
//  (a) line:   ns per line a worker spends making and buffering one line (uWSGI's default
//              line, an Apache-style logformat, log-json), in-process, written to /dev/null;
//  (b) server: hello world under wrk, request log off (disable-logging) vs on in each format:
//              req/s, and the CPU time per request of the workers and of the master (which
//              writes every line), from /proc. Interleaved rounds, a fresh server per run.
// On demand only (never in CI). Build first (npx tsc -b).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  APPS_DIR, RESULTS_DIR, ROOT, fmtInt, freePort, machineInfo, mdTable, median, parseArgs, runMain,
  serverJiffies, sleep, startGroup, textTable, tmpDir, waitHttp, wrk, writeResults, cpuSnapshot, foreignCpu,
} from './lib/common.mjs';

const USAGE = `usage: node bench/request-log.mjs [options]

  --only LIST        line,server,profile (default all three)
  --line-rounds N    (a): interleaved rounds (default 40)
  --lines N          (a): lines per contender and round (default 50000)
  --rounds N         (b): rounds (default 5)
  --workers N        worker processes in (b) (default 2)
  --duration S       measured wrk run in (b), seconds (default 8)
  --warmup S         unmeasured wrk run before it (default 2)
  --connections N    wrk keep-alive connections (default 64)
  --formats LIST     (b): off,default,logformat,json (default all four)
  --compare DIR      (b): also run the same contenders with the supervise of another
                     checkout (built), e.g. a worktree of the previous commit
  --one-at-a-time    (b): one server at a time instead of all of a round side by side
  --devnull          (b): logto = /dev/null instead of a file, to tell the cost of making the
                     lines from what the file system charges for writing them
  --profile-seconds S (c): length of each profiled run (default 6)
  --out FILE         markdown results (default bench/results/request-log.md; "-" for none)
`;

const opts = parseArgs({
  only: 'line,server,profile', profileSeconds: 6, lineRounds: 40, rounds: 5, lines: 50_000, workers: 2, duration: 8, warmup: 2, connections: 64,
  formats: 'off,default,logformat,json', compare: '', oneAtATime: false, devnull: false, out: path.join(RESULTS_DIR, 'request-log.md'),
}, USAGE);
const parts = opts.only.split(',');

// Apache's "combined" log format in uWSGI's variables (uWSGI's LogFormat docs)
const COMBINED = '%(addr) - %(user) [%(ltime)] "%(method) %(uri) %(proto)" %(status) %(size) "%(referer)" "%(uagent)"';
const FORMATS = {
  off: { label: 'disable-logging', ini: ['disable-logging = true'] },
  default: { label: "uWSGI's default line", ini: [] },
  logformat: { label: 'logformat (Apache combined)', ini: [`logformat = ${COMBINED}`] },
  json: { label: 'log-json = true', ini: ['log-json = true'] },
};

// ---------------------------------------------------------------- (a) line
async function lineCost() {
  const { RequestLog } = await import('../packages/supervisor/dist/worker/request-log.js');
  const { parseLogFormat, parseJsonKeys } = await import('../packages/config/dist/index.js');
  const rounds = opts.lineRounds;
  const fd = fs.openSync('/dev/null', 'w');
  // what a hello-world exchange through node:http looks like to the log
  const headers = { host: '127.0.0.1:8080', 'user-agent': 'wrk' };
  const req = { method: 'GET', url: '/', httpVersion: '1.1', rawHeaders: ['Host', '127.0.0.1:8080', 'User-Agent', 'wrk'], headers, socket: { remoteAddress: '127.0.0.1' } };
  const res = {
    statusCode: 200,
    _header: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Sun, 22 Nov 2026 08:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 12\r\n\r\n',
  };
  const base = { all: true, status4xx: false, status5xx: false, slowMs: 0, bigBytes: 0, zero: false, micros: false, xForwardedFor: false };
  let written = 0;
  const out = (bytes) => (written += fs.writeSync(fd, bytes));
  const contenders = {
    default: new RequestLog(4242, base, out, 1),
    logformat: await RequestLog.open(4242, { ...base, format: parseLogFormat(COMBINED).value }, out, 1),
    json: await RequestLog.open(4242, { ...base, json: [...parseJsonKeys('true').value] }, out, 1),
    // how lines were batched before: each line kept as a string, joined and encoded per 64 KiB
    'default, joined per batch (before)': joinedBatches(new RequestLog(4242, base, () => undefined, 1), out),
  };
  const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  // short slices, every contender in each round in a rotating order: a machine whose speed
  // drifts (other people's processes) weighs on all alike, and the paired ratios show it least
  for (let round = 0; round < rounds; round++) {
    const order = Object.entries(contenders);
    for (let k = 0; k < round % order.length; k++) order.push(order.shift());
    for (const [name, log] of order) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < opts.lines; i++) log.add(req, res, i, i, 141, 0.4, 0);
      log.flush();
      results[name].push(Number(process.hrtime.bigint() - t0) / opts.lines);
    }
  }
  // a line is over 100 bytes: a run that wrote much less measured nothing
  if (written < rounds * opts.lines * Object.keys(contenders).length * 100) throw new Error(`only ${written} bytes were written: the log wrote nothing`);
  const paired = (name) => median(results[name].map((x, i) => x / results.default[i]));
  const header = ['line', 'median ns', 'min', 'max', 'vs default, same round'];
  const rows = Object.entries(results).map(([k, xs]) => [k, median(xs).toFixed(0), Math.min(...xs).toFixed(0), Math.max(...xs).toFixed(0), paired(k).toFixed(2)]);
  console.log(`\n(a) ns per line, ${rounds} interleaved rounds of ${opts.lines.toLocaleString('en')} lines each, to /dev/null\n${textTable(header, rows)}\n`);
  return { header, rows, rounds };
}

/**
 * The batching the request log had before it wrote into one buffer: every line (made as
 * today, by RequestLog's own method) kept as a string until the batch is joined and encoded.
 */
function joinedBatches(log, out) {
  let lines = [];
  let size = 0;
  return {
    add(req, res, workerReq, slotReq, tx, ms, core) {
      const head = res._header ?? '';
      const line = log.uwsgiLine(req, res, head, Math.max(0, tx - head.length), workerReq, slotReq, ms, core);
      lines.push(line);
      size += line.length;
      if (size >= 64 * 1024) this.flush();
    },
    flush() {
      if (lines.length === 0) return;
      out(Buffer.from(lines.join(''), 'latin1'));
      lines = [];
      size = 0;
    },
  };
}

// ---------------------------------------------------------------- (b) server
async function startServer(dir, root, format, tag) {
  const port = await freePort();
  const ini = path.join(dir, `${tag}-${format}-${port}.ini`);
  const logFile = path.join(dir, `${tag}-${format}-${port}.log`);
  fs.writeFileSync(ini, [
    '[tsgi]', `app = ${path.join(APPS_DIR, 'hello.cjs')}`, `http-socket = 127.0.0.1:${port}`, `processes = ${opts.workers}`,
    'die-on-term = true', `logto = ${opts.devnull ? '/dev/null' : logFile}`, ...FORMATS[format].ini, '',
  ].join('\n'));
  const proc = startGroup(process.execPath, [path.join(root, 'apps', 'supervise', 'bin', 'supervise.js'), '--ini', ini], { logFile: path.join(dir, `${tag}-${format}-${port}.stderr`) });
  await waitHttp(port, { isDead: () => proc.child.exitCode !== null, what: `${tag} ${format} (log: ${logFile})` });
  return { port, logFile, pid: proc.pid, stop: () => proc.stop('SIGTERM', 15_000) };
}

async function serverCost() {
  const rounds = opts.rounds;
  const dir = tmpDir('tsgi-bench-request-log-');
  const roots = [['tsgi', ROOT], ...(opts.compare ? [['compare', path.resolve(opts.compare)]] : [])];
  const contenders = roots.flatMap(([tag, root]) => opts.formats.split(',').map((format) => ({ key: `${tag}:${format}`, tag, root, format })));
  const runs = Object.fromEntries(contenders.map((c) => [c.key, []]));
  const notes = [];
  console.log(`(b) server: ${contenders.length} contenders x ${rounds} rounds, ${opts.oneAtATime ? 'one at a time' : 'side by side'}, ${opts.workers} workers, wrk -t1 -c${opts.connections} -d${opts.duration}s (+${opts.warmup}s warm-up), ${os.availableParallelism()} cores shared by wrk and the servers`);
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
    if (opts.oneAtATime) {
      for (const c of order) await measure([c], round);
    } else {
      await measure(order, round);
    }
  }

  /**
   * One measured run of `group`, all at once: every server starts, then gets its own wrk,
   * all of them at the same time, so that whatever else the machine runs weighs on each alike.
   */
  async function measure(group, round) {
    const servers = [];
    try {
      for (const c of group) servers.push({ c, server: await startServer(dir, c.root, c.format, c.tag) });
      if (opts.warmup > 0) await Promise.all(servers.map(({ server }) => wrk(server.port, { seconds: opts.warmup, connections: opts.connections })));
      const j0 = servers.map(({ server }) => serverJiffies(server.pid));
      const cpu0 = cpuSnapshot();
      const results = await Promise.all(servers.map(({ server }) => wrk(server.port, { seconds: opts.duration, connections: opts.connections })));
      const j1 = servers.map(({ server }) => serverJiffies(server.pid));
      const foreign = foreignCpu(cpu0, cpuSnapshot());
      servers.forEach(({ c }, i) => {
        const r = results[i];
        const us = (j) => (j * 10_000) / r.requests; // jiffies (10 ms) per request, in µs
        const run = { round, rps: r.rps, requests: r.requests, errors: r.errors, worker: us(j1[i].workers - j0[i].workers), master: us(j1[i].master - j0[i].master), foreign };
        runs[c.key].push(run);
        console.log(`round ${round + 1} ${c.key.padEnd(18)} ${fmtInt(r.rps).padStart(7)} req/s  worker ${run.worker.toFixed(1)} µs/req  master ${run.master.toFixed(2)} µs/req  others ${foreign.toFixed(0)} % of a core`);
        if (r.errors) notes.push(`round ${round + 1}, ${c.key}: ${r.errors} errors`);
      });
    } catch (e) {
      notes.push(`round ${round + 1}, ${group.map((c) => c.key).join(' ')}: failed: ${e.message}`);
      console.log(`round ${round + 1}: FAILED: ${e.message}`);
    } finally {
      for (const { server } of servers) await server.stop();
    }
    for (const { c, server } of servers) {
      if (c.format === 'off' || opts.devnull) continue;
      // every request of the warm-up and the measured run has its line, once the server stopped
      const lines = fs.readFileSync(server.logFile, 'latin1').split('\n').filter((l) => l.startsWith('[pid: ') || l.startsWith('{') || l.startsWith('127.0.0.1 ')).length;
      const last = runs[c.key].at(-1);
      if (last && last.round === round && lines < last.requests) notes.push(`round ${round + 1}, ${c.key}: ${lines} request lines for ${last.requests} measured requests`);
      fs.rmSync(server.logFile, { force: true });
    }
    await sleep(500);
  }
  // per round, each contender against the server with the log off, same checkout, same round
  const paired = (c, field) => {
    const off = runs[`${c.tag}:off`] ?? [];
    return runs[c.key].map((r) => {
      const b = off.find((x) => x.round === r.round);
      return b ? (field === 'rps' ? r.rps / b.rps : r[field] - b[field]) : NaN;
    }).filter(Number.isFinite);
  };
  const spread = (xs, digits) => (xs.length ? `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}..${Math.max(...xs).toFixed(digits)})` : 'n/a');
  const header = ['contender', 'req/s median (min..max)', 'vs log off, same round', 'worker µs/req', 'extra worker µs per line', 'master µs/req', 'extra master µs per line'];
  const rows = contenders.map((c) => {
    const rs = runs[c.key];
    const label = `${c.tag === 'tsgi' ? '' : `${c.tag}: `}${FORMATS[c.format].label}`;
    const base = c.format === 'off';
    return [
      label,
      spread(rs.map((r) => r.rps), 0),
      base ? '1' : spread(paired(c, 'rps'), 3),
      spread(rs.map((r) => r.worker), 1),
      base ? '-' : spread(paired(c, 'worker'), 1),
      spread(rs.map((r) => r.master), 2),
      base ? '-' : spread(paired(c, 'master'), 2),
    ];
  });
  console.log(`\n${textTable(header, rows)}\n`);
  for (const x of notes) console.log(`note: ${x}`);
  const foreign = Object.values(runs).flat().map((r) => r.foreign);
  return { header, rows, rounds, notes, foreign, contenders, runs };
}

// ---------------------------------------------------------------- (c) profile
/** The frames of the request log: what makes, buffers and writes a line. */
const LOG_FRAMES = /\/(worker\/request-log|log\/request-format|log\/byte-line|log\/ctime)\.js$/;

/**
 * The share of a worker's CPU spent in the request log, from V8's CPU profile of the worker
 * (node-args = --cpu-prof): the samples with a request-log frame on their stack (inclusive:
 * the write of a batch counts) over the samples that were not idle. A ratio within one
 * process, so what else the machine runs weighs on both sides alike.
 */
function logShare(file, fromUs, toUs) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const inLog = new Map();
  const isLog = (id) => {
    if (inLog.has(id)) return inLog.get(id);
    const n = byId.get(id);
    const v = LOG_FRAMES.test(n.callFrame.url) || (parent.has(id) ? isLog(parent.get(id)) : false);
    inLog.set(id, v);
    return v;
  };
  let busy = 0;
  let log = 0;
  // sample times are CLOCK_MONOTONIC µs, as process.hrtime: only the measured wrk run counts
  let t = p.startTime;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    t += dt;
    if (t < fromUs || t > toUs) return;
    const name = byId.get(id).callFrame.functionName;
    if (name === '(idle)') return;
    busy += dt;
    if (isLog(id)) log += dt;
  });
  return { share: busy > 0 ? log / busy : 0, busyMs: busy / 1000 };
}

async function profileCost() {
  const dir = tmpDir('tsgi-bench-request-log-profile-');
  const formats = opts.formats.split(',').filter((f) => f !== 'off');
  const rounds = opts.rounds;
  const shares = Object.fromEntries(formats.map((f) => [f, []]));
  const perReq = Object.fromEntries(formats.map((f) => [f, []]));
  console.log(`(c) profile: ${formats.length} formats x ${rounds} rounds, 1 worker with --cpu-prof, wrk -t1 -c${opts.connections} -d${opts.profileSeconds}s after a ${opts.warmup} s warm-up`);
  for (let round = 0; round < rounds; round++) {
    for (const format of formats.map((_, i) => formats[(i + round) % formats.length])) {
      const profDir = path.join(dir, `${format}-${round}`);
      fs.mkdirSync(profDir);
      const port = await freePort();
      const ini = path.join(dir, `${format}-${round}.ini`);
      const logFile = path.join(dir, `${format}-${round}.log`);
      fs.writeFileSync(ini, [
        '[tsgi]', `app = ${path.join(APPS_DIR, 'hello.cjs')}`, `http-socket = 127.0.0.1:${port}`, 'processes = 1', 'die-on-term = true',
        `logto = ${logFile}`, `node-args = --cpu-prof --cpu-prof-dir=${profDir}`, ...FORMATS[format].ini, '',
      ].join('\n'));
      const proc = startGroup(process.execPath, [path.join(ROOT, 'apps', 'supervise', 'bin', 'supervise.js'), '--ini', ini], { logFile: `${logFile}.stderr` });
      let r;
      let from = 0;
      let to = 0;
      try {
        await waitHttp(port, { isDead: () => proc.child.exitCode !== null, what: `profiled ${format}` });
        if (opts.warmup > 0) await wrk(port, { seconds: opts.warmup, connections: opts.connections });
        from = Number(process.hrtime.bigint() / 1000n);
        r = await wrk(port, { seconds: opts.profileSeconds, connections: opts.connections });
        to = Number(process.hrtime.bigint() / 1000n);
      } finally {
        // the profile is written when the worker exits
        await proc.stop('SIGTERM', 15_000);
      }
      const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no CPU profile in ${profDir}`);
      const { share, busyMs } = logShare(path.join(profDir, file), from, to);
      shares[format].push(share * 100);
      perReq[format].push((share * busyMs * 1000) / r.requests);
      console.log(`round ${round + 1} ${format.padEnd(10)} ${fmtInt(r.rps).padStart(7)} req/s  request log ${(share * 100).toFixed(2)} % of the worker's CPU, ${((share * busyMs * 1000) / r.requests).toFixed(2)} µs/req`);
    }
  }
  const spread = (xs, d) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}..${Math.max(...xs).toFixed(d)})`;
  const header = ['line', "share of the worker's CPU, %", 'µs per request'];
  const rows = formats.map((f) => [FORMATS[f].label, spread(shares[f], 2), spread(perReq[f], 2)]);
  console.log(`\n${textTable(header, rows)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  return { header, rows, rounds };
}

async function main() {
  const info = machineInfo();
  const line = parts.includes('line') ? await lineCost() : undefined;
  const server = parts.includes('server') ? await serverCost() : undefined;
  const profile = parts.includes('profile') ? await profileCost() : undefined;
  if (opts.out === '-') return;
  const md = [
    '# Request log: what a line costs',
    '',
    `- date: ${info.date}`,
    `- machine: ${info.nproc} cores (\`nproc\`), ${info.cpu}, ${info.kernel}; load average ${info.loadavg} at the start, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`,
    `- node ${info.node}, ${info.wrk}`,
    '- command: `node bench/request-log.mjs' + (process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : '') + '`',
    '',
  ];
  if (line) {
    md.push('## (a) Making and buffering one line (ns, in-process, to /dev/null)', '', `${line.rounds} interleaved rounds of ${opts.lines.toLocaleString('en')} lines per contender; median (min, max).`, '', mdTable(line.header, line.rows), '');
  }
  if (server) {
    md.push(
      '## (b) Hello world under wrk: request log off vs on',
      '',
      `${opts.workers} workers, \`wrk -t1 -c${opts.connections} -d${opts.duration}s\` after a ${opts.warmup} s warm-up, ${server.rounds} interleaved rounds (rotating order, a fresh server per run, \`logto\` a file). ` +
        '**wrk and the servers share the same cores**: read the ratios and the CPU per request, not the req/s. ' +
        '"vs log off" is the run\'s req/s over the log-off run of the same round; "extra µs per line" is the run\'s CPU per request minus the log-off run\'s, same round: what a line costs the workers, and the master that writes it. Medians, (min..max) over the rounds.',
      '',
      mdTable(server.header, server.rows),
      '',
      `CPU used by other processes on the machine during the runs: median ${median(server.foreign).toFixed(0)} % of a core (max ${Math.max(...server.foreign).toFixed(0)} %).`,
      '',
      ...(server.notes.length ? ['Notes:', '', ...server.notes.map((x) => `- ${x}`), ''] : []),
    );
  }
  if (profile) {
    md.push(
      "## (c) The request log's share of a worker's CPU (V8 CPU profile)",
      '',
      `1 worker started with \`node-args = --cpu-prof\`, \`wrk -t1 -c${opts.connections} -d${opts.profileSeconds}s\` after a ${opts.warmup} s warm-up, ${profile.rounds} rounds per line; ` +
        'within the measured run, the samples with a request-log frame on their stack (making, buffering and writing the lines) over the samples that were not idle, ' +
        'and that time per request. A ratio within one process: what else runs on the machine weighs on both sides alike. Medians (min..max).',
      '',
      mdTable(profile.header, profile.rows),
      '',
    );
  }
  writeResults(opts.out, md.join('\n'));
}

await runMain(main);
