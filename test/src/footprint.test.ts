/**
 * What tsgi costs beside the app: a master that loads only the modules its
 * configuration uses, and workers that die with their master through the
 * kernel's parent-death signal rather than a watchdog thread each (a thread is
 * a second V8 isolate, ~12 MB per worker).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { FIXTURES, ROOT, Supervise, countMatches, freePort, isAlive, killAll, request, sleep, tmp, writeIni } from './harness.js';

after(killAll);

/** Module URLs resolved by process `pid`, from the record-modules.mjs log. */
function modulesOf(log: string, pid: number): string[] {
  if (!existsSync(log)) return [];
  const prefix = `${pid} `;
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length));
}

/** Starts `supervise` on an ini with the module recorder in every process; resolves once `ready` workers are. */
async function recorded(ini: string, ready: number): Promise<{ sup: Supervise; modules: (pid?: number) => string[] }> {
  const dir = tmp('tsgi-footprint-');
  const log = path.join(dir, 'modules.log');
  const recorder = `--import=${path.join(FIXTURES, 'record-modules.mjs')}`;
  const env = { NODE_OPTIONS: [process.env['NODE_OPTIONS'], recorder].filter(Boolean).join(' '), TSGI_TEST_MODULES_LOG: log };
  const sup = new Supervise(['--ini', writeIni(dir, ini)], { env });
  await sup.waitReady(ready);
  return { sup, modules: (pid = sup.pid) => modulesOf(log, pid) };
}

/** util-linux's setpriv where spawn.ts looks for it (master/spawn.ts, parentDeathWrapper). */
const SETPRIV = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => `${d}/setpriv`).filter((f) => {
  try {
    accessSync(f, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

/** What only some configurations need, by the URL it resolves to. */
const OPTIONAL = {
  ws: /\/node_modules\/ws\//,
  'ini (CommonJS, for --show-config)': /\/node_modules\/ini\//,
  'node:crypto': /^node:crypto$/,
  'node:dns': /^node:dns/,
  pidusage: /\/pidusage\//,
  'stats servers': /\/supervisor\/dist\/stats\/servers\.js$/,
  'stats dashboard': /\/supervisor\/dist\/stats\/dashboard\.js$/,
  'stats encoder (@tsgi/stats-protocol)': /\/stats-protocol\/dist\//,
  'http router': /\/supervisor\/dist\/router\/router\.js$/,
  'supervise --upgrade': /\/supervise\/dist\/upgrade\.js$/,
};

/** What only some configurations need in a worker. */
const WORKER_OPTIONAL = /\/worker\/(?:fetch-adapter|uwsgi|routed-load)\.js$|\/log\/(?:request-format|strftime)\.js$/;

function loaded(modules: string[]): string[] {
  return Object.entries(OPTIONAL)
    .filter(([, re]) => modules.some((url) => re.test(url)))
    .map(([name]) => name);
}

describe('the master and its workers load what the configuration uses', () => {
  test('a minimal config (one http-socket): no stats servers, ws, encoder, router, pidusage or upgrade code in the master; no watchdog, fetch adapter, uwsgi protocol, router load reports or log template compiler in a worker', async () => {
    const port = await freePort();
    // the request log on, as shipped: uWSGI's default line needs no template compiler
    const { sup, modules } = await recorded(`[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 2\n`, 2);
    assert.equal((await request(port, '/')).status, 200);
    const urls = modules();
    assert.ok(urls.some((u) => u.endsWith('/supervisor/dist/master/master.js')), `the recorder saw the master's modules:\n${urls.join('\n')}`);
    assert.deepEqual(loaded(urls), [], `modules the minimal config does not use:\n${urls.join('\n')}`);
    // nor do its workers carry the watchdog's thread module (setpriv does the watching), the fetch
    // adapter, what a uwsgi socket, the router or a logformat would need
    const needless = new RegExp(`${SETPRIV.length > 0 ? '^node:worker_threads$|/worker/watchdog\\.js$|' : ''}${WORKER_OPTIONAL.source}`);
    for (const pid of sup.workerPids().values()) {
      const worker = modules(pid);
      assert.ok(worker.some((u) => u.endsWith('/worker/main.js')), `worker ${pid}:\n${worker.join('\n')}`);
      assert.deepEqual(worker.filter((u) => needless.test(u)), [], `worker ${pid}`);
    }
    await sup.kill();
  });

  test('stats-http, an http router, a uwsgi socket and a logformat: their modules are loaded (the recorder sees dynamic imports)', async () => {
    const [port, router, stats, uwsgi] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const ini = [
      '[tsgi]',
      `app = ${path.join(FIXTURES, 'node-listener.mjs')}`,
      `http-socket = 127.0.0.1:${port}`,
      `socket = 127.0.0.1:${uwsgi}`,
      `http = 127.0.0.1:${router}`,
      `stats = 127.0.0.1:${stats}`,
      'stats-http = true',
      'processes = 1',
      'logformat = %(method) %(uri) %(status) %(ltime)',
      '',
    ].join('\n');
    const { sup, modules } = await recorded(ini, 1);
    assert.equal((await request(router, '/')).status, 200);
    const urls = modules();
    // stats-http-dashboard is on by default, and the dashboard checks its token with node:crypto
    assert.deepEqual(loaded(urls).sort(), ['http router', 'node:crypto', 'stats dashboard', 'stats encoder (@tsgi/stats-protocol)', 'stats servers', 'ws'], urls.join('\n'));
    const [worker] = sup.workerPids().values();
    const optional = modules(worker).filter((u) => WORKER_OPTIONAL.test(u)).map((u) => u.replace(/^.*\/dist\//, '')).sort();
    assert.deepEqual(optional, ['log/request-format.js', 'log/strftime.js', 'worker/routed-load.js', 'worker/uwsgi.js'], modules(worker).join('\n'));
    await sup.kill();
  });
});

/**
 * Starts `supervise` under V8's --trace-opt, which prints each optimizing compile on the
 * master's stdout; with logto the master's own lines and its workers' output go to the
 * file, so the captured output holds only the master's compiles. Resolves once a worker is ready.
 */
async function traced(extra: string): Promise<{ sup: Supervise; compiled: () => number }> {
  const dir = tmp('tsgi-footprint-');
  const logto = path.join(dir, 'tsgi.log');
  const port = await freePort();
  const ini = `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 1\ndisable-logging = true\nlogto = ${logto}\n${extra}`;
  const sup = new Supervise(['--ini', writeIni(dir, ini)], { nodeArgs: ['--trace-opt'] });
  const ready = (): boolean => existsSync(logto) && /ready in \d+ ms on worker 1/.test(readFileSync(logto, 'utf8'));
  for (let i = 0; i < 150 && !ready(); i++) await sleep(100);
  assert.ok(ready(), `no worker ready within 15 s; log:\n${existsSync(logto) ? readFileSync(logto, 'utf8') : ''}`);
  return { sup, compiled: () => countMatches(sup.log, /^\[completed optimizing /gm) };
}

/** One stats dump (tcp, dump-and-close), read to the end. */
function statsDump(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.resume();
    s.setTimeout(5000, () => s.destroy(new Error('stats dump timed out')));
    s.on('end', resolve);
    s.on('error', reject);
  });
}

describe("the master's compiler tiers (apps/supervise/src/startup.ts)", () => {
  test('no optimizing compiler during start-up nor for stats dumps without the http router', async () => {
    const stats = await freePort();
    const { sup, compiled } = await traced(`stats = 127.0.0.1:${stats}\n`);
    assert.equal(compiled(), 0, `compiled during start-up:\n${sup.log}`);
    // with V8's default tiers, Node's own code on this path is optimized after ~300 dumps
    for (let i = 0; i < 400; i++) await statsDump(stats);
    assert.equal(compiled(), 0, `compiled for the stats:\n${sup.log}`);
    await sup.kill();
  });

  test("the tsgi package's supervise starts the master as the repository's does (quietStart before the CLI loads)", () => {
    const code = (file: string): string[] =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('//') && !l.startsWith('#!'))
        .map((l) => l.replace('../lib/supervise/dist/', '../dist/'));
    const repository = code('apps/supervise/bin/supervise.js');
    assert.ok(repository[0]?.includes('quietStart') && repository.at(-1)?.includes('main.js'), repository.join('\n'));
    assert.deepEqual(code('packages/tsgi/bin/supervise.js'), repository);
  });

  test("the young generation stays at its start size once set up without the router, and grows with it", () => {
    // a load that keeps what it allocates across scavenges is what makes V8 grow the young generation
    const youngAfterLoad = (router: boolean): number => {
      const code = [
        `const { quietStart, startupDone } = await import(${JSON.stringify(path.join(ROOT, 'apps/supervise/dist/startup.js'))});`,
        "const v8 = await import('node:v8');",
        `quietStart(); startupDone(${router});`,
        'const keep = [];',
        'for (let i = 0; i < 200000; i++) { keep.push({ i, s: String(i) }); if (keep.length > 20000) keep.shift(); }',
        "console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);",
      ].join('\n');
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      return Number(r.stdout.trim());
    };
    const MB = 1024 * 1024;
    const quiet = youngAfterLoad(false);
    const routed = youngAfterLoad(true);
    assert.ok(quiet <= 2 * MB, `without the router the young generation grew to ${(quiet / MB).toFixed(2)} MB`);
    assert.ok(routed > quiet, `with the router it stayed at ${(routed / MB).toFixed(2)} MB (without: ${(quiet / MB).toFixed(2)} MB)`);
  });

  test('with the http router, the optimizing compiler is back once the master runs (the router grows hot)', async () => {
    const router = await freePort();
    // no check at start: with the router, TurboFan is on again once the master is set up, before
    // its workers are ready, and the master's remaining start-up (spawning the workers) may already
    // make one of Node's path helpers hot (it did on a checkout path six characters longer);
    // the quiet start-up itself is the first test's
    const { sup, compiled } = await traced(`http = 127.0.0.1:${router}\n`);
    // the router's code runs per connection: V8 optimizes it after a few hundred (bounded)
    for (let i = 0; i < 3000 && compiled() === 0; i++) assert.equal((await request(router, '/')).status, 200);
    assert.ok(compiled() > 0, 'nothing optimized after 3000 requests through the router: the compiler stayed off');
    await sup.kill();
  });
});

/** Threads of a process, from /proc/<pid>/task. */
const threads = (pid: number): number => readdirSync(`/proc/${pid}/task`).length;

/**
 * Threads of a bare `node` serving HTTP after one asynchronous file read (which starts
 * libuv's thread pool, as loading the app does in a worker): what a worker has
 * without a watchdog thread.
 */
async function bareNodeThreads(): Promise<number> {
  const code = "require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1', () => require('node:fs').readFile(__filename, () => console.log('ready')))";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'], cwd: tmp('tsgi-bare-') });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bare node did not start within 10 s')), 10_000);
      child.stdout!.once('data', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return threads(child.pid!);
  } finally {
    child.kill('SIGKILL');
  }
}

/** CPU time of a process so far, in clock ticks (utime + stime of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Sends a request that never returns to the app's busy loop; resolves with the worker that spins (bounded wait). */
async function spinOne(port: number, workers: number[]): Promise<number> {
  const before = new Map(workers.map((pid) => [pid, cpuTicks(pid)]));
  // never answered: it fails when the worker is killed, which is the point
  void request(port, '/spin', { ms: 30_000 }).catch(() => undefined);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    await sleep(100);
    // 30 ticks: 300 ms of CPU, far more than an idle worker spends in the wait
    const spinning = workers.find((pid) => cpuTicks(pid) - before.get(pid)! >= 30);
    if (spinning !== undefined) return spinning;
  }
  throw new Error('no worker took the /spin request within 10 s');
}

/** SIGKILLs the master; resolves with the ms until every worker was gone, or rejects after `ms`. */
async function killMaster(sup: Supervise, workers: number[], ms = 1000): Promise<number> {
  const t0 = Date.now();
  process.kill(sup.pid, 'SIGKILL');
  while (workers.some(isAlive)) {
    if (Date.now() - t0 > ms) throw new Error(`alive ${ms} ms after the master's SIGKILL: ${workers.filter(isAlive).join(', ')}`);
    await sleep(20);
  }
  return Date.now() - t0;
}


async function startSpinnable(prefix?: string[]): Promise<{ sup: Supervise; port: number; workers: number[] }> {
  const dir = tmp('tsgi-footprint-');
  const port = await freePort();
  const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'misbehaving.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 3\ndisable-logging = true\n`);
  const sup = new Supervise(['--ini', ini], prefix ? { prefix } : {});
  await sup.waitReady(3);
  assert.equal((await request(port, '/')).status, 200);
  return { sup, port, workers: [...sup.workerPids().values()] };
}

describe('workers die with their master', () => {
  test(
    'master SIGKILL: every worker gone within 1 s, one spinning in a busy loop, and no worker runs a watchdog thread',
    { skip: SETPRIV.length === 0 && 'setpriv (util-linux) is not installed: workers fall back to the watchdog thread' },
    async () => {
      const bare = await bareNodeThreads();
      const { sup, port, workers } = await startSpinnable();
      for (const pid of workers) assert.ok(threads(pid) <= bare, `worker ${pid}: ${threads(pid)} threads, a bare node ${bare}: a watchdog thread?`);
      const spinning = await spinOne(port, workers);
      assert.ok(threads(spinning) <= bare);
      const ms = await killMaster(sup, workers);
      assert.ok(ms <= 1000, `${ms} ms`);
    },
  );

  const unshare = spawnSync('unshare', ['--version']).status === 0;
  test(
    'without setpriv: each worker runs the watchdog thread, and a spinning one still dies within 1 s of its master',
    {
      skip:
        (process.getuid?.() !== 0 && 'needs root, to hide setpriv in a mount namespace') ||
        (!unshare && 'needs unshare (util-linux)') ||
        (SETPRIV.length === 0 && 'setpriv is not installed: the first test covers this case'),
    },
    async () => {
      const hide = [...new Set(SETPRIV.map((f) => realpathSync(f)))];
      // a new mount namespace where /dev/null (not executable) covers setpriv, for this supervise only
      const script = `${hide.map((f) => `mount --bind /dev/null '${f}' || exit 97`).join('; ')}; exec "$@"`;
      const bare = await bareNodeThreads();
      const { sup, port, workers } = await startSpinnable(['unshare', '-m', 'sh', '-c', script, 'sh']);
      for (const pid of workers) assert.ok(threads(pid) > bare, `worker ${pid}: ${threads(pid)} threads, a bare node ${bare}: no watchdog thread?`);
      await spinOne(port, workers);
      const ms = await killMaster(sup, workers);
      assert.ok(ms <= 1000, `${ms} ms`);
    },
  );
});
