/**
 * The master's sequencing with a fake clock, fake child processes and fake
 * sockets: no process is started, so orderings that e2e runs cannot pin down
 * (who is retired when, what a reload waits for) are checked turn by turn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig, type TsgiConfig } from '@tsgi/config';
import { memoryLogger } from '../log/logger.js';
import { EXIT, marked, type MasterMessage } from '../protocol.js';
import { Master } from './master.js';
import type { SocketBinder } from './setup.js';
import type { StartReadings } from './readings.js';
import type { BoundSocket } from './sockets.js';
import type { SpawnOptions } from './spawn.js';
import { legalMove, StateMachine } from './state.js';

const APP = fileURLToPath(new URL('../../../../test/fixtures/node-listener.mjs', import.meta.url));

/** A worker process that records what the master sends it and dies when told to. */
class FakeChild extends EventEmitter {
  static nextPid = 1000;
  readonly pid = FakeChild.nextPid++;
  connected = true;
  readonly sent: MasterMessage[] = [];
  readonly signals: NodeJS.Signals[] = [];
  constructor(readonly opts: SpawnOptions) {
    super();
  }
  send(msg: MasterMessage, cb?: (err: Error | null) => void): boolean {
    this.sent.push(msg);
    cb?.(null);
    return true;
  }
  kill(signal: NodeJS.Signals): boolean {
    this.signals.push(signal);
    return true;
  }
  /** the worker's side: ready, then exit */
  ready(): void {
    this.emit('message', marked({ t: 'ready', startupMs: 5 }));
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.connected = false;
    this.emit('exit', code, signal);
  }
  get drained(): boolean {
    return this.sent.some((m) => m.t === 'drain');
  }
}

const fakeBinder: SocketBinder = {
  bind: async (name, proto, backlog) => ({ name, proto, kind: 'tcp', fd: -1, port: 1, host: '127.0.0.1', path: '', backlog, close: () => undefined }) satisfies BoundSocket,
  listen: () => undefined,
};

function config(extra: string[] = []): TsgiConfig {
  const r = loadConfig({ argv: ['--app', APP, '--http-socket', '127.0.0.1:0', ...extra], env: {}, cwd: process.cwd() });
  assert.deepEqual(r.errors, []);
  return r.config!;
}

/** A master on a fake clock; `turn` advances the clock and runs one tick. */
async function harness(
  extra: string[] = [],
  o: { start?: boolean; next?: () => TsgiConfig; spawner?: (opts: SpawnOptions) => ChildProcess; env?: NodeJS.ProcessEnv; readings?: StartReadings; cpus?: number } = {},
) {
  let now = 1_000_000;
  const children: FakeChild[] = [];
  const wakers: { stopped: number }[] = [];
  const notified: string[][] = [];
  const logger = memoryLogger();
  const cfg = config(extra);
  const master = new Master({
    config: cfg,
    logger,
    readConfig: () => ({ config: o.next ? o.next() : cfg, errors: [], warnings: [] }),
    spawner: (opts) => {
      if (o.spawner) return o.spawner(opts);
      const c = new FakeChild(opts);
      children.push(c);
      return c as unknown as ChildProcess;
    },
    clock: { now: () => now },
    binder: fakeBinder,
    readings: o.readings ?? false,
    startWaker: () => {
      const w = { stopped: 0 };
      wakers.push(w);
      return { child: { pid: 4242, exitCode: null, signalCode: null, kill: () => true } as unknown as ChildProcess, killAt: 0, stop: () => void w.stopped++ };
    },
    env: o.env ?? {},
    notify: (fields) => notified.push(fields),
    // the machine's CPU count would set reload-surge's default: every successor at once here, unless a test says
    cpus: o.cpus ?? 64,
  });
  if (o.start !== false) await master.start();
  const turn = (ms = 0): void => {
    now += ms;
    master.tick(now);
  };
  const live = () => children.filter((c) => c.connected);
  const phase = () => master.view().state.phase;
  return { master, children, wakers, notified, logger, turn, live, phase, advance: (ms: number) => (now += ms) };
}

test('boot: one worker per slot, ready once they say so', async () => {
  const h = await harness(['--processes', '3']);
  h.turn();
  assert.equal(h.children.length, 3);
  assert.deepEqual(h.master.view().workers.map((w) => w.state.kind), ['starting', 'starting', 'starting']);
  for (const c of h.children) c.ready();
  h.turn();
  assert.deepEqual(h.master.view().workers.map((w) => w.state.kind), ['ready', 'ready', 'ready']);
  assert.equal(h.phase(), 'running');
});

test('a worker that becomes ready is read at once (at spawn its process is not yet exec\'d: nothing to read)', async () => {
  let asked = 0;
  const h = await harness(['--processes', '2'], { readings: () => ({ soon: () => void asked++, close: () => {} }) });
  h.turn();
  assert.equal(h.children.length, 2);
  assert.equal(asked, 0, 'no reading at spawn');
  h.children[0]!.ready();
  h.turn();
  assert.equal(asked, 1, 'one reading when the first is ready');
  h.children[1]!.ready();
  h.turn();
  assert.equal(asked, 2);
});

test('graceful reload: successors first; an old worker is retired only once its slot has a ready successor', async () => {
  const h = await harness(['--processes', '2']);
  h.turn();
  const [a, b] = h.children;
  a!.ready(), b!.ready();
  h.turn();
  h.master.enqueue({ type: 'signal', signal: 'SIGHUP' });
  h.turn();
  assert.equal(h.phase(), 'reloading');
  // the new config's sockets are bound in the background: its workers wait for the `bound` event
  assert.equal(h.children.length, 2);
  await new Promise((r) => setImmediate(r));
  h.turn();
  assert.equal(h.children.length, 4, 'one successor per slot');
  assert.ok(!a!.drained && !b!.drained, 'nobody retired before a successor is ready');
  const [a2, b2] = h.children.slice(2);
  a2!.ready();
  h.turn();
  assert.ok(a!.drained, 'slot 1 retired once its successor is ready');
  assert.ok(!b!.drained, 'slot 2 still waits for its successor');
  b2!.ready();
  h.turn();
  assert.ok(b!.drained);
  assert.equal(h.phase(), 'reloading', 'complete only when the old workers are gone');
  a!.exit(EXIT.RELOAD), b!.exit(EXIT.RELOAD);
  h.turn();
  assert.equal(h.phase(), 'running');
  assert.ok(h.logger.lines.some((l) => l.includes('reload complete: generation 2, 2 workers ready')));
});

test('reload-surge by default: on 2 CPUs one successor starts at a time, the next once the previous is ready', async () => {
  const h = await harness(['--processes', '3'], { cpus: 2 });
  h.turn();
  for (const c of h.children) c.ready();
  h.turn();
  h.master.enqueue({ type: 'signal', signal: 'SIGHUP' });
  h.turn();
  // the new config's sockets are bound in the background: its workers wait for the `bound` event
  await new Promise((r) => setImmediate(r));
  h.turn();
  assert.equal(h.children.length, 4, 'one successor');
  h.turn(5000);
  assert.equal(h.children.length, 4, 'still one, however long it takes to start');
  h.children[3]!.ready();
  h.turn();
  assert.equal(h.children.length, 5, 'the next one once the first is ready');
  assert.ok(h.children[0]!.drained && !h.children[1]!.drained, 'the first old worker retires, the second still serves');
  h.children[4]!.ready();
  h.turn();
  assert.equal(h.children.length, 6);
  h.children[5]!.ready();
  h.turn();
  for (const old of h.children.slice(0, 3)) old.exit(EXIT.RELOAD);
  h.turn();
  assert.equal(h.phase(), 'running');
  assert.ok(h.logger.lines.some((l) => l.includes('reload complete: generation 2, 3 workers ready')), h.logger.lines.join('\n'));
});

test('brutal reload (SIGTERM without die-on-term): old workers get SIGTERM at once, new ones start', async () => {
  const h = await harness(['--processes', '2']);
  h.turn();
  for (const c of h.children) c.ready();
  h.turn();
  h.master.enqueue({ type: 'fifo', letter: 'W' });
  h.turn();
  assert.deepEqual(h.children.slice(0, 2).map((c) => c.signals), [['SIGTERM'], ['SIGTERM']]);
  assert.equal(h.children.length, 4);
});

test('chain reload: one slot at a time, the next only once the previous successor is ready', async () => {
  const h = await harness(['--processes', '3']);
  h.turn();
  for (const c of h.children) c.ready();
  h.turn();
  h.master.enqueue({ type: 'fifo', letter: 'c' });
  h.turn();
  assert.equal(h.children.length, 4, 'one successor, for slot 1');
  assert.equal(h.children[3]!.opts.boot.id, 1);
  h.turn(100);
  assert.equal(h.children.length, 4, 'slot 2 waits');
  h.children[3]!.ready();
  h.turn();
  assert.ok(h.children[0]!.drained, 'slot 1 retired');
  assert.equal(h.children.length, 4, 'the chain moves on at the next turn, once it sees the retirement');
  h.turn();
  assert.equal(h.children.length, 5);
  assert.equal(h.children[4]!.opts.boot.id, 2);
  assert.ok(!h.children[1]!.drained);
  h.children[4]!.ready();
  h.turn();
  h.turn();
  assert.equal(h.children[5]!.opts.boot.id, 3);
  h.children[5]!.ready();
  h.turn();
  h.turn();
  assert.ok(h.children.slice(0, 3).every((c) => c.drained));
  assert.ok(h.logger.lines.some((l) => l.includes('chain reloading complete')));
  assert.equal(h.children.length, 6);
});

test('need-app: an app that never loads ends the master with status 22', async () => {
  const h = await harness(['--processes', '2', '--need-app'], { start: false });
  const done = h.master.run();
  await waitFor(() => h.children.length === 2);
  h.children[0]!.exit(EXIT.FAILED_APP);
  await waitFor(() => h.children[1]!.signals.length > 0);
  assert.deepEqual(h.children[1]!.signals, ['SIGTERM'], 'the other worker is told to end');
  h.children[1]!.exit(EXIT.END);
  assert.equal(await done, EXIT.FAILED_APP);
  assert.ok(h.logger.lines.includes('need-app is set and the app could not be loaded: giving up'));
});

test('pause and resume: SIGSTOP / SIGCONT to every worker; no harakiri while paused', async () => {
  const h = await harness(['--processes', '2', '--harakiri', '1']);
  h.turn();
  for (const c of h.children) c.ready();
  h.turn();
  h.master.enqueue({ type: 'signal', signal: 'SIGTSTP' });
  h.turn();
  assert.deepEqual(h.children.map((c) => c.signals), [['SIGSTOP'], ['SIGSTOP']]);
  h.turn(60_000);
  assert.deepEqual(h.children.map((c) => c.signals), [['SIGSTOP'], ['SIGSTOP']], 'silence while paused is no harakiri');
  h.master.enqueue({ type: 'fifo', letter: 'p' });
  h.turn();
  assert.deepEqual(h.children.map((c) => c.signals), [['SIGSTOP', 'SIGCONT'], ['SIGSTOP', 'SIGCONT']]);
  h.turn(500);
  assert.equal(h.children.flatMap((c) => c.signals).filter((s) => s === 'SIGKILL').length, 0, 'resumed workers get a fresh report window');
});

test('cheap mode: every worker retired, and the first connection brings them back', async () => {
  const h = await harness(['--processes', '2']);
  h.turn();
  for (const c of h.children) c.ready();
  h.turn();
  h.master.enqueue({ type: 'fifo', letter: 'C' });
  h.turn();
  assert.ok(h.children.every((c) => c.drained));
  const s = h.master.view().state;
  assert.ok(s.phase === 'running' && s.cheap);
  assert.ok(h.master.view().slots.every((s) => !s.active && s.lastReason === 'cheap'));
  assert.equal(h.wakers.length, 0, 'no waker while workers still run');
  for (const c of h.children.slice(0, 2)) c.exit(EXIT.RELOAD);
  h.turn();
  assert.equal(h.wakers.length, 1, 'the waker holds the sockets once every worker is gone');
  h.turn(5000);
  assert.equal(h.children.length, 2, 'cheap: nothing spawns');
  h.master.enqueue({ type: 'doorbell' });
  h.turn();
  assert.equal(h.children.length, 4, 'woken: a worker per slot again');
  assert.ok(h.logger.lines.some((l) => l.includes('cheap mode ended by a connection: spawning 2 worker(s)')));
  assert.equal(h.wakers[0]!.stopped, 0, 'the waker keeps the connection until a worker is ready');
  h.children[2]!.ready();
  h.turn();
  assert.equal(h.wakers[0]!.stopped, 1, 'the first ready worker takes over from the waker');
});

test('crash loop: fast deaths back off 2, 4 s; a worker that served is respawned at once', async () => {
  const h = await harness(['--processes', '1', '--forkbomb-delay', '2']);
  h.turn();
  h.children.at(-1)!.exit(1);
  h.turn();
  assert.equal(h.children.length, 2, 'the first fast death respawns at once');
  h.children.at(-1)!.exit(1);
  h.turn();
  assert.equal(h.children.length, 2, 'the second waits');
  h.turn(1900);
  assert.equal(h.children.length, 2);
  h.turn(200);
  assert.equal(h.children.length, 3, 'after forkbomb-delay');
  h.children.at(-1)!.exit(1);
  h.turn();
  h.turn(3900);
  assert.equal(h.children.length, 3, 'the delay doubles');
  h.turn(200);
  assert.equal(h.children.length, 4);
  h.children.at(-1)!.ready();
  h.turn(5000);
  h.children.at(-1)!.exit(null, 'SIGKILL');
  h.turn();
  assert.equal(h.children.length, 5, 'a worker that was ready and lived past the fast-death window respawns at once');
});

test('graceful shutdown: workers drain, one that does not exit is killed after the mercy, then the master stops', async () => {
  const h = await harness(['--processes', '2', '--worker-reload-mercy', '5']);
  h.turn();
  for (const c of h.children) c.ready();
  h.turn();
  h.master.enqueue({ type: 'fifo', letter: 'q' });
  h.turn();
  assert.equal(h.phase(), 'stopping');
  assert.ok(h.children.every((c) => c.drained));
  h.children[0]!.exit(EXIT.RELOAD);
  h.turn(4000);
  assert.deepEqual(h.children[1]!.signals, []);
  h.turn(1500);
  assert.deepEqual(h.children[1]!.signals, ['SIGKILL'], 'no mercy past worker-reload-mercy');
  assert.ok(h.logger.lines.some((l) => l.includes('is taking too much time to die...NO MERCY !!!')));
  h.children[1]!.exit(null, 'SIGKILL');
  h.turn();
  assert.equal(h.phase(), 'stopped');
  assert.equal(h.children.length, 2, 'nothing respawned while stopping');
});

test('a worker dying while its successor starts in a brutal reload is not respawned twice', async () => {
  const h = await harness(['--processes', '1']);
  h.turn();
  h.children[0]!.ready();
  h.turn();
  h.master.enqueue({ type: 'fifo', letter: 'W' });
  h.turn();
  assert.equal(h.children.length, 2);
  h.children[0]!.exit(EXIT.END);
  h.turn();
  h.turn(10);
  assert.equal(h.children.length, 2, 'the successor already serves the slot');
  h.children[1]!.ready();
  h.turn();
  assert.equal(h.phase(), 'running');
});

test('a spawn that throws (EAGAIN) leaves no phantom worker: the slot backs off like a boot failure, and stop still stops', async () => {
  let fail = true;
  const made: FakeChild[] = [];
  const h = await harness(['--processes', '1', '--forkbomb-delay', '2'], {
    spawner: (opts) => {
      if (fail) throw Object.assign(new Error('spawn EAGAIN'), { code: 'EAGAIN' });
      const c = new FakeChild(opts);
      made.push(c);
      return c as unknown as ChildProcess;
    },
  });
  h.turn();
  assert.equal(h.master.view().workers.length, 0, 'no record without a process');
  assert.ok(h.logger.lines.includes('cannot spawn worker 1: spawn EAGAIN'));
  h.turn();
  assert.ok(h.logger.lines.some((l) => l.includes('respawning too fast !!! i have to sleep a bit (2 seconds)')), 'the second failure backs off');
  fail = false;
  h.turn(1000);
  assert.equal(made.length, 0, 'not before the delay');
  h.turn(1100);
  assert.equal(made.length, 1);
  h.master.enqueue({ type: 'signal', signal: 'SIGINT' });
  h.turn();
  made[0]!.exit(EXIT.END);
  h.turn();
  assert.equal(h.phase(), 'stopped');
});

test('a spawn that fails later (an error event, no pid) is reaped as a death, never a worker stuck in starting', async () => {
  const h = await harness(['--processes', '1'], {
    spawner: (opts) => {
      const c = new FakeChild(opts);
      Object.defineProperty(c, 'pid', { value: undefined });
      process.nextTick(() => c.emit('error', new Error('spawn /usr/bin/node EMFILE')));
      return c as unknown as ChildProcess;
    },
  });
  h.turn();
  assert.equal(h.master.view().workers.length, 1);
  await new Promise((r) => setImmediate(r));
  h.turn();
  assert.ok(h.logger.lines.includes('cannot spawn worker 1: spawn /usr/bin/node EMFILE'));
  assert.equal(h.master.view().workers.filter((w) => w.pid === 0 && w.state.kind === 'starting').length <= 1, true);
  h.master.enqueue({ type: 'signal', signal: 'SIGQUIT' });
  h.turn();
  await new Promise((r) => setImmediate(r));
  h.turn();
  assert.equal(h.phase(), 'stopped', 'SIGQUIT stops a master whose spawns fail');
});

test('worker-start-timeout: a worker never ready is killed and counted as a boot failure', async () => {
  const h = await harness(['--processes', '1', '--worker-start-timeout', '5', '--forkbomb-delay', '2']);
  h.turn();
  h.turn(4000);
  assert.deepEqual(h.children[0]!.signals, []);
  h.turn(1500);
  assert.deepEqual(h.children[0]!.signals, ['SIGKILL']);
  assert.ok(h.logger.lines.some((l) => l.includes('not ready after 5 seconds (worker-start-timeout): killing it')));
  h.children[0]!.exit(null, 'SIGKILL');
  h.turn();
  assert.equal(h.children.length, 2, 'the first boot failure respawns at once');
  assert.equal(h.master.view().slots[0]!.lastReason, 'start-timeout');
  h.turn(5500);
  h.children[1]!.exit(null, 'SIGKILL');
  h.turn();
  assert.equal(h.children.length, 2, 'the second waits out forkbomb-delay');
});

test('a reload whose config cannot be read or applied keeps the old one, and the master lives', async () => {
  let throws = false;
  const h = await harness(['--processes', '1'], {
    next: () => {
      if (throws) throw new RangeError('Invalid string length');
      return config(['--processes', '1']);
    },
  });
  h.turn();
  h.children[0]!.ready();
  h.turn();
  throws = true;
  h.master.enqueue({ type: 'signal', signal: 'SIGHUP' });
  h.turn();
  assert.ok(h.logger.lines.some((l) => l.includes('cannot apply the new configuration: Invalid string length; reloading the workers with the previous one')));
  assert.equal(h.phase(), 'reloading');
  assert.equal(h.children.length, 2, 'the workers reload with the config in force');
  h.children[1]!.ready();
  h.turn();
  h.children[0]!.exit(EXIT.RELOAD);
  h.turn();
  assert.equal(h.phase(), 'running');
});

test('malformed worker messages are ignored: a bogus report never reaches the tables', async () => {
  const h = await harness(['--processes', '1']);
  h.turn();
  const c = h.children[0]!;
  c.ready();
  c.emit('message', marked({ t: 'report', c: { note: 'x' } }));
  c.emit('message', marked({ t: 'ready', startupMs: 'soon' }));
  c.emit('message', marked({ t: 'successor', reason: 'because', detail: '' }));
  c.emit('message', { cmd: 'the app’s own' });
  // the app's own message that happens to use one of tsgi's types, unmarked: not ours
  c.emit('message', { t: 'recycle', reason: 'max-requests', detail: 'an app’s own' });
  h.turn();
  const w = h.master.view().workers[0]!;
  assert.equal(w.state.kind, 'ready');
  assert.equal(w.counters, undefined);
  assert.equal(h.logger.lines.filter((l) => l.includes("sent a malformed 'report' message: ignored")).length, 1);
  c.exit(1);
  h.turn();
  assert.equal(h.children.length, 2, 'reaped and respawned as usual');
});

test('IPC fuzz (seed 7): random messages, marked or not, never throw in the master nor corrupt its tables', async () => {
  let a = 7;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const values = (): unknown => pick([0, -1, 1e308, NaN, Infinity, '', 'x'.repeat(100_000), null, undefined, [], {}, [1, 2], { a: 1 }, true, 'max-requests', 'exception', 2 ** 53]);
  const message = (): unknown => {
    const m: Record<string, unknown> = {};
    if (random() < 0.7) m['tsgi'] = pick([1, 1, 1, '1', true, 2]);
    m['t'] = pick(['ready', 'report', 'recycle', 'successor', 'status', 'spooled', 'conn', 'x', 5, undefined]);
    for (const k of ['startupMs', 'c', 'reason', 'detail', 'text', 'dir']) if (random() < 0.5) m[k] = values();
    if (m['t'] === 'report' && random() < 0.5) {
      const cores = Array.from({ length: Math.floor(random() * 3) }, () => ({ requests: values(), inRequest: pick([0, 1, 2]), start: values(), vars: pick([[], ['A=1', ''], [5], values()]) }));
      m['c'] = { requests: values(), exceptions: 0, tx: 0, runningTime: 0, avgRt: 0, inFlight: values(), oldestStart: 0, cores, elu: values(), accepting: pick([true, 1]), draining: false };
    }
    return random() < 0.05 ? pick([null, 'string', 42, [1]]) : m;
  };
  const h = await harness(['--processes', '2', '--harakiri', '5']);
  h.turn();
  for (const c of h.children) c.ready();
  h.turn();
  for (let i = 0; i < 5000; i++) {
    const live = h.live();
    if (live.length > 0) pick(live).emit('message', message());
    if (i % 50 === 0) h.turn(100);
  }
  h.turn();
  for (const w of h.master.view().workers) {
    assert.ok(['starting', 'ready', 'draining', 'ending', 'killed'].includes(w.state.kind));
    if (w.counters) assert.ok(Number.isFinite(w.counters.requests) && Array.isArray(w.counters.cores));
  }
  assert.equal(h.phase() === 'running' || h.phase() === 'reloading', true);
});

test('a ready worker that dies is respawned at once however young; only boot failures back off', async () => {
  const h = await harness(['--processes', '1', '--forkbomb-delay', '2']);
  for (let i = 0; i < 5; i++) {
    h.turn(300);
    h.children.at(-1)!.ready();
    h.turn(300);
    h.children.at(-1)!.exit(null, 'SIGKILL');
  }
  h.turn();
  assert.equal(h.children.length, 6);
  assert.ok(!h.logger.lines.some((l) => l.includes('respawning too fast')));
});

test('the spawn-rate cap: a worker dying right after each start is respawned at most 4 times a second (processes = 1)', async () => {
  const h = await harness(['--processes', '1']);
  h.turn();
  for (let i = 0; i < 6; i++) {
    h.children.at(-1)!.ready();
    h.turn(10);
    h.children.at(-1)!.exit(null, 'SIGKILL');
    h.turn(10);
  }
  assert.equal(h.children.length, 4, 'held by the cap');
  h.turn(1000);
  assert.equal(h.children.length, 5, 'the next once the window moves on');
});

test('systemd: READY=1 once every slot is ready, RELOADING=1 … READY=1 around a reload, STOPPING=1, WATCHDOG=1 at half WATCHDOG_USEC', async () => {
  const h = await harness(['--processes', '2'], { env: { WATCHDOG_USEC: '4000000' } });
  const said = () => h.notified.map((f) => f.filter((x) => !x.startsWith('STATUS=') && !x.startsWith('MONOTONIC_USEC=')).join(' ')).filter((x) => x !== 'WATCHDOG=1' && x !== '');
  h.turn();
  h.children[0]!.ready();
  h.turn();
  assert.deepEqual(said(), [], 'not ready while a slot has no ready worker');
  h.children[1]!.ready();
  h.turn();
  assert.deepEqual(said(), ['READY=1']);
  h.master.enqueue({ type: 'fifo', letter: 'w' });
  h.turn();
  assert.deepEqual(said(), ['READY=1', 'RELOADING=1']);
  assert.ok(h.notified.at(-1)!.some((f) => /^MONOTONIC_USEC=\d+$/.test(f)));
  for (const c of h.children.slice(2)) c.ready();
  h.turn();
  for (const c of h.children.slice(0, 2)) c.exit(EXIT.RELOAD);
  h.turn();
  assert.deepEqual(said(), ['READY=1', 'RELOADING=1', 'READY=1']);
  const pings = h.notified.filter((f) => f[0] === 'WATCHDOG=1').length;
  for (let i = 0; i < 10; i++) h.turn(1000);
  assert.equal(h.notified.filter((f) => f[0] === 'WATCHDOG=1').length - pings, 5, 'every 2 s over 10 s');
  assert.ok(h.notified.some((f) => f.length === 1 && /^STATUS=running: 2 worker\(s\) ready, [\d.]+ req\/s/.test(f[0]!)), 'a running STATUS with the request rate');
  h.master.enqueue({ type: 'fifo', letter: 'q' });
  h.turn();
  assert.deepEqual(said(), ['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
});

test('the phase machine refuses illegal moves and says why', () => {
  const lines: string[] = [];
  const m = new StateMachine((l) => lines.push(l));
  assert.equal(m.move({ phase: 'reloading', brutal: false, binding: false, cheap: false }, 'too early'), false);
  assert.equal(m.phase, 'starting');
  assert.match(lines[0]!, /refused to go from starting to reloading \(too early\)/);
  assert.ok(m.move({ phase: 'running', paused: false, cheap: false }, 'booted'));
  assert.ok(m.move({ phase: 'stopping', graceful: true }, 'q'));
  assert.equal(m.move({ phase: 'running', paused: false, cheap: false }, 'back?'), false);
  assert.ok(m.move({ phase: 'stopped' }, 'done'));
  assert.equal(legalMove('stopped', 'stopped'), false);
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}
