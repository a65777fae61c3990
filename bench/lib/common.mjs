// Shared helpers for the on-demand benchmarks in bench/ (plain ESM, no build step).
// Everything started here is tracked and killed by pid (process group where the
// child was spawned detached), from finally blocks and on SIGINT/SIGTERM.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH_DIR);
export const APPS_DIR = path.join(BENCH_DIR, 'apps');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
export const SUPERVISE = path.join(ROOT, 'apps', 'supervise', 'bin', 'supervise.js');
export const PM2_BIN = path.join(ROOT, 'node_modules', '.bin', 'pm2');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- argv
/** Tiny `--name value` / `--name=value` / `--flag` parser against a table of defaults. */
export function parseArgs(defaults, usage) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    if (a === '-h' || a === '--help') {
      process.stdout.write(usage);
      process.exit(0);
    }
    if (!a.startsWith('--')) die(`unexpected argument ${a}\n\n${usage}`);
    a = a.slice(2);
    let value;
    const eq = a.indexOf('=');
    if (eq >= 0) { value = a.slice(eq + 1); a = a.slice(0, eq); }
    const key = a.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) die(`unknown option --${a}\n\n${usage}`);
    if (typeof defaults[key] === 'boolean') {
      out[key] = value === undefined ? true : !/^(0|false|no|off)$/i.test(value);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) die(`--${a} needs a value`);
    }
    if (typeof defaults[key] === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) die(`--${a}: not a number: ${value}`);
      out[key] = n;
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function die(msg) {
  process.stderr.write(`${msg}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- cleanup registry
const cleanups = new Set();
/** Register a synchronous-or-async cleanup; returns an unregister function. */
export function onCleanup(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
let cleaningUp = false;
export async function runCleanups() {
  if (cleaningUp) return;
  cleaningUp = true;
  for (const fn of [...cleanups].reverse()) {
    try { await fn(); } catch (e) { process.stderr.write(`cleanup error: ${e?.message ?? e}\n`); }
    cleanups.delete(fn);
  }
  cleaningUp = false;
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    process.stderr.write(`\n${sig}: stopping everything this benchmark started...\n`);
    const hard = setTimeout(() => process.exit(130), 30_000);
    hard.unref();
    await runCleanups();
    process.exit(130);
  });
}

// ---------------------------------------------------------------- processes
export function isAlive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}
/** All live descendants of `root` (Linux /proc), by pid. tsgi's workers run in their own
 *  sessions, so killing the master's process group would not reach them: they are
 *  collected here before a stop and SIGKILLed by pid if they outlive it. */
export function descendants(root) {
  const parent = new Map();
  let entries = [];
  try { entries = fs.readdirSync('/proc'); } catch { return []; }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(e), ppid);
    } catch { /* exited */ }
  }
  const out = [];
  const want = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (want.has(ppid) && !want.has(pid)) { want.add(pid); out.push(pid); grew = true; }
    }
  }
  return out;
}

function groupAlive(pgid) {
  try { process.kill(-pgid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}
function signal(pid, sig) {
  try { process.kill(pid, sig); return true; } catch { return false; }
}

/**
 * Spawn a command detached (its own process group, pgid = pid) with stdout+stderr
 * appended to `logFile` (a plain file: nothing to drain, costs the benchmark nothing).
 * Returns { child, pid, exited: Promise, stop(sig, ms) }.
 */
export function startGroup(cmd, args, { env = process.env, cwd = ROOT, logFile } = {}) {
  const fd = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
  if (typeof fd === 'number') fs.closeSync(fd);
  const exited = new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const pid = child.pid;
  const handle = {
    child,
    pid,
    exited,
    /** Polite signal to the leader only, then SIGKILL the whole group after `ms`. */
    async stop(sig = 'SIGINT', ms = 10_000) {
      if (pid === undefined) return;
      const kids = descendants(pid);
      if (child.exitCode === null && child.signalCode === null) {
        signal(pid, sig);
        await Promise.race([exited, sleep(ms)]);
      }
      if (child.exitCode === null && child.signalCode === null) signal(-pid, 'SIGKILL');
      // Workers of a dead master should go on their own; give them a moment, then force.
      const t0 = Date.now();
      while (groupAlive(pid) && Date.now() - t0 < 2000) await sleep(50);
      if (groupAlive(pid)) signal(-pid, 'SIGKILL');
      // Children in other sessions (tsgi workers): they should exit with their master.
      while (kids.some(isAlive) && Date.now() - t0 < 4000) await sleep(50);
      for (const k of kids) if (isAlive(k)) signal(k, 'SIGKILL');
      await Promise.race([exited, sleep(2000)]);
      unregister();
    },
  };
  const unregister = onCleanup(() => handle.stop('SIGINT', 5000));
  return handle;
}

/** Run a command to completion (async, bounded); resolves { code, stdout, stderr }. */
export function run(cmd, args, { env = process.env, cwd = ROOT, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const unregister = onCleanup(() => signal(-child.pid, 'SIGKILL'));
    const timer = setTimeout(() => {
      stderr += `\n[bench] ${cmd} timed out after ${timeoutMs} ms, killed\n`;
      signal(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => { stderr += String(e); });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      unregister();
      resolve({ code: code ?? (sig ? 128 : 1), signal: sig, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------- network
/** An ephemeral 127.0.0.1 port: bind :0, read it, release it. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function getOnce(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', () => resolve(null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/** Bounded poll until GET / answers 200 `expect` consecutive times; throws on timeout. */
export async function waitHttp(port, { timeoutMs = 20_000, expect = 3, isDead = () => false, what = 'server' } = {}) {
  const t0 = Date.now();
  let ok = 0;
  while (Date.now() - t0 < timeoutMs) {
    if (isDead()) throw new Error(`${what} exited before answering on 127.0.0.1:${port}`);
    const r = await getOnce(port);
    if (r && r.status === 200) {
      if (++ok >= expect) return Date.now() - t0;
    } else {
      ok = 0;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not answer 200 on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------- contenders
export function tmpDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** tsgi: `supervise --ini` with http-socket, processes = N; `nodeArgs` for the master's node (--cpu-prof). */
export async function startTsgi({ dir, app, workers, logging, name = 'tsgi', extra = [], nodeArgs = [] }) {
  const port = await freePort();
  const ini = path.join(dir, `${name}-${port}.ini`);
  const logFile = path.join(dir, `${name}-${port}.log`);
  fs.writeFileSync(ini, [
    '[tsgi]',
    `app = ${app}`,
    `http-socket = 127.0.0.1:${port}`,
    `processes = ${workers}`,
    'master = true',
    `disable-logging = ${logging ? 'false' : 'true'}`,
    'die-on-term = true',
    ...extra,
    '',
  ].join('\n'));
  const proc = startGroup(process.execPath, [...nodeArgs, SUPERVISE, '--ini', ini], { logFile });
  await waitHttp(port, { isDead: () => proc.child.exitCode !== null, what: `${name} (log: ${logFile})` });
  return { name, port, logFile, pid: proc.pid, proc, stop: () => proc.stop('SIGINT', 15_000) };
}

/** A bare node:cluster primary (SCHED_NONE, or round-robin with sched 'rr'), N workers, plain handler. */
export async function startCluster({ dir, handler, workers, name = 'node:cluster', killTimeoutMs = 2000, sched = 'none' }) {
  const port = await freePort();
  const logFile = path.join(dir, `cluster-${port}.log`);
  const env = {
    ...process.env,
    PORT: String(port),
    WORKERS: String(workers),
    BENCH_HANDLER: handler,
    KILL_TIMEOUT_MS: String(killTimeoutMs),
    SCHED: sched,
  };
  const proc = startGroup(process.execPath, [path.join(APPS_DIR, 'cluster-primary.mjs')], { env, logFile });
  await waitHttp(port, { isDead: () => proc.child.exitCode !== null, what: `${name} (log: ${logFile})` });
  return { name, port, logFile, pid: proc.pid, proc, stop: () => proc.stop('SIGINT', 10_000) };
}

/**
 * PM2 cluster mode with a dedicated PM2_HOME (a temp dir), so a user's ~/.pm2 and
 * daemon are never touched. stop() always runs `pm2 kill` with that PM2_HOME, then
 * SIGKILLs by pid whatever is left (daemon from pm2.pid, apps from pids/*.pid).
 */
export async function startPm2({ dir, handler, workers, graceful = true, name = 'pm2' }) {
  const port = await freePort();
  const pm2Home = fs.mkdtempSync(path.join(dir, 'pm2home-'));
  const appName = `bench-${port}`;
  const env = {
    ...process.env,
    PM2_HOME: pm2Home,
    PORT: String(port),
    BENCH_HANDLER: handler,
    BENCH_GRACEFUL: graceful ? '1' : '0',
  };
  delete env.NODE_APP_INSTANCE;
  const pm2 = (args, timeoutMs = 60_000) => run(PM2_BIN, args, { env, timeoutMs });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const pids = collectPm2Pids(pm2Home);
    await pm2(['kill'], 30_000);
    for (const pid of collectPm2Pids(pm2Home).concat(pids)) {
      if (isAlive(pid)) signal(pid, 'SIGKILL');
    }
    unregister();
  };
  const unregister = onCleanup(stop);
  const r = await pm2(['start', path.join(APPS_DIR, 'pm2-app.cjs'), '-i', String(workers), '--name', appName]);
  if (r.code !== 0) {
    await stop();
    throw new Error(`pm2 start failed (${r.code}): ${r.stderr || r.stdout}`);
  }
  try {
    await waitHttp(port, { what: `${name} (PM2_HOME ${pm2Home})` });
  } catch (e) {
    await stop();
    throw e;
  }
  return { name, port, pm2Home, appName, pm2, stop };
}

function collectPm2Pids(pm2Home) {
  const pids = [];
  const read = (f) => {
    try {
      const n = Number(fs.readFileSync(f, 'utf8').trim());
      if (Number.isInteger(n) && n > 1 && n !== process.pid) pids.push(n);
    } catch { /* gone */ }
  };
  read(path.join(pm2Home, 'pm2.pid'));
  try {
    for (const f of fs.readdirSync(path.join(pm2Home, 'pids'))) read(path.join(pm2Home, 'pids', f));
  } catch { /* none */ }
  return pids;
}

// ---------------------------------------------------------------- reporting
/**
 * The one median of bench/: the middle value of the sorted numbers, or the mean of the two
 * middle values when their count is even; NaN for none. (reload.mjs and request-log.mjs used
 * to take the upper of the two middle values, so their even-count medians read a little
 * lower or the same now.)
 */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function machineInfo() {
  let nproc = String(os.availableParallelism?.() ?? os.cpus().length);
  try { nproc = execFileSync('nproc', { encoding: 'utf8' }).trim(); } catch { /* keep */ }
  let wrk = 'not found';
  try {
    const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
    wrk = (r.stdout + r.stderr).split('\n')[0].replace(/\s+Copyright.*$/, '').trim();
  } catch { /* keep */ }
  let pm2 = '?';
  try { pm2 = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'pm2', 'package.json'), 'utf8')).version; } catch { /* keep */ }
  return {
    date: new Date().toISOString(),
    nproc,
    cpu: os.cpus()[0]?.model ?? '?',
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    wrk,
    pm2,
  };
}

/** Render rows (arrays of cells) as an aligned plain-text table. */
export function textTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const w = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(all[0]), w.map((n) => '-'.repeat(n)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export function mdTable(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmtRatio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : 'n/a');

/**
 * CPU time used on this machine by processes outside this benchmark's process tree (other
 * people's builds and test runs, ...), over a window, in % of one core. Two snapshots:
 * user+nice+system jiffies of the whole machine from /proc/stat, minus those of this process
 * and its live descendants (utime+stime+cutime+cstime: a reaped child's time moves into its
 * parent's, so the sum is continuous). Linux only; NaN elsewhere. Assumes USER_HZ = 100.
 */
export function cpuSnapshot() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    let ours = 0;
    for (const pid of [process.pid, ...descendants(process.pid)]) {
      try {
        const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const x = st.slice(st.lastIndexOf(')') + 2).split(' ');
        ours += Number(x[11]) + Number(x[12]) + Number(x[13]) + Number(x[14]);
      } catch { /* exited meanwhile */ }
    }
    return { t: performance.now(), busy: f[0] + f[1] + f[2], ours, steal: f[7] ?? NaN };
  } catch {
    return { t: performance.now(), busy: NaN, ours: NaN, steal: NaN };
  }
}
export function foreignCpu(a, b) {
  const secs = (b.t - a.t) / 1000;
  return Math.max(0, ((b.busy - a.busy) - (b.ours - a.ours)) / secs); // jiffies/s at 100 Hz = % of one core
}
/** Time the hypervisor ran something else on this machine's vCPUs ("steal" in /proc/stat), in % of
 *  one core: every process here, ours included, stood still for that long. */
export function stealCpu(a, b) {
  return Math.max(0, (b.steal - a.steal) / ((b.t - a.t) / 1000));
}

/** CPU time (utime + stime, jiffies) of one process, NaN when it is gone. */
export function processJiffies(pid) {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const x = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return Number(x[11]) + Number(x[12]);
  } catch {
    return NaN;
  }
}

/** CPU time of a supervise master and, separately, of its workers (their live descendants), in jiffies. */
export function serverJiffies(masterPid) {
  let workers = 0;
  for (const pid of descendants(masterPid)) {
    const j = processJiffies(pid);
    if (Number.isFinite(j)) workers += j;
  }
  return { master: processJiffies(masterPid), workers };
}

export const fmtCpu = (x) => (Number.isFinite(x) ? `${Math.round(x)} %` : 'n/a');

/** Writes a results file and says where. */
export function writeResults(out, md) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, md);
  console.log(`results written to ${path.relative(process.cwd(), out) || out}`);
}

/** Runs a benchmark's main(), reports a failure as exit status 1, and always cleans up what it started. */
export async function runMain(main) {
  try {
    await main();
  } catch (e) {
    console.error(e?.stack ?? e);
    process.exitCode = 1;
  } finally {
    await runCleanups();
  }
}

/** Incremental reader of a growing log file. */
export class LogTail {
  constructor(file) { this.file = file; this.offset = 0; this.rest = ''; }
  poll() {
    let fd;
    try { fd = fs.openSync(this.file, 'r'); } catch { return []; }
    const out = [];
    try {
      const buf = Buffer.alloc(1 << 20);
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        const parts = (this.rest + buf.toString('utf8', 0, n)).split('\n');
        this.rest = parts.pop();
        out.push(...parts);
      }
    } finally { fs.closeSync(fd); }
    return out;
  }
  /** Wait (bounded) for a line matching re that was not seen before. */
  async waitFor(re, timeoutMs, onLine = () => {}) {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      for (const line of this.poll()) {
        onLine(line);
        if (re.test(line)) return line;
      }
      await sleep(25);
    }
    throw new Error(`no line matching ${re} in ${this.file} within ${timeoutMs} ms`);
  }
}

/** Lines of a supervise log that look like trouble. */
const ODD = /error|exception|DAMN|died|SIGKILL|MERCY|OOPS|HARAKIRI|too fast|warn|cannot|EADDR|no idle/i;
/** ...except the start-up banner and request-log lines. */
const EXPECTED = /^your mercy for graceful|^\[pid: /;
export function oddLines(logFile) {
  try {
    return [...new Set(fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => ODD.test(l) && !EXPECTED.test(l)))];
  } catch {
    return [];
  }
}

/** Nearest-rank percentile. */
export function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** `CODE n, CODE n` by count, for failure tables. */
export const fmtCodes = (byCode) => Object.entries(byCode).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || '-';

/** The repository HEAD (12 hex), read from .git without running git. */
export function gitHead() {
  try {
    return execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // no git on the machine: read .git (a plain checkout; a worktree's .git is a file)
  }
  try {
    const head = fs.readFileSync(path.join(ROOT, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 12);
    const ref = head.slice(5);
    try { return fs.readFileSync(path.join(ROOT, '.git', ref), 'utf8').trim().slice(0, 12); } catch { /* packed */ }
    const packed = fs.readFileSync(path.join(ROOT, '.git', 'packed-refs'), 'utf8');
    return packed.split('\n').find((l) => l.endsWith(` ${ref}`))?.slice(0, 12) ?? '?';
  } catch {
    return '?';
  }
}

// ---------------------------------------------------------------- wrk
/** Parses wrk's summary (and, with --latency, its percentile lines: `latency.p99` in ms). */
export function parseWrk(text) {
  const num = (re) => { const m = text.match(re); return m ? Number(m[1]) : 0; };
  const rps = text.match(/Requests\/sec:\s+([\d.]+)/);
  const sock = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const socket = sock ? { connect: +sock[1], read: +sock[2], write: +sock[3], timeout: +sock[4] } : { connect: 0, read: 0, write: 0, timeout: 0 };
  const requests = num(/(\d+) requests in /);
  const non2xx = num(/Non-2xx or 3xx responses:\s+(\d+)/);
  const latency = text.match(/Latency\s+(\S+)\s+(\S+)\s+(\S+)/);
  const percentiles = {};
  for (const m of text.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$/gm)) {
    percentiles[`p${m[1]}`] = Number(m[2]) * { us: 0.001, ms: 1, s: 1000 }[m[3]];
  }
  return {
    rps: rps ? Number(rps[1]) : NaN,
    requests,
    non2xx,
    socket,
    errors: non2xx + socket.connect + socket.read + socket.write + socket.timeout,
    latencyAvg: latency ? latency[1] : '?',
    latencyMax: latency ? toMs(latency[3]) : NaN,
    latency: percentiles,
  };
}

function toMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2]] : NaN;
}

/** One wrk run against 127.0.0.1:port; throws when wrk fails or prints no summary. */
export async function wrk(port, { seconds, connections = 64, threads = 1, latency = false, path: urlPath = '/' }) {
  const args = [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, ...(latency ? ['--latency'] : []), `http://127.0.0.1:${port}${urlPath}`];
  const r = await run('wrk', args, { timeoutMs: (seconds + 30) * 1000 });
  if (r.code !== 0) throw new Error(`wrk ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  const parsed = parseWrk(r.stdout);
  if (!Number.isFinite(parsed.rps)) throw new Error(`wrk: no Requests/sec in its output: ${r.stdout}`);
  return { ...parsed, raw: r.stdout };
}
