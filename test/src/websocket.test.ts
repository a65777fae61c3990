import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { readStats } from '@tsgi/stats-protocol';
import { FIXTURES, Supervise, freePort, isAlive, killAll, request, sleep, startApp, tmp, writeIni } from './harness.js';

after(killAll);

/** Opens a WebSocket to the app and resolves once it is open. */
function open(port: number, pathname = '/ws'): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${pathname}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends `text` and resolves with the app's answer: `<worker pid> <text>`. */
function echo(ws: WebSocket, text: string): Promise<{ pid: number; text: string }> {
  return new Promise((resolve) => {
    ws.once('message', (d) => {
      const [pid, ...rest] = d.toString().split(' ');
      resolve({ pid: Number(pid), text: rest.join(' ') });
    });
    ws.send(text);
  });
}

/** How the client saw its connection end: the close code, and an error if there was one (a reset). */
function ended(ws: WebSocket): Promise<{ code: number; error?: string }> {
  return new Promise((resolve) => {
    let error: string | undefined;
    ws.on('error', (e) => (error = (e as NodeJS.ErrnoException).code ?? e.message));
    ws.once('close', (code) => resolve(error ? { code, error } : { code }));
  });
}

async function waitGone(pids: number[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) throw new Error(`still alive after ${ms} ms: ${pids.filter(isAlive).join(', ')}`);
    await sleep(50);
  }
}

describe('WebSockets and the app module contract', { timeout: 60000 }, () => {
  test('echo through an upgrade export on http-socket; upgraded sockets are not requests in flight, and are counted in stats', async () => {
    const { sup, port, stats } = await startApp({ app: 'websocket-upgrade.mjs', processes: 1, stats: true });
    const ws = await open(port);
    const a = await echo(ws, 'hello');
    assert.equal(a.text, 'hello');
    assert.equal(sup.workerPids().get(1), a.pid);
    // a report or two later: the open WebSocket is no request in flight (the worker is idle for cheaper, idle, harakiri)
    await sleep(600);
    const doc = await readStats(stats);
    assert.equal(doc.workers[0]!.in_flight, 0);
    assert.equal(doc.workers[0]!.cores[0]!.in_request, 0);
    assert.equal(doc.workers[0]!.upgraded, 1, 'the open WebSocket is counted as such');
    // the plain handler still serves ordinary requests
    assert.match((await request(port, '/')).body, /^plain /);
    ws.close();
    await sup.kill();
  });

  test('echo through setup(server) with new WebSocketServer({ server })', async () => {
    const { sup, port } = await startApp({ app: 'websocket-setup.mjs', processes: 2 });
    const sockets = await Promise.all(Array.from({ length: 6 }, () => open(port)));
    const answers = await Promise.all(sockets.map((ws, i) => echo(ws, `n${i}`)));
    assert.deepEqual(answers.map((a) => a.text), sockets.map((_, i) => `n${i}`));
    const pids = new Set(sup.workerPids().values());
    for (const a of answers) assert.ok(pids.has(a.pid), `served by a worker: ${a.pid}`);
    for (const ws of sockets) ws.close();
    await sup.kill();
  });

  test('an Upgrade to an app without upgrade support is refused (400, Connection: close) and the worker lives', async () => {
    const { sup, port } = await startApp({ processes: 1 });
    const pid = sup.workerPids().get(1);
    const refused = await new Promise<Error>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      ws.once('open', () => reject(new Error('opened')));
      ws.once('error', resolve);
    });
    assert.match(refused.message, /Unexpected server response: 400/);
    const r = await request(port, '/');
    assert.equal(r.status, 200);
    assert.match(r.body, new RegExp(` ${pid}\\n$`));
    await sup.kill();
  });

  test('20 open WebSockets + SIGHUP: each gets a close frame 1001, none a reset; new ones reach the new workers', async () => {
    const { sup, port } = await startApp({ app: 'websocket-setup.mjs', processes: 2, ini: 'websocket-drain = 1\n' });
    const oldPids = [...sup.workerPids().values()];
    const sockets = await Promise.all(Array.from({ length: 20 }, () => open(port)));
    const first = await Promise.all(sockets.map((ws) => echo(ws, 'before')));
    for (const a of first) assert.ok(oldPids.includes(a.pid));
    const ends = sockets.map(ended);
    const from = sup.log.length;
    const t0 = Date.now();
    sup.signal('SIGHUP');
    await sup.waitFor(/reload complete/, 15000, from);
    const results = await Promise.all(ends);
    assert.ok(Date.now() - t0 >= 900, 'the sockets had websocket-drain to end on their own');
    assert.deepEqual(results, sockets.map(() => ({ code: 1001 })));
    await waitGone(oldPids, 10000);
    const fresh = await Promise.all(Array.from({ length: 6 }, () => open(port)));
    const after = await Promise.all(fresh.map((ws) => echo(ws, 'after')));
    const newPids = [...sup.workerPids().values()];
    for (const a of after) {
      assert.ok(newPids.includes(a.pid), `served by a new worker: ${a.pid}`);
      assert.ok(!oldPids.includes(a.pid));
    }
    for (const ws of fresh) ws.close();
    await sup.kill();
  });

  test('close() runs on drain (SIGHUP) and on shutdown (SIGINT)', async () => {
    const dir = tmp();
    const { sup } = await startApp({ app: 'websocket-upgrade.mjs', processes: 2, ini: `env = WS_MARKER_DIR=${dir}\n` });
    const gen1 = [...sup.workerPids().values()];
    const from = sup.log.length;
    sup.signal('SIGHUP');
    await sup.waitFor(/reload complete/, 15000, from);
    await waitGone(gen1, 10000);
    for (const pid of gen1) assert.ok(existsSync(path.join(dir, `closed-${pid}`)), `close() ran in drained worker ${pid}`);
    const gen2 = [...sup.workerPids().values()];
    sup.signal('SIGINT');
    await sup.waitExit(10000);
    for (const pid of gen2) assert.ok(existsSync(path.join(dir, `closed-${pid}`)), `close() ran in ended worker ${pid}`);
  });

  test('a close() that hangs is bounded: by the mercy on drain, by 2 s on shutdown', async () => {
    const dir = tmp();
    const { sup, port } = await startApp({
      app: 'websocket-upgrade.mjs',
      processes: 1,
      ini: `env = WS_MARKER_DIR=${dir}\nenv = WS_CLOSE=hang\nworker-reload-mercy = 4\n`,
    });
    const old = sup.workerPids().get(1)!;
    const from = sup.log.length;
    const t0 = Date.now();
    sup.signal('SIGHUP');
    await sup.waitFor(/reload complete/, 15000, from);
    await waitGone([old], 8000);
    const took = Date.now() - t0;
    assert.ok(existsSync(path.join(dir, `hanging-${old}`)), 'close() was called');
    assert.ok(took < 4500, `the worker exited itself within the mercy (${took} ms)`);
    assert.match(sup.log.slice(from), new RegExp(`pid: ${old}\\): close\\(\\) of the app did not settle`));
    assert.doesNotMatch(sup.log.slice(from), /NO MERCY/);
    assert.equal((await request(port, '/')).status, 200);
    const t1 = Date.now();
    sup.signal('SIGINT');
    assert.equal(await sup.waitExit(10000), 0);
    assert.ok(Date.now() - t1 < 3000, 'shutdown waited at most 2 s for close()');
    assert.equal(readdirSync(dir).filter((f) => f.startsWith('hanging-')).length, 2);
  });

  test('a setup(server) that throws fails the app as a failed load (exit 22 with need-app)', async () => {
    const { sup } = await startApp({ app: 'websocket-setup.mjs', processes: 1, ready: 0, ini: 'env = WS_SETUP=throw\nneed-app = true\n' });
    assert.equal(await sup.waitExit(10000), 22);
    assert.match(sup.log, /setup\(server\) of app .*websocket-setup\.mjs failed: Error: setup: the chat database is not there/);
  });

  /** supervise with the app on one ini socket line (`http =`, `socket = … + protocol = http`) instead of http-socket. */
  async function startOn(socketLines: (port: number) => string, processes = 2) {
    const dir = tmp();
    const port = await freePort();
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'websocket-setup.mjs')}\n${socketLines(port)}\nprocesses = ${processes}\ndisable-logging = true\nwebsocket-drain = 1\n`);
    const sup = new Supervise(['--ini', ini]);
    await sup.waitReady(processes);
    return { sup, port };
  }

  for (const [name, lines] of [
    ['the http router (the master hands the connection unread)', (port: number) => `http = 127.0.0.1:${port}`],
    ['a socket with protocol = http', (port: number) => `socket = 127.0.0.1:${port}\nprotocol = http`],
  ] as const) {
    test(`through ${name}: echo, then 1001 on SIGHUP and new sockets on the new workers`, async () => {
      const { sup, port } = await startOn(lines);
      const oldPids = [...sup.workerPids().values()];
      const sockets = await Promise.all(Array.from({ length: 8 }, () => open(port)));
      const answers = await Promise.all(sockets.map((ws, i) => echo(ws, `m${i}`)));
      for (const [i, a] of answers.entries()) {
        assert.equal(a.text, `m${i}`);
        assert.ok(oldPids.includes(a.pid));
      }
      const ends = sockets.map(ended);
      const from = sup.log.length;
      sup.signal('SIGHUP');
      await sup.waitFor(/reload complete/, 15000, from);
      assert.deepEqual(await Promise.all(ends), sockets.map(() => ({ code: 1001 })));
      await waitGone(oldPids, 10000);
      const fresh = await open(port);
      const a = await echo(fresh, 'after');
      assert.ok(!oldPids.includes(a.pid) && [...sup.workerPids().values()].includes(a.pid));
      fresh.close();
      await sup.kill();
    });
  }
});
