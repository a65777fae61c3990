/**
 * The entry point of a worker process. The master spawns it with the listening
 * sockets as inherited descriptors and a WorkerBoot in TSGI_WORKER; it loads
 * the app, serves until told to drain, and reports its counters periodically.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { writeSync } from 'node:fs';
import { DEFAULT_LIMITS, EXIT, marked, retirementMercyMs, type MasterMessage, type RecycleReason, type WorkerBoot, type WorkerCounters, type WorkerMessage } from '../protocol.js';
import { Accounting } from './accounting.js';
import { AppErrors } from './app-errors.js';
import { AppLoadError, loadApp, type AppHooks } from './load-app.js';
import { reportDue, type Reported } from './report-gate.js';
import { nextRate, successorDue } from './succession.js';
import { RequestLog, RequestLogFiles, logsAnything } from './request-log.js';
import { WorkerServer, type RequestScope } from './serve.js';
import { readMemory } from '../os/proc.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

const boot = JSON.parse(process.env['TSGI_WORKER'] ?? 'null') as WorkerBoot | null;
if (!boot) {
  writeSync(2, 'tsgi: this is the worker entry point; it is started by `supervise`, not by hand\n');
  process.exit(2);
}
delete process.env['TSGI_WORKER'];
// Not process.ppid: a master killed right after spawning us has already left us to init.
const masterPid = boot.masterPid;
const startedAt = Date.now();

const logErr = (text: string): void => {
  try {
    writeSync(2, text.endsWith('\n') ? text : text + '\n');
  } catch {
    // EPIPE: the master, which reads this pipe, is gone; the worker follows it
  }
};
const send = (m: WorkerMessage): void => {
  if (process.connected) process.send!(marked(m));
};
// the log's reader may go away (`supervise | head`, a restarting log shipper): a lost line, never a lost worker
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

if (process.ppid !== masterPid || !process.connected) process.exit(EXIT.END); // born an orphan
// without the kernel's parent-death signal, a thread watches the master's pid instead (only
// then is node:worker_threads loaded)
if (!boot.parentDeathSignal) (await import('./watchdog.js')).startOrphanWatchdog(masterPid);
process.on('disconnect', () => process.exit(EXIT.END)); // the master is gone: nothing left to serve for
if (boot.procname) process.title = boot.procname;
if (boot.priority !== undefined) {
  try {
    setPriority(boot.priority);
  } catch (err) {
    logErr(`tsgi worker ${boot.id}: cannot set the scheduler priority to ${boot.priority}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (only root can lower a nice value)`);
  }
}
process.argv = [process.argv[0]!, boot.appFile, ...boot.argv];

const limits = boot.limits ?? DEFAULT_LIMITS;
const acct = new Accounting(boot.threads);
// the log files the master hands over; without them (a spawner of its own), stderr, with a copy: a pipe may write later
const requestFiles = boot.requestLogs ? new RequestLogFiles(boot.requestLogs, logErr) : undefined;
const requestLog = logsAnything(boot.log) ? await RequestLog.open(process.pid, boot.log, requestFiles?.write ?? ((t) => process.stderr.write(Buffer.from(t))), boot.id) : undefined;
let server: WorkerServer | undefined;
let draining = false;
let recycleAsked = false;
let elu = performance.eventLoopUtilization();
let lastReported: Reported | undefined;
/** requests per second (succession.ts), updated every report tick */
let rate = 0;
let rateRequests = 0;
let rateAt = Date.now();
let successorAsked = false;
/** ms from this process's start to ready; 0 until then */
let startupMs = 0;
let lastReportedAt = 0;
let ready = false;
/** why an app error wants this worker retired, until the master is asked (once ready and old enough) */
let retirement: string | undefined;
/** the app's optional exports beside its handler (load-app.ts) */
let hooks: AppHooks = {};
let ending = false;
/**
 * How long the app's close() may take when the worker is told to end at once: inside
 * the 3 s the master gives such a worker before SIGKILL (master/worker-pool.ts).
 */
const END_CLOSE_MS = 2000;
/** Left of the mercy when a drain calls close(): the worker still exits itself, with its last report. */
const MERCY_MARGIN_MS = 1000;
let drainStartedAt = 0;
/** the request each piece of app code runs for, so an uncaught error fails that one alone */
const context = new AsyncLocalStorage<RequestScope>();

// Installed before the app loads: a promise it leaves rejected at import is an app error too.
const appErrors = new AppErrors({
  id: boot.id,
  policy: limits.onAppError,
  current: () => context.getStore(),
  log: (line) => {
    requestLog?.flush();
    logErr(line);
  },
  count: () => acct.exception(),
  retire: (detail) => {
    retirement = detail;
    askRetirement();
  },
  exit: () => finish(EXIT.EXCEPTION, 'exception'),
});
process.on('uncaughtException', (err) => appErrors.handle('uncaught exception', err));
process.on('unhandledRejection', (err) => appErrors.handle('unhandled rejection', err));

process.on('SIGTERM', () => void endNow());
process.on('SIGINT', () => void endNow());
process.on('SIGHUP', () => void drain('reload'));
process.on('message', (m: MasterMessage, handle: unknown) => {
  if (m.t === 'conn' && handle) server?.adopt(handle as import('node:net').Socket, m.proto, m.routed === true);
  // the master retires a worker once its successor serves (a shutdown has none): the closes spread (serve.ts)
  else if (m.t === 'drain') void drain(m.reason, m.reason !== 'shutdown');
  else if (m.t === 'shed') server?.shed(m.count);
  else if (m.t === 'status') send({ t: 'status', text: statusReport() });
  else if (m.t === 'reopen-log') {
    // what is buffered was made before the move: it goes to the file it belongs to
    requestLog?.flush();
    requestFiles?.reopen();
  }
});

await start();

async function start(): Promise<void> {
  const t0 = performance.now();
  let app;
  try {
    app = await loadApp(boot!.appFile, boot!.exportName);
  } catch (err) {
    logErr(`tsgi worker ${boot!.id}: ${err instanceof AppLoadError ? err.message : (err as Error).stack}`);
    process.exit(EXIT.FAILED_APP);
  }
  const handler = app.kind === 'node' ? app.handler : (await import('./fetch-adapter.js')).fetchToNode(app.handler);
  hooks = app.hooks;
  server = new WorkerServer(handler, acct, onFinished, onException, {
    limits,
    log: logErr,
    context,
    sendLoad: send,
    ...(boot!.routed ? { routed: true } : {}),
    ...(hooks.upgrade ? { upgrade: hooks.upgrade } : {}),
  });
  if (hooks.setup) {
    try {
      await hooks.setup(server.server);
    } catch (err) {
      // as a failed import: the app cannot serve as it meant to, and a respawn would fail the same way
      logErr(`tsgi worker ${boot!.id}: setup(server) of app ${boot!.appFile} failed: ${(err as Error)?.stack ?? String(err)}`);
      process.exit(EXIT.FAILED_APP);
    }
  }
  await server.listen(boot!.sockets, 511);
  send({ t: 'ready', startupMs: Math.round(performance.now() - t0) });
  // from the process start (Node's own start-up too): what a successor's start will take
  startupMs = Math.round(process.uptime() * 1000);
  ready = true;
  askRetirement();
  setInterval(report, boot!.reportIntervalMs).unref();
}

/**
 * on-app-error = retire: a successor first, then the master retires this worker (it drains).
 * Not before min-worker-lifetime, as max-requests: an app that fails on every request would
 * otherwise keep its slot restarting back to back.
 */
function askRetirement(): void {
  if (retirement === undefined || !ready || draining) return;
  const wait = startedAt + boot!.minWorkerLifetime * 1000 - Date.now();
  if (wait > 0) {
    setTimeout(askRetirement, wait);
    return;
  }
  send({ t: 'successor', reason: 'exception', detail: retirement });
}

function onFinished(req: IncomingMessage, res: ServerResponse): void {
  const f = acct.last;
  requestLog?.add(req, res, acct.requests, boot!.slotRequests + acct.requests, f.tx, f.ms, f.core);
  if (!draining && !recycleAsked) checkRecycle();
  // a drain spreading its closes still serves no more than max-requests: from here on every response closes
  else if (draining && boot!.maxRequests > 0 && acct.requests >= boot!.maxRequests) server?.closeEvery();
}

function onException(err: unknown, req: { method?: string; url?: string }): void {
  requestLog?.flush();
  logErr(`tsgi worker ${boot!.id} (pid: ${process.pid}): exception in ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
}

/** max-requests and reload-on-rss/as, checked after each request as uWSGI does, gated by min-worker-lifetime. */
function checkRecycle(): void {
  const b = boot!;
  if (b.maxRequests === 0 && b.reloadOnRss === 0 && b.reloadOnAs === 0) return;
  const age = (Date.now() - startedAt) / 1000;
  if (!successorAsked && successorDue({ requests: acct.requests, maxRequests: b.maxRequests, rate, age, minWorkerLifetime: b.minWorkerLifetime, startupMs })) {
    successorAsked = true;
    send({ t: 'successor', reason: 'max-requests', detail: `${acct.requests} of ${b.maxRequests} requests at ${Math.round(rate)}/s` });
  }
  if (age < b.minWorkerLifetime) return;
  let reason: RecycleReason | undefined;
  let detail = '';
  if (b.maxRequests > 0 && acct.requests >= b.maxRequests) {
    reason = 'max-requests';
    detail = `max requests reached (${acct.requests} >= ${b.maxRequests})`;
  } else if (b.reloadOnRss > 0 || b.reloadOnAs > 0) {
    const mem = readMemory(process.pid);
    if (mem && b.reloadOnRss > 0 && mem.rss > b.reloadOnRss) {
      reason = 'rss';
      detail = `rss ${mem.rss} > ${b.reloadOnRss}`;
    } else if (mem && b.reloadOnAs > 0 && mem.vsz > b.reloadOnAs) {
      reason = 'as';
      detail = `address space ${mem.vsz} > ${b.reloadOnAs}`;
    }
  }
  if (!reason) return;
  recycleAsked = true;
  logErr(`...The work of process ${process.pid} is done (${detail}). Seeya!`);
  send({ t: 'recycle', reason, detail });
  void drain(reason);
}

function report(): void {
  const next = performance.eventLoopUtilization();
  const delta = performance.eventLoopUtilization(next, elu);
  elu = next;
  const now = Date.now();
  rate = nextRate(rate, acct.requests - rateRequests, now - rateAt);
  rateRequests = acct.requests;
  rateAt = now;
  const gist: Reported = {
    upgraded: server?.upgradedCount ?? 0,
    requests: acct.requests,
    exceptions: acct.exceptions,
    inFlight: acct.inflight.size,
    elu: delta.utilization,
    busy: acct.takeBusyShare(),
    accepting: server?.accepting ?? false,
    draining,
  };
  if (!reportDue(lastReported, gist, now - lastReportedAt)) return;
  lastReported = gist;
  lastReportedAt = now;
  send({ t: 'report', c: withExtras(acct.snapshot(gist.elu, gist.accepting, draining, httpConnections(), gist.busy)) });
}

/** Stops accepting, ends the connections (their closes spread when `spread`: serve.ts), closes the app, exits. */
async function drain(reason: RecycleReason, spread = false): Promise<void> {
  if (draining) return;
  draining = true;
  drainStartedAt = Date.now();
  report();
  if (server) await server.drain(spread);
  if (ending) return;
  const mercy = retirementMercyMs(reason, limits.mercyMs ?? DEFAULT_LIMITS.mercyMs!, limits.reloadMercyMs ?? 0);
  await closeApp(Math.max(0, mercy - (Date.now() - drainStartedAt) - MERCY_MARGIN_MS));
  if (!ending) finish(EXIT.RELOAD, reason);
}

/** SIGTERM: upgraded connections go away, the app's close() gets END_CLOSE_MS, then the worker exits. */
async function endNow(): Promise<void> {
  if (ending) return;
  ending = true;
  server?.sendAway();
  await closeApp(END_CLOSE_MS);
  finish(EXIT.END, 'shutdown');
}

/** the app's close() once started: a drain and a later SIGTERM wait for the same call */
let closing: Promise<void> | undefined;

/**
 * The app's close(), called once, awaited for at most `ms`: a close() that hangs is
 * logged and left behind, and the worker exits anyway (the master would SIGKILL it).
 */
async function closeApp(ms: number): Promise<void> {
  const close = hooks.close;
  if (!close) return;
  closing ??= (async () => {
    try {
      await close();
    } catch (err) {
      logErr(`tsgi worker ${boot!.id} (pid: ${process.pid}): close() of the app failed: ${(err as Error)?.stack ?? String(err)}`);
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([closing.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), ms)))]);
  clearTimeout(timer);
  if (late) logErr(`tsgi worker ${boot!.id} (pid: ${process.pid}): close() of the app did not settle within ${ms / 1000} s; exiting without it`);
}

function finish(code: number, _reason: RecycleReason): void {
  requestLog?.flush();
  report();
  if (process.connected) {
    // Exit once the final report has been handed to the channel, so the master's counters are exact.
    process.send!(marked({ t: 'report', c: withExtras(acct.snapshot(0, false, true)) } satisfies WorkerMessage), () => process.exit(code));
    setTimeout(() => process.exit(code), 1000).unref();
  } else {
    process.exit(code);
  }
}

/** The counters the server keeps beside the accounting: harakiris and open upgraded connections. */
function withExtras(c: WorkerCounters): WorkerCounters {
  if (server && server.harakiris > 0) c.harakiris = server.harakiris;
  if (server && server.upgradedCount > 0) c.upgraded = server.upgradedCount;
  return c;
}

/** Connections serving HTTP: the upgraded ones are counted apart (they are never shed). */
function httpConnections(): number {
  return server ? server.connectionCount - server.upgradedCount : 0;
}

function statusReport(): string {
  const lines = acct.describeInflight();
  const head = `worker ${boot!.id} (pid: ${process.pid}) ${draining ? 'draining' : 'serving'}, ${lines.length} request(s) in flight, ${httpConnections()} connection(s), ${server?.upgradedCount ?? 0} upgraded`;
  return [head, ...lines.map((l) => `  ${l}`)].join('\n');
}
