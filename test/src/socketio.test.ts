import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { readStats } from '@tsgi/stats-protocol';
import { FIXTURES, Supervise, freePort, killAll, request, sleep, tmp, writeIni } from './harness.js';

after(killAll);

type Transport = 'polling' | 'websocket';

/** What the app's `echo` acknowledges. */
interface Ack {
  pid: number;
  text: string;
  transport: Transport;
}

/** supervise with the socket.io app on 2 workers, behind `http-socket` or the `http` router. */
async function start(on: 'http-socket' | 'http', extra = '', ready = 2): Promise<{ sup: Supervise; port: number; ini: string }> {
  const port = await freePort();
  const ini = writeIni(
    tmp(),
    `[tsgi]\napp = ${path.join(FIXTURES, 'socketio-chat.mjs')}\n${on} = 127.0.0.1:${port}\nprocesses = 2\ndisable-logging = true\nwebsocket-drain = 1\n${extra}`,
  );
  const sup = new Supervise(['--ini', ini]);
  await sup.waitReady(ready);
  return { sup, port, ini };
}

/** 127.0.0.2, 127.0.0.3, …: `n` client addresses (the whole of 127.0.0.0/8 is the loopback); `first` for another set. */
function addresses(n: number, first = 2): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.0.${first + i}`);
}

/**
 * A socket.io client of its own (no Manager shared with the others) connecting from
 * `from`. Its agent keeps no connection alive: each request of the long-polling
 * transport is a connection of its own, as a browser's poll and send are.
 */
function client(port: number, from: string, transports: Transport[], reconnection: boolean): Socket {
  return io(`http://127.0.0.1:${port}`, {
    forceNew: true,
    transports,
    reconnection,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    timeout: 10000,
    // engine.io-client hands it to the polling requests and to ws unchanged; its type says string | boolean
    agent: new http.Agent({ localAddress: from }) as unknown as string,
  });
}

/** Resolves once `s` is connected; rejects when it fails first (no reconnection) or after `ms`. */
function connected(s: Socket, ms = 10000): Promise<void> {
  if (s.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      s.off('connect', ok).off('connect_error', done).off('disconnect', lost);
      if (err) reject(err);
      else resolve();
    };
    const ok = (): void => done();
    const lost = (reason: string): void => done(new Error(`disconnected before connecting: ${reason}`));
    const timer = setTimeout(() => done(new Error(`not connected within ${ms} ms`)), ms);
    s.once('connect', ok).once('connect_error', done).once('disconnect', lost);
  });
}

/** Connects, then `n` echoes one after the other, each acknowledged; rejects as soon as the client is disconnected. */
async function converse(s: Socket, n: number): Promise<Ack[]> {
  await connected(s);
  let onLost: ((reason: string) => void) | undefined;
  const lost = new Promise<never>((_, reject) => s.once('disconnect', (onLost = (reason) => reject(new Error(`disconnected: ${reason}`)))));
  lost.catch(() => undefined);
  try {
    const acks: Ack[] = [];
    for (let i = 0; i < n; i++) {
      const ack = (await Promise.race([s.timeout(5000).emitWithAck('echo', `m${i}`), lost])) as Ack;
      assert.equal(ack.text, `m${i}`);
      acks.push(ack);
    }
    return acks;
  } finally {
    s.off('disconnect', onLost);
  }
}

/** Resolves once the engine has moved from long-polling to its WebSocket. */
function upgraded(s: Socket, ms = 10000): Promise<void> {
  if (s.io.engine.transport.name === 'websocket') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no upgrade to websocket within ${ms} ms`)), ms);
    s.io.engine.once('upgrade', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves at the first 'connect' after the next 'disconnect' (the client reconnected by itself). */
function reconnected(s: Socket, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reconnection within ${ms} ms`)), ms);
    s.once('disconnect', (reason) =>
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(reason);
      }),
    );
  });
}

function closeAll(sockets: Socket[]): void {
  for (const s of sockets) s.close();
}

describe('socket.io (the real server and client packages)', { timeout: 90000 }, () => {
  test('websocket transport on http-socket, io attached in setup(server), 2 workers: every emit is acknowledged', async () => {
    const { sup, port } = await start('http-socket');
    const sockets = addresses(6).map((a) => client(port, a, ['websocket'], false));
    const pids = new Set(sup.workerPids().values());
    for (const acks of await Promise.all(sockets.map((s) => converse(s, 3)))) {
      for (const a of acks) {
        assert.equal(a.transport, 'websocket');
        assert.ok(pids.has(a.pid), `acknowledged by a worker: ${a.pid}`);
      }
      assert.equal(new Set(acks.map((a) => a.pid)).size, 1, 'one WebSocket, one worker');
    }
    closeAll(sockets);
    await sup.kill();
  });

  for (const [name, transports] of [
    ['long-polling only', ['polling']],
    ['long-polling, then the upgrade to websocket', ['polling', 'websocket']],
  ] as const) {
    test(`http-sticky: ${name} through the http router, 12 clients over 2 workers: all succeed, each on one worker`, async () => {
      const { sup, port } = await start('http', 'http-sticky = true\n');
      const workers = new Set(sup.workerPids().values());
      const sockets = addresses(12).map((a) => client(port, a, [...transports], false));
      const conversations = await Promise.all(sockets.map((s) => converse(s, 4)));
      if (transports.length === 2) {
        await Promise.all(sockets.map((s) => upgraded(s)));
        for (const [i, s] of sockets.entries()) {
          const [last] = await converse(s, 1);
          assert.equal(last!.transport, 'websocket');
          conversations[i]!.push(last!);
        }
      }
      const used = new Set<number>();
      for (const [i, acks] of conversations.entries()) {
        const pids = new Set(acks.map((a) => a.pid));
        assert.equal(pids.size, 1, `client ${addresses(12)[i]}: every request on one worker (${[...pids].join(', ')})`);
        const [pid] = pids;
        assert.ok(workers.has(pid!));
        used.add(pid!);
      }
      assert.equal(used.size, 2, 'the clients are spread over both workers');
      assert.doesNotMatch(sup.log, /Session ID unknown/);
      closeAll(sockets);
      await sup.kill();
    });
  }

  test('http-sticky on a unix-socket router: its peers have no address, so it goes by load and says so', async () => {
    const dir = tmp();
    const sock = path.join(dir, 'router.sock');
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'socketio-chat.mjs')}\nhttp = ${sock}\nhttp-sticky = true\nprocesses = 2\ndisable-logging = true\n`);
    const sup = new Supervise(['--ini', ini]);
    await sup.waitReady(2);
    assert.match(sup.log, /http-sticky: the http router on \S+router\.sock is a unix socket, whose clients have no address: its connections go by load/);
    const pids = new Set<string>();
    for (let i = 0; i < 10; i++) pids.add((await request(sock, '/')).body.trim().split(' ')[1]!);
    assert.equal(pids.size, 2, 'both workers serve');
    await sup.kill();
  });

  test('without http-sticky the same long-polling clients fail: their requests reach a worker that never saw their session (400 "Session ID unknown"); set it and SIGHUP, and they succeed', async () => {
    const { sup, port, ini } = await start('http');
    const sockets = addresses(12).map((a) => client(port, a, ['polling'], false));
    const results = await Promise.allSettled(sockets.map((s) => converse(s, 4)));
    const failed = results.filter((r) => r.status === 'rejected');
    assert.ok(failed.length > 0, 'some client lost its session');
    await sup.waitFor(/connection_error 1 Session ID unknown from 127\.0\.0\./, 5000);
    closeAll(sockets);
    // the router reads http-sticky again on a reload; the old workers may drain for a while
    // (a long-poll of a client that gave up stays open until socket.io answers it), but only
    // the new ones are handed connections
    appendFileSync(ini, 'http-sticky = true\n');
    const from = sup.log.length;
    sup.signal('SIGHUP');
    await sup.waitFor(/Gracefully killing worker 1 [^]*Gracefully killing worker 2|Gracefully killing worker 2 [^]*Gracefully killing worker 1/, 15000, from);
    const others = addresses(12, 40);
    const again = others.map((a) => client(port, a, ['polling'], false));
    for (const acks of await Promise.all(again.map((s) => converse(s, 4)))) assert.equal(new Set(acks.map((a) => a.pid)).size, 1);
    // (the first clients' goodbyes may still reach a worker that never knew them: only the new clients count)
    const lost = [...sup.log.matchAll(/Session ID unknown from (\S+)/g)].map((m) => m[1]);
    assert.deepEqual(lost.filter((a) => others.includes(a!)), []);
    closeAll(again);
    await sup.kill();
  });

  test('the http router by load: a worker added beside one holding 6 WebSockets takes the next 6 (open WebSockets count against a worker)', async () => {
    const statsPort = await freePort();
    const stats = `127.0.0.1:${statsPort}`;
    const { sup, port } = await start('http', `cheaper = 1\nstats = ${stats}\n`, 1);
    /** Waits until the master has heard of `n` open WebSockets in all (the router reads the same reports). */
    const known = async (n: number): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        if ((await readStats(stats)).workers.reduce((sum, w) => sum + (w.upgraded ?? 0), 0) === n) return;
        await sleep(50);
      }
      throw new Error(`the master never counted ${n} open WebSockets`);
    };
    /** One more socket.io client over a WebSocket; resolves with the pid of its worker once the master counts it. */
    const open = async (n: number): Promise<{ s: Socket; pid: number }> => {
      const s = client(port, '127.0.0.1', ['websocket'], false);
      const [ack] = await converse(s, 1);
      await known(n);
      return { s, pid: ack!.pid };
    };
    const first = [];
    for (let i = 1; i <= 6; i++) first.push(await open(i));
    const [busy] = sup.workerPids().values();
    assert.ok(first.every((c) => c.pid === busy));
    const from = sup.log.length;
    sup.signal('SIGTTIN');
    await sup.waitReady(1, 15000, from);
    const added = sup.workerPids().get(2)!;
    const next = [];
    for (let i = 7; i <= 12; i++) next.push(await open(i));
    assert.deepEqual(
      next.map((c) => c.pid),
      next.map(() => added),
      'every new WebSocket goes to the worker that held none, until both hold 6',
    );
    const last = await open(13);
    assert.ok([busy, added].includes(last.pid));
    closeAll([...first, ...next, last].map((c) => c.s));
    await sup.kill();
  });

  for (const [name, on, transports, extra] of [
    ['websocket transport on http-socket', 'http-socket', ['websocket'], ''],
    ['long-polling upgraded to websocket, through the sticky http router', 'http', ['polling', 'websocket'], 'http-sticky = true\n'],
  ] as const) {
    test(`SIGHUP with socket.io clients connected (${name}): they reconnect by themselves to the new workers and talk again`, async () => {
      const { sup, port } = await start(on, extra);
      const old = [...sup.workerPids().values()];
      const sockets = addresses(8).map((a) => client(port, a, [...transports], true));
      for (const acks of await Promise.all(sockets.map((s) => converse(s, 2)))) for (const a of acks) assert.ok(old.includes(a.pid));
      await Promise.all(sockets.map((s) => upgraded(s)));
      const back = sockets.map((s) => reconnected(s, 20000));
      const from = sup.log.length;
      sup.signal('SIGHUP');
      await sup.waitFor(/reload complete/, 15000, from);
      const reasons = await Promise.all(back);
      for (const r of reasons) assert.equal(r, 'transport close', 'the server closed the WebSocket (1001), it was not reset');
      const fresh = new Set(sup.workerPids().values());
      for (const acks of await Promise.all(sockets.map((s) => converse(s, 2)))) {
        for (const a of acks) {
          assert.ok(fresh.has(a.pid) && !old.includes(a.pid), `acknowledged by a new worker: ${a.pid}`);
          if (transports.length === 1) assert.equal(a.transport, 'websocket');
        }
      }
      closeAll(sockets);
      await sup.kill();
    });
  }
});
