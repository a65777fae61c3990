/**
 * Test harness for e2e tests: spawns the real `supervise`, reads its log,
 * sends real HTTP to 127.0.0.1, and kills what it started by pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SUPERVISE = path.join(ROOT, 'apps/supervise/bin/supervise.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

/** A fresh temporary directory. */
export function tmp(prefix = 'tsgi-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** An ephemeral port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Writes an ini file into dir and returns its path. */
export function writeIni(dir: string, body: string, name = 'app.ini'): string {
  const file = path.join(dir, name);
  writeFileSync(file, body);
  return file;
}

/** Every `supervise` started by this test file, for killAll(). */
const everyInstance: Supervise[] = [];

/** Kills every `supervise` this file started (use in an `after` hook). */
export async function killAll(): Promise<void> {
  for (const s of everyInstance.splice(0)) await s.kill();
}

/** A running `supervise` with its merged stdout+stderr log. */
export class Supervise {
  readonly child: ChildProcess;
  log = '';
  exitCode: number | null | undefined = undefined;
  private readonly exited: Promise<number | null>;
  private waiters: (() => void)[] = [];

  /**
   * `opts.prefix`: a command that execs the master in place, e.g. `ip netns exec NS` (the pid
   * stays the master's); `opts.nodeArgs`: node's own options, before the script;
   * `opts.command`: supervise started another way than the repository's bin (`npx supervise` in an installed project).
   */
  constructor(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; prefix?: string[]; nodeArgs?: string[]; command?: string[] } = {}) {
    const [file, ...before] = opts.command ?? [...(opts.prefix ?? []), process.execPath, ...(opts.nodeArgs ?? []), SUPERVISE];
    this.child = spawn(file!, [...before, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (d: Buffer): void => {
      this.log += d.toString();
      for (const w of this.waiters) w();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    everyInstance.push(this);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.exitCode = code;
        for (const w of this.waiters) w();
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the match once the log matches `re` (searching from `from`), or rejects after `ms`. */
  waitFor(re: RegExp, ms = 10000, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = this.log.slice(from).match(re);
        if (m) {
          cleanup();
          resolve(m);
          return true;
        }
        if (this.exitCode !== undefined) {
          cleanup();
          reject(new Error(`supervise exited (${this.exitCode}) before ${re}; log:\n${this.log}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${ms} ms waiting for ${re}; log:\n${this.log}`));
      }, ms);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      const waiter = (): void => void check();
      this.waiters.push(waiter);
      check();
    });
  }

  /** Waits until `n` workers have logged that their app is ready (counting from `from`). */
  async waitReady(n: number, ms = 15000, from = 0): Promise<void> {
    const deadline = Date.now() + ms;
    while (countMatches(this.log.slice(from), /ready in \d+ ms on worker/g) < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} ready workers; log:\n${this.log}`);
      await this.waitFor(/ready in \d+ ms on worker/, deadline - Date.now(), this.log.length).catch(() => undefined);
    }
  }

  /** Resolves with the exit code, or rejects after `ms`. */
  async waitExit(ms = 10000): Promise<number | null> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`supervise did not exit within ${ms} ms; log:\n${this.log}`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Current worker pid of each slot, from the spawn/respawn log lines. */
  workerPids(): Map<number, number> {
    const pids = new Map<number, number>();
    for (const m of this.log.matchAll(/(?:spawned tsgi worker (\d+) \(pid: (\d+)|Respawned tsgi worker (\d+) \(new pid: (\d+))/g)) {
      pids.set(Number(m[1] ?? m[3]), Number(m[2] ?? m[4]));
    }
    return pids;
  }

  /** Every worker pid ever spawned. */
  allWorkerPids(): number[] {
    return [...this.log.matchAll(/(?:spawned tsgi worker \d+ \(pid: |Respawned tsgi worker \d+ \(new pid: )(\d+)/g)].map((m) => Number(m[1]));
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.pid, sig);
  }

  /** Kills the master (and what started it, `npx` say) and every worker it logged, by pid. Safe to call twice. */
  async kill(): Promise<void> {
    const master = [...this.log.matchAll(/spawned tsgi master process \(pid: (\d+)\)/g)].map((m) => Number(m[1]));
    for (const pid of [this.pid, ...master, ...this.allWorkerPids()]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.exitCode === undefined) await this.waitExit(5000).catch(() => undefined);
  }
}

export interface StartOptions {
  /** a fixture file name, or an absolute path; default node-listener.mjs */
  app?: string;
  processes?: number;
  /** more ini lines */
  ini?: string;
  /** serve stats on another ephemeral port */
  stats?: boolean;
  /** keep the request log on (off by default in tests) */
  logging?: boolean;
  /** workers to wait for; default `processes`; 0 waits only for the master */
  ready?: number;
}

export interface Started {
  sup: Supervise;
  port: number;
  /** `127.0.0.1:port` of the stats server (with `stats: true`) */
  stats: string;
  dir: string;
  ini: string;
}

/** Writes an ini for a fixture app on ephemeral 127.0.0.1 ports, starts `supervise` on it and waits. */
export async function startApp(o: StartOptions = {}): Promise<Started> {
  const dir = tmp();
  const port = await freePort();
  const statsPort = o.stats ? await freePort() : 0;
  const app = o.app ?? 'node-listener.mjs';
  const lines = ['[tsgi]', `app = ${path.isAbsolute(app) ? app : path.join(FIXTURES, app)}`, `http-socket = 127.0.0.1:${port}`];
  if (o.processes !== undefined) lines.push(`processes = ${o.processes}`);
  if (o.stats) lines.push(`stats = 127.0.0.1:${statsPort}`);
  if (!o.logging) lines.push('disable-logging = true');
  const ini = writeIni(dir, `${lines.join('\n')}\n${o.ini ?? ''}`);
  const sup = new Supervise(['--ini', ini]);
  const ready = o.ready ?? o.processes ?? 0;
  if (ready > 0) await sup.waitReady(ready);
  else await sup.waitFor(/spawned tsgi master process/);
  return { sup, port, stats: `127.0.0.1:${statsPort}`, dir, ini };
}

export function countMatches(text: string, re: RegExp): number {
  return [...text.matchAll(re)].length;
}

/**
 * The TCP connections on local `port` (IPv4) that `pid` holds open, by state as
 * /proc/net/tcp spells it ('01' ESTABLISHED, '08' CLOSE_WAIT, ...; listening
 * sockets left out): its socket descriptors matched against the table's inodes.
 */
export function connectionsOf(pid: number, port: number): string[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
      } catch {
        // closed while we looked
      }
    }
  } catch {
    return []; // already gone
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const states: string[] = [];
  for (const row of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = row.trim().split(/\s+/);
    // local address, state (0A = LISTEN), inode
    if (f[1]?.endsWith(`:${hexPort}`) && f[3] !== '0A' && inodes.has(f[9] ?? '')) states.push(f[3]!);
  }
  return states;
}

/** Whether a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP request to 127.0.0.1 (or a unix socket), bounded by `ms`. */
export function request(
  target: number | string,
  pathname = '/',
  opts: { method?: string; body?: string; agent?: http.Agent | false; ms?: number; headers?: http.OutgoingHttpHeaders } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const where = typeof target === 'number' ? { host: '127.0.0.1', port: target } : { socketPath: target };
    const req = http.request(
      { ...where, path: pathname, method: opts.method ?? 'GET', agent: opts.agent ?? false, headers: opts.headers, timeout: opts.ms ?? 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${pathname} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface LoadResult {
  ok: number;
  failed: number;
  errors: Map<string, number>;
  statuses: Map<number, number>;
}

/**
 * A closed-loop HTTP load: `connections` loops each sending requests one after
 * the other (keep-alive through one agent, or a new connection each time)
 * until `stop()` resolves. Every request that does not end in a 200 is a failure.
 */
export function load(port: number, opts: { connections: number; keepAlive: boolean; path?: string; maxMs?: number }): {
  stop: () => Promise<LoadResult>;
  result: LoadResult;
} {
  const result: LoadResult = { ok: 0, failed: 0, errors: new Map(), statuses: new Map() };
  const agent = opts.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: opts.connections }) : false;
  let running = true;
  // bounded in time whatever happens to the test: a failed assertion must not leave it running
  const deadline = Date.now() + (opts.maxMs ?? 60000);
  const loop = async (): Promise<void> => {
    while (running && Date.now() < deadline) {
      try {
        const r = await request(port, opts.path ?? '/', { agent, ms: 10000 });
        if (r.status === 200) result.ok++;
        else {
          result.failed++;
          result.statuses.set(r.status, (result.statuses.get(r.status) ?? 0) + 1);
        }
      } catch (e) {
        result.failed++;
        const key = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        result.errors.set(key, (result.errors.get(key) ?? 0) + 1);
      }
    }
  };
  const loops = Array.from({ length: opts.connections }, loop);
  return {
    result,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      if (agent) agent.destroy();
      return result;
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Why a test that drops to `nobody` cannot run here, or false when it can: it needs
 * root, and a checkout the app user may read (every directory above it searchable,
 * the built worker readable), as it would need in production. `.ci/run` opens the
 * checkout that way; a private clone (mkdtemp's 0700) is skipped with this message.
 */
export function dropTestsSkip(what: string): string | false {
  if (process.getuid?.() !== 0) return `needs root: ${what}`;
  for (let dir = ROOT; ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return `${dir} is not searchable by other users, so nobody cannot run the worker: chmod o+x it (.ci/run does)`;
    if (path.dirname(dir) === dir) break;
  }
  return false;
}

/** Writes `bytes` and collects the answer until the server closes, bounded by `ms`. */
export function exchange(port: number, bytes: Buffer | string, ms: number): Promise<{ data: string; closedAfter: number | undefined }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let data = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('error', () => undefined);
    const bound = setTimeout(() => {
      s.destroy();
      resolve({ data, closedAfter: undefined });
    }, ms);
    s.on('close', () => {
      clearTimeout(bound);
      resolve({ data, closedAfter: Date.now() - t0 });
    });
  });
}
