import { spawn, type ChildProcess } from 'node:child_process';
import { isMarked, marked } from '../protocol.js';
import type { MasterEvent } from './events.js';
import { shutdown } from './lifecycle.js';
import type { MasterParts } from './parts.js';
import { serveStats } from './setup.js';
import type { MasterView } from './view.js';

/** The sockets a new master inherits, as JSON `[{ "name": address, "fd": n }]`. */
export const ENV_INHERIT = 'TSGI_INHERIT_FDS';
/** The pid of the master a new master takes over from. */
export const ENV_UPGRADE_FROM = 'TSGI_UPGRADE_FROM';
/** How a handed-over `http` router socket is named among the inherited ones. */
export const ROUTER_PREFIX = 'http ';

/** The descriptor of the `http` router socket `address` an upgrade handed over, if any. */
export function inheritedRouterFd(env: NodeJS.ProcessEnv, address: string): number | undefined {
  try {
    const list = JSON.parse(env[ENV_INHERIT] ?? '[]') as { name: string; fd: number }[];
    return list.find((x) => x.name === `${ROUTER_PREFIX}${address}`)?.fd;
  } catch {
    return undefined;
  }
}

/** A new master being started by an upgrade, until it says it is ready (or dies). */
export interface Successor {
  child: ChildProcess;
  pid: number;
  since: number;
  ready: boolean;
}

/** How long a new master may take beyond `worker-start-timeout` before the upgrade is called off. */
const EXTRA_MS = 30_000;

/**
 * `supervise --upgrade pidfile` (SIGURG), fifo `U`: a new master is started from
 * the supervise and the Node binary on disk now, with the same command line, so
 * it re-reads the config. It inherits every listening socket (no moment without a
 * listener, unlike a restart), boots its workers, and tells this master once they
 * are ready; only then does this one drain and exit, leaving the pidfile and the
 * sockets to it. A new master that exits or hangs leaves this one serving. The
 * stats address is closed here first so that the new master can bind it (it is
 * reopened if the upgrade fails). The `http` router's sockets are handed over too.
 */
export function startUpgrade(p: MasterParts): void {
  if (!p.state.when('running')) return p.log.log('upgrade asked while the master is not simply running (a reload or a shutdown is under way): ignored');
  if (p.successor) return p.log.log(`upgrade already under way (new master pid ${p.successor.pid})`);
  // the app sockets, then the router's, each named for the new master to find (routers as `http <address>`)
  const sockets = [...p.sockets].map(([name, s]) => [name, s.fd] as [string, number]);
  for (const [address, fd] of p.router?.descriptors(p.cfg.http) ?? []) sockets.push([`${ROUTER_PREFIX}${address}`, fd]);
  p.statsServer?.close();
  p.statsServer = undefined;
  const out = p.logs?.fd() ?? 'inherit';
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      cwd: p.cwd,
      env: {
        ...process.env,
        [ENV_INHERIT]: JSON.stringify(sockets.map(([name], i) => ({ name, fd: 3 + i }))),
        [ENV_UPGRADE_FROM]: String(process.pid),
      },
      // its own session: the new master must outlive this one
      stdio: ['ignore', out, out, ...sockets.map(([, fd]) => fd), 'ipc'],
      detached: true,
      serialization: 'json',
    });
  } catch (err) {
    return upgradeFailed(p, `cannot start it: ${(err as Error).message}`);
  }
  const pid = child.pid ?? 0;
  p.successor = { child, pid, since: p.clock.now(), ready: false };
  p.log.log(`upgrade: starting a new master (pid ${pid}) on the ${sockets.length} listening socket(s); this one serves until it is ready`);
  child.on('message', (m: unknown) => {
    if (isMarked(m) && (m as { t?: unknown }).t === 'upgraded') p.enqueue({ type: 'upgrade', what: 'ready' });
  });
  child.on('exit', (code, signal) => p.enqueue({ type: 'upgrade', what: 'exit', detail: signal ? `killed by ${signal}` : `status ${code}` }));
  child.on('error', (err) => p.enqueue({ type: 'upgrade', what: 'exit', detail: err.message }));
}

/** What the new master of an upgrade said or did, in the loop. */
export function onUpgradeEvent(p: MasterParts, ev: Extract<MasterEvent, { type: 'upgrade' }>): void {
  const s = p.successor;
  if (ev.what === 'stats') return void (p.statsServer = ev.server);
  if (!s) return;
  if (ev.what === 'ready' && !s.ready) {
    s.ready = true;
    p.log.log(`upgrade: the new master (pid ${s.pid}) is ready: this master (pid ${process.pid}) drains and exits`);
    // its router accepts on the same sockets now; ours would only route to workers that are leaving
    p.router?.stopListening();
    return shutdown(p, true, 0);
  }
  if (ev.what === 'exit' && !s.ready) upgradeFailed(p, `the new master (pid ${s.pid}) exited before it was ready (${ev.detail})`);
}

/** The murder step's part: a new master that is not ready in time is stopped, and the upgrade called off. */
export function murderSuccessor(p: MasterParts, now: number): void {
  const s = p.successor;
  if (!s || s.ready || now - s.since < p.cfg.workerStartTimeout * 1000 + EXTRA_MS) return;
  p.log.log(`upgrade: the new master (pid ${s.pid}) is not ready after ${Math.round((now - s.since) / 1000)} s: stopping it`);
  s.since = Infinity; // asked once; its exit completes the failure
  s.child.kill('SIGINT');
}

function upgradeFailed(p: MasterParts, why: string): void {
  p.successor = undefined;
  p.log.log(`*** upgrade failed: ${why}; this master serves on ***`);
  serveStats(p).then(
    (server) => server && p.enqueue({ type: 'upgrade', what: 'stats', server }),
    (err: Error) => p.log.log(`*** cannot serve the stats again: ${err.message} ***`),
  );
}

/**
 * The new master's side: once every wanted slot has a ready worker for the first
 * time, it tells the master it replaces (over the IPC channel it was started with).
 */
export class UpgradeHandshake {
  private told = false;

  constructor(private readonly from: number | undefined) {}

  /** Whether there is still a master to tell (the loop builds no view for it otherwise). */
  get waiting(): boolean {
    return !this.told && this.from !== undefined;
  }

  tick(v: MasterView): void {
    if (!this.waiting || !process.send || !process.connected) return;
    const allReady = v.slots.every((slot) => !slot.active || v.workers.some((w) => w.slot === slot.id && w.state.kind === 'ready'));
    if (v.state.phase !== 'running' || !allReady) return;
    this.told = true;
    process.send(marked({ t: 'upgraded', pid: process.pid }));
  }
}
