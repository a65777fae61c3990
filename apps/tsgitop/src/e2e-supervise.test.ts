/**
 * tsgitop against the real thing: `supervise` runs examples/hello with 4 workers and a
 * stats socket, a few keep-alive clients load it, and tsgitop in tmux must show the four
 * workers (their real pids, from the stats document) and a non-zero RPS, then quit
 * cleanly on `q`. Skipped, saying why, without tmux or without a built supervise.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { readStats, type StatsDocument } from '@tsgi/stats-protocol';
import { quitAndCheckRestored, screenWithWorkers, startTsgitop } from './testing/screen.js';
import { tmuxAvailable, waitFor, type TmuxSession } from './testing/tmux.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SUPERVISE = path.join(REPO, 'apps/supervise/bin/supervise.js');
const SUPERVISE_BUILT = path.join(REPO, 'apps/supervise/dist/main.js');
const APP = path.join(REPO, 'examples/hello/server.js');
const PROCESSES = 4;

const skip = !tmuxAvailable()
  ? 'tmux is not on PATH (CI installs it): the terminal e2e tests need it'
  : !existsSync(SUPERVISE_BUILT)
    ? 'apps/supervise is not built (run `npx tsc -b` at the root)'
    : false;

const cleanups: Array<() => void | Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** `count` distinct ports free a moment ago on 127.0.0.1 (supervise binds them right after). */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => net.createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

/** Starts supervise; the returned cleanup stops it (SIGINT, then SIGKILL after 10 s). */
function startSupervise(ini: string): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [SUPERVISE, '--ini', ini], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  return { child, output: () => output };
}

/** `clients` keep-alive loops of GET / until stopped; each request is bounded. */
function startLoad(port: number, clients: number): { stop(): Promise<void>; count(): number } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let running = true;
  let served = 0;
  const loop = async (): Promise<void> => {
    while (running) {
      await new Promise<void>((resolve) => {
        const request = http.get({ host: '127.0.0.1', port, path: '/', agent, timeout: 5000 }, (response) => {
          response.resume();
          response.on('end', () => {
            served++;
            resolve();
          });
        });
        request.on('timeout', () => request.destroy(new Error('request timed out')));
        request.on('error', () => setTimeout(resolve, 50));
      });
    }
  };
  const loops = Array.from({ length: clients }, loop);
  return {
    count: () => served,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

describe('tsgitop against a real supervise', { skip }, () => {
  it('shows the 4 real workers and a live RPS under load, and q restores the terminal', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tsgitop-e2e-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const [httpPort, statsPort] = (await freePorts(2)) as [number, number];
    const stats = `127.0.0.1:${statsPort}`;
    const ini = path.join(dir, 'app.ini');
    writeFileSync(
      ini,
      ['[tsgi]', `app = ${APP}`, `http-socket = 127.0.0.1:${httpPort}`, `processes = ${PROCESSES}`, `stats = ${stats}`, 'memory-report = true', 'die-on-term = true', ''].join('\n'),
    );
    const supervise = startSupervise(ini);
    const doc = await runningWorkers(stats, 20_000, supervise.output);
    assert.equal(doc.workers.length, PROCESSES);
    const workers = doc.workers.map((worker) => [worker.id, worker.pid] as const);

    const load = startLoad(httpPort, 4);
    cleanups.push(() => load.stop());
    let session: TmuxSession | undefined = startTsgitop(120, 40, stats);
    cleanups.push(() => session?.kill());
    const screen = await waitFor('every real worker row and RPS > 0', 20_000, () => screenWithWorkers(session!, workers), () => session!.capture());
    assert.match(screen, /^tsgi-\d+\.\d+\.\d+ - /);
    assert.match(screen, new RegExp(`masterpid: ${doc.pid}`));
    assert.ok(load.count() > 0, 'the load was served');
    await quitAndCheckRestored(session);
    session.kill();
    session = undefined;
  });
});

/** The first stats document in which every worker runs; fails after `ms` with supervise's output. */
async function runningWorkers(address: string, ms: number, output: () => string): Promise<StatsDocument> {
  const deadline = Date.now() + ms;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const doc = await readStats(address, { timeoutMs: 1000 });
      if (doc.workers.length === PROCESSES && doc.workers.every((worker) => worker.pid > 0)) return doc;
      last = `${doc.workers.length} workers, pids ${doc.workers.map((worker) => worker.pid).join(' ')}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`supervise did not serve stats with ${PROCESSES} running workers within ${ms} ms (${last})\n${output()}`);
}
