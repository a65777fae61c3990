// Closed-loop keep-alive load generator that counts failures precisely, run as a child of
// bench/reload.mjs (child_process.fork) so the orchestration never stalls its event loop.
//
// Protocol (IPC messages):
//   parent -> {cmd:'start', port, concurrency, timeoutMs, probeMs?}   child -> {type:'started'}
//   parent -> {cmd:'mark', label}   (timestamps an event, e.g. a reload, for the error timeline)
//   parent -> {cmd:'stop', drainMs}  child -> {type:'result', ...} then exits
//
// `concurrency` loops each issue GET / one after another through one shared
// http.Agent({keepAlive:true, maxSockets:concurrency}). Every response that is not a 200
// with a `hello from worker X (pid P)` body, and every error, is counted by code. Nothing
// is retried.
import http from 'node:http';

let running = false;
let agent;
let t0 = Date.now();
const stats = {
  ok: 0,
  failed: 0,
  byCode: {},
  pids: {},
  errors: [], // first 200 failures: {t, code, message}
  failTimes: [], // every failure, ms since the load started
  marks: [],
  maxLatencyMs: 0,
  started: [], // requests by when they began: count per BUCKET_MS since the load started
  slow: [], // requests slower than SLOW_MS: {t: ms since the load started when it began, ms, pid (0: failed)}
  fresh: [], // probes on a fresh connection each: {t, ms, ok, pid}
  stalls: [], // this client's own event loop late by SLOW_MS or more: {t, ms} (a request's latency includes them)
};
const SLOW_MS = 20;
const BUCKET_MS = 100;
const inflight = new Set();
/** the pid that answered the request just counted (0: a failure) */
let lastPid = 0;

function fail(code, message) {
  lastPid = 0;
  stats.failed++;
  stats.byCode[code] = (stats.byCode[code] ?? 0) + 1;
  stats.failTimes.push(Date.now() - t0);
  if (stats.errors.length < 200) stats.errors.push({ t: Date.now() - t0, code, message });
}

function once(port, timeoutMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    let settled = false;
    const done = (fn) => {
      if (settled) return;
      settled = true;
      inflight.delete(req);
      const ms = Date.now() - started;
      if (ms > stats.maxLatencyMs) stats.maxLatencyMs = ms;
      fn();
      const b = Math.floor((started - t0) / BUCKET_MS);
      stats.started[b] = (stats.started[b] ?? 0) + 1;
      if (ms >= SLOW_MS && stats.slow.length < 100_000) stats.slow.push({ t: started - t0, ms, pid: lastPid });
      resolve();
    };
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => done(() => {
        if (res.statusCode !== 200) return fail(`HTTP_${res.statusCode}`, body.slice(0, 100));
        const m = body.match(/hello from worker (\S+) \(pid (\d+)\)/);
        if (!m) return fail('BAD_BODY', body.slice(0, 100));
        stats.ok++;
        lastPid = Number(m[2]);
        stats.pids[m[2]] = (stats.pids[m[2]] ?? 0) + 1;
      }));
      res.on('error', (e) => done(() => fail(e.code ?? 'RESPONSE_ERROR', e.message)));
      res.on('aborted', () => done(() => fail('RESPONSE_ABORTED', 'response aborted')));
    });
    inflight.add(req);
    req.setTimeout(timeoutMs, () => {
      req.destroy(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'CLIENT_TIMEOUT' }));
    });
    req.on('error', (e) => done(() => fail(e.code ?? 'REQUEST_ERROR', e.message)));
  });
}

async function loop(port, timeoutMs) {
  while (running) {
    await once(port, timeoutMs);
    // Never spin hot on a refused port; costs nothing when requests succeed.
    await new Promise(setImmediate);
  }
}

/** One GET on a new connection (Connection: close) every `everyMs`: what a new client waits. */
async function probe(port, everyMs, timeoutMs) {
  while (running) {
    const started = Date.now();
    const pid = await new Promise((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve(res.statusCode === 200 ? Number(body.match(/\(pid (\d+)\)/)?.[1] ?? 0) : 0));
        res.on('error', () => resolve(0));
      });
      req.setTimeout(timeoutMs, () => req.destroy());
      req.on('error', () => resolve(0));
    });
    if (stats.fresh.length < 20000) stats.fresh.push({ t: started - t0, ms: Date.now() - started, ok: pid > 0, pid });
    await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - started))));
  }
}

/** Records when this process's event loop runs late (descheduled, GC): the load's latencies include those stalls. */
function watchLoop() {
  const every = 5;
  let expected = Date.now() + every;
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - expected;
    if (late >= SLOW_MS && stats.stalls.length < 20000) stats.stalls.push({ t: expected - t0, ms: late });
    expected = now + every;
    if (!running) clearInterval(timer);
  }, every);
}

let loops = [];
process.on('message', async (msg) => {
  if (msg.cmd === 'start') {
    agent = new http.Agent({ keepAlive: true, maxSockets: msg.concurrency });
    t0 = Date.now();
    running = true;
    loops = Array.from({ length: msg.concurrency }, () => loop(msg.port, msg.timeoutMs ?? 10_000));
    if (msg.probeMs) loops.push(probe(msg.port, msg.probeMs, msg.timeoutMs ?? 10_000));
    watchLoop();
    process.send({ type: 'started' });
  } else if (msg.cmd === 'mark') {
    stats.marks.push({ t: Date.now() - t0, label: msg.label });
  } else if (msg.cmd === 'stop') {
    running = false;
    // Let requests in flight finish (bounded), then report.
    await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, msg.drainMs ?? 15_000))]);
    const unfinished = inflight.size;
    for (const req of inflight) req.destroy();
    agent?.destroy();
    process.send({ type: 'result', ...stats, unfinished, t0, elapsedMs: Date.now() - t0 }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
