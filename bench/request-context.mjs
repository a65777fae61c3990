#!/usr/bin/env node
// What running each request in an AsyncLocalStorage context costs a worker (on-app-error
// needs it to know which request an uncaught error came from): the worker's WorkerServer
// with and without the context, each in a child process serving hello world over
// keep-alive, and the server's CPU time per request, medians over interleaved rounds.
// Build first (npx tsc -b).
import { fork } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import net from 'node:net';

const ROUNDS = 7;
const REQUESTS = 20_000;
const CONCURRENCY = 8;

if (process.argv[2] === 'serve') {
  const { WorkerServer } = await import('../packages/supervisor/dist/worker/serve.js');
  const { Accounting } = await import('../packages/supervisor/dist/worker/accounting.js');
  const withContext = process.argv[3] === 'context';
  const opts = withContext ? { context: new AsyncLocalStorage() } : {};
  // BENCH_AWAITS=n: the app awaits n times before answering (default 1, as most apps do at
  // least once: the context's promise hooks run then); 0 answers at once
  const awaits = Number(process.env.BENCH_AWAITS ?? 1);
  const app =
    awaits === 0
      ? (_req, res) => void res.end('hello world\n')
      : async (_req, res) => {
          for (let i = 0; i < awaits; i++) await null;
          res.end('hello world\n');
        };
  const ws = new WorkerServer(app, new Accounting(1), () => undefined, () => undefined, opts);
  const listener = net.createServer((s) => ws.accept(s, 'http', 'bench'));
  listener.listen(0, '127.0.0.1', () => process.send({ port: listener.address().port }));
  let cpu;
  process.on('message', (m) => {
    if (m === 'start') cpu = process.cpuUsage();
    else if (m === 'stop') {
      const d = process.cpuUsage(cpu);
      process.send({ cpuUs: d.user + d.system });
    }
  });
} else {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const get = (port) =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
  const start = async (mode) => {
    const child = fork(new URL(import.meta.url).pathname, ['serve', mode]);
    const { port } = await new Promise((r) => child.once('message', r));
    return { child, port };
  };
  const servers = { plain: await start('plain'), context: await start('context') };
  const results = { plain: [], context: [] };
  const ask = (child, m) => new Promise((r) => { child.once('message', r); child.send(m); });
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['plain', 'context'] : ['context', 'plain'];
    for (const mode of order) {
      const { child, port } = servers[mode];
      for (let i = 0; i < 500; i++) await get(port); // warm
      child.send('start');
      let next = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < REQUESTS) await get(port);
      }));
      const { cpuUs } = await ask(child, 'stop');
      results[mode].push(cpuUs / REQUESTS);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`worker CPU per hello-world request (${process.env.BENCH_AWAITS ?? 1} awaits), ${ROUNDS} interleaved rounds of ${REQUESTS} keep-alive requests; node ${process.version}`);
  for (const [mode, xs] of Object.entries(results)) {
    console.log(`  ${mode.padEnd(8)} median ${median(xs).toFixed(1)} µs  (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`);
  }
  console.log(`  context / plain: ${(median(results.context) / median(results.plain)).toFixed(3)}`);
  agent.destroy();
  for (const { child } of Object.values(servers)) child.kill();
}
