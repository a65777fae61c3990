/**
 * WebSockets and HTTP together through reloads: 100 open WebSockets (the `ws` client) and a
 * 32-connection keep-alive HTTP load (wrk, or the harness's own generator without it), then
 * 3 SIGHUPs. No HTTP request fails; every WebSocket gets a close frame 1001 (never a reset:
 * a 1006 or an error is a failure), reconnects at once as a client would, and echoes from
 * a worker of the new generation. `NO_WRK=1` uses the harness's generator even where wrk is installed.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type WebSocket from 'ws';
import { killAll, load, sleep, startApp } from './harness.js';
import { echo, ended, openWs } from './ws-client.js';

after(killAll);

const WRK = process.env.NO_WRK ? undefined : ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => spawnSync(p, ['-v']).error === undefined);
const SOCKETS = 100;
const CONNECTIONS = 32;
const RELOADS = 3;

/** A running HTTP load; stop() ends it and counts what it sent and what failed. */
interface HttpLoad {
  stop(): Promise<{ requests: number; failed: number; detail: string }>;
}

/**
 * wrk with `connections` keep-alive connections, for at most `maxS` seconds; stopped by SIGINT, after which
 * it prints its totals. A failure is a socket error (connect, read, write, a request over 10 s) or a
 * status other than 2xx/3xx.
 */
function wrkLoad(wrk: string, port: number, connections: number, maxS: number): HttpLoad {
  const child = spawn(wrk, ['-t2', `-c${connections}`, `-d${maxS}s`, '--timeout', '10s', `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stop: async () => {
      child.kill('SIGINT');
      const bound = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(bound);
      const count = (re: RegExp): number => Number(re.exec(out)?.[1] ?? 0);
      const requests = count(/(\d+) requests in /);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
      const failed = errors + count(/Non-2xx or 3xx responses: (\d+)/);
      assert.ok(requests > 0, `wrk ran: ${out}`);
      return { requests, failed, detail: out };
    },
  };
}

/** The harness's closed-loop generator, when wrk is not installed. */
function nodeLoad(port: number, connections: number, maxS: number): HttpLoad {
  const gen = load(port, { connections, keepAlive: true, maxMs: maxS * 1000 });
  return {
    stop: async () => {
      const r = await gen.stop();
      return { requests: r.ok + r.failed, failed: r.failed, detail: JSON.stringify([...r.errors, ...r.statuses]) };
    },
  };
}

/** What one client saw over one reload: how its socket ended, and who answered after it reconnected. */
interface Round {
  end: { code: number; error?: string };
  socket: WebSocket;
  pid: number;
}

/** One client over a reload: waits for its socket to end, reconnects at once and echoes. */
async function ride(ws: WebSocket, port: number, i: number): Promise<Round> {
  const end = await ended(ws);
  const socket = await openWs(port);
  const answer = await echo(socket, `after ${i}`);
  assert.equal(answer.text, `after ${i}`);
  return { end, socket, pid: answer.pid };
}

/** Rejects after `ms` naming what was awaited: a hang fails the test with a reason instead of its timeout. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

describe('WebSockets and HTTP load through reloads', { timeout: 90000 }, () => {
  test(`${SOCKETS} open WebSockets + ${CONNECTIONS} keep-alive HTTP connections, ${RELOADS} SIGHUPs: 0 failed requests, every socket closed 1001 and back on a new worker`, async (t) => {
    const { sup, port } = await startApp({ app: 'websocket-setup.mjs', processes: 2, ini: 'websocket-drain = 1\n' });
    let sockets = await within(Promise.all(Array.from({ length: SOCKETS }, () => openWs(port))), 20000, `opening ${SOCKETS} WebSockets`);
    let pids = (await Promise.all(sockets.map((ws, i) => echo(ws, `before ${i}`)))).map((a) => a.pid);
    const http = WRK ? wrkLoad(WRK, port, CONNECTIONS, 60) : nodeLoad(port, CONNECTIONS, 60);
    let r: Awaited<ReturnType<HttpLoad['stop']>>;
    try {
      await sleep(500);
      for (let round = 1; round <= RELOADS; round++) {
        const generation = [...sup.workerPids().values()];
        for (const pid of pids) assert.ok(generation.includes(pid), `round ${round}: served by the current workers (${pid})`);
        const rides = sockets.map((ws, i) => ride(ws, port, i));
        const from = sup.log.length;
        sup.signal('SIGHUP');
        await sup.waitFor(/reload complete/, 20000, from);
        const rounds = await within(Promise.all(rides), 20000, `round ${round}: every WebSocket closed, reconnected and echoed`);
        const ends = rounds.map((r) => r.end);
        assert.deepEqual(ends.filter((e) => e.code !== 1001 || e.error), [], `round ${round}: every close is a 1001 frame, none a reset`);
        const now = [...sup.workerPids().values()];
        for (const r of rounds) assert.ok(now.includes(r.pid) && !generation.includes(r.pid), `round ${round}: reconnected to a new worker (${r.pid}; old ${generation}, new ${now})`);
        sockets = rounds.map((r) => r.socket);
        pids = rounds.map((r) => r.pid);
      }
    } finally {
      // a failure above propagates; the load is stopped and the sockets closed either way
      r = await http.stop();
      for (const ws of sockets) ws.terminate();
    }
    t.diagnostic(`${r.requests} HTTP requests by ${WRK ? 'wrk' : 'the node load generator'}, ${r.failed} failed`);
    assert.equal(r.failed, 0, `failed HTTP requests: ${r.detail}`);
    assert.ok(r.requests > 500, `requests: ${r.requests}`);
    await sup.kill();
  });
});
