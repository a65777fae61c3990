// A bare node:cluster server, as the Node docs write it: SCHED_NONE (the kernel spreads
// connections, like tsgi's shared http-socket), N workers each running
// http.createServer(handler).listen(port). The workers do nothing special about signals.
// SCHED=rr: node:cluster's round-robin primary instead (it accepts every connection and
// hands it to a worker, as tsgi's `http` router does).
//
// SIGHUP to this primary performs the textbook rolling restart, one worker at a time:
// fork a new worker -> wait for its 'listening' -> old.disconnect(), with the docs'
// safety net of old.kill() if it has not exited after KILL_TIMEOUT_MS (default 2000).
// "reload complete" is printed when every old worker of that reload has exited
// (the same moment tsgi prints its own "reload complete").
// SIGINT / SIGTERM: kill the workers and exit.
//
// env: PORT, WORKERS (default 2), BENCH_HANDLER (file in bench/apps, default hello.cjs),
//      KILL_TIMEOUT_MS (default 2000), SCHED (none or rr, default none).
import cluster from 'node:cluster';
import http from 'node:http';
import { createRequire } from 'node:module';

const sched = process.env.SCHED || 'none';
if (sched !== 'none' && sched !== 'rr') throw new Error(`SCHED is none or rr, not ${sched}`);
cluster.schedulingPolicy = sched === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE; // must be set before the first fork()

const port = Number(process.env.PORT);
const workers = Number(process.env.WORKERS || 2);
const killTimeoutMs = Number(process.env.KILL_TIMEOUT_MS || 2000);

if (cluster.isPrimary) {
  if (!port) throw new Error('PORT is not set');
  const log = (msg) => process.stdout.write(`${new Date().toISOString()} primary: ${msg}\n`);
  let generation = 1;
  let reloading = false;
  let pendingReload = false;
  let shuttingDown = false;

  const fork = () => {
    const w = cluster.fork();
    w.generation = generation;
    return w;
  };
  for (let i = 0; i < workers; i++) fork();
  log(`started ${workers} workers on 127.0.0.1:${port} (${sched === 'rr' ? 'SCHED_RR' : 'SCHED_NONE'})`);

  cluster.on('exit', (w, code, sig) => {
    if (shuttingDown || w.retiring) return;
    log(`worker ${w.id} (pid ${w.process.pid}) died (${sig || code}), respawning`);
    fork();
  });

  const waitListening = (w) => new Promise((resolve) => {
    w.once('listening', resolve);
    w.once('exit', resolve);
  });
  const retire = (old) => new Promise((resolve) => {
    old.retiring = true;
    if (old.isDead()) return resolve();
    const timer = setTimeout(() => {
      log(`worker ${old.id} (pid ${old.process.pid}) still alive after ${killTimeoutMs} ms, killing`);
      old.kill();
    }, killTimeoutMs);
    old.once('exit', () => { clearTimeout(timer); resolve(); });
    old.disconnect();
  });

  const reload = async () => {
    if (reloading) { pendingReload = true; return; }
    reloading = true;
    generation++;
    log(`SIGHUP: rolling restart to generation ${generation}`);
    const old = Object.values(cluster.workers).filter((w) => w.generation < generation && !w.retiring);
    const exits = [];
    for (const o of old) {
      const n = fork();
      await waitListening(n);
      exits.push(retire(o));
    }
    await Promise.all(exits);
    log(`reload complete: generation ${generation}, ${Object.keys(cluster.workers).length} workers`);
    reloading = false;
    if (pendingReload) { pendingReload = false; reload(); }
  };
  process.on('SIGHUP', reload);

  const shutdown = () => {
    if (shuttingDown) return;
    shuttingDown = true;
    log('shutting down');
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGKILL');
    setTimeout(() => process.exit(0), 200);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
} else {
  const require = createRequire(import.meta.url);
  const handler = require(`./${process.env.BENCH_HANDLER || 'hello.cjs'}`);
  http.createServer(handler).listen(port, '127.0.0.1');
}
