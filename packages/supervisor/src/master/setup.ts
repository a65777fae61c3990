import os from 'node:os';
import { existsSync } from 'node:fs';
import { removeOwnSocket, type SocketOwner } from '../net/address.js';
import { SupervisorError } from '../errors.js';
import { lookupGroup, lookupUser } from '../os/users.js';
import type { TsgiConfig } from '@tsgi/config';
import type { Logger } from '../log/logger.js';
import { bannerLines, modeLines } from './banner.js';
import { openMasterFifo } from './fifo.js';
import type { MasterParts } from './parts.js';
import { clearSamples } from './sampler.js';
import { enterCheap } from './scaling.js';
import { TouchWatcher } from './touch.js';
import { touchFiles } from './controls.js';
import { refuseLivePidfile, removePidfile, writePidfile } from './pidfile.js';
import { ENV_UPGRADE_FROM, inheritedRouterFd } from './upgrade.js';
import { dropPrivileges, fileOwner, resolveDropTarget } from './privileges.js';
import { configuredSockets } from './reload.js';
import { bindSocket, listenSockets, type BoundSocket } from './sockets.js';
import { resolvePath } from '../os/paths.js';

/** How the master binds and listens; tests pass fakes that touch no socket. */
export interface SocketBinder {
  bind(name: string, proto: 'http' | 'uwsgi', backlog: number, mode: number | undefined, owner?: SocketOwner): Promise<BoundSocket>;
  listen(sockets: BoundSocket[]): void;
}

export const osBinder: SocketBinder = { bind: bindSocket, listen: listenSockets };

/**
 * Binds every configured socket the master does not hold yet, then puts the
 * new ones in the LISTEN state; returns them by configured name. A relative
 * unix path is relative to the master's directory.
 */
export async function bindConfigured(
  c: TsgiConfig,
  have: ReadonlyMap<string, BoundSocket>,
  cwd: string,
  binder: SocketBinder,
  logger: Logger,
): Promise<[string, BoundSocket][]> {
  const fresh: [string, BoundSocket][] = [];
  const owner = c.chownSocket === undefined ? undefined : socketOwner(c.chownSocket);
  for (const [name, proto] of configuredSockets(c)) {
    if (have.has(name)) continue;
    const s = await binder.bind(name.startsWith('/') || name.includes(':') ? name : resolvePath(cwd, name), proto, c.listen, c.chmodSocket, owner);
    fresh.push([name, s]);
    const where = s.kind === 'tcp' ? `TCP address ${s.host}:${s.port}` : `UNIX address ${s.path}`;
    logger.log(`tsgi ${proto} socket ${have.size + fresh.length - 1} bound to ${where} fd ${s.fd}`);
  }
  binder.listen(fresh.map(([, s]) => s));
  return fresh;
}

/**
 * `chown-socket = user[:group]` (uWSGI's): who owns the unix app sockets, so that a
 * front end (nginx as www-data) may connect without `chmod-socket = 666`. Without a
 * group the socket keeps its group (-1 to lchown).
 */
export function socketOwner(spec: string): SocketOwner {
  const [user, group] = spec.split(':', 2) as [string, string | undefined];
  const u = lookupUser(user);
  const uid = u?.id ?? (/^\d+$/.test(user) ? Number(user) : undefined);
  if (uid === undefined) throw new SupervisorError('TSGI_PRIVILEGES', `chown-socket: no such user ${user}`);
  if (!group) return { uid, gid: -1 };
  const gid = lookupGroup(group)?.id ?? (/^\d+$/.test(group) ? Number(group) : undefined);
  if (gid === undefined) throw new SupervisorError('TSGI_PRIVILEGES', `chown-socket: no such group ${group}`);
  return { uid, gid };
}

/**
 * `prio`: the master's nice value, which every process it starts inherits. Set before
 * uid/gid give up root, so that a negative one can work (uWSGI sets it after).
 */
export function setPriority(logger: Logger, prio: number | undefined): void {
  if (prio === undefined) return;
  try {
    os.setPriority(prio);
    logger.log(`scheduler priority set to ${prio}`);
  } catch (err) {
    logger.log(`*** cannot set the scheduler priority to ${prio}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (only root can lower a nice value) ***`);
  }
}

/** The master this one takes over from, when an upgrade started it (it may find its pidfile naming that one). */
function upgradedFrom(): number | undefined {
  const from = process.env[ENV_UPGRADE_FROM];
  return from === undefined ? undefined : Number(from);
}

/** `pidfile`, then `prio` and `uid`/`gid`, in the order uWSGI's users expect. */
function becomeMaster(logger: Logger, c: TsgiConfig, cwd: string): void {
  const target = resolveDropTarget(c.uid, c.gid);
  if (c.pidfile) writePidfile(resolvePath(cwd, c.pidfile), process.pid, fileOwner(target), upgradedFrom());
  setPriority(logger, c.prio);
  dropPrivileges(logger, target);
}

/**
 * On exit, with `vacuum`: remove the pidfile and the unix sockets. Best effort: after
 * a uid drop the master may no longer remove a file in a root-owned directory, and
 * that is logged, not a failed shutdown (each step is tried whatever the others did).
 */
function vacuum(logger: Logger, c: TsgiConfig, cwd: string, sockets: Iterable<BoundSocket>): void {
  if (!c.vacuum) return;
  const attempt = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      logger.log(`vacuum: cannot remove ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  if (c.pidfile) {
    const file = resolvePath(cwd, c.pidfile);
    attempt(`pidfile ${file}`, () => removePidfile(file, process.pid));
  }
  for (const s of sockets) {
    // an inherited socket (socket activation, an upgrade) has no path: it is not ours to remove
    if (s.kind !== 'unix' || !s.path) continue;
    attempt(`unix socket ${s.path}`, () => {
      if (s.fileId === undefined) return;
      // another instance may have bound the path since: its socket is not ours to remove
      if (!removeOwnSocket(s.path, s.fileId) && existsSync(s.path)) logger.log(`vacuum: left ${s.path}, another socket is there now`);
    });
  }
}

/**
 * Everything before the loop, in uWSGI's order: banner, sockets, router,
 * pidfile, priority, privileges, slots, spoolers, cheaper, then the fifos,
 * touch files, readings and the stats server.
 */
export async function setUp(p: MasterParts): Promise<void> {
  const c = p.cfg;
  // before any socket, pidfile or fifo exists; workers and spoolers inherit it
  if (c.umask !== undefined) process.umask(c.umask);
  for (const line of bannerLines(c, p.cwd)) p.log.log(line);
  // before binding: a second master on the same pidfile starts nothing
  if (c.pidfile) refuseLivePidfile(resolvePath(p.cwd, c.pidfile), process.pid, upgradedFrom());
  for (const [name, s] of await bindConfigured(c, p.sockets, p.cwd, p.binder, p.log)) p.sockets.set(name, s);
  if (c.http.length > 0) {
    // only a master with `http` carries the router's code
    const { HttpRouter } = await import('../router/router.js');
    p.router = new HttpRouter({
      logger: p.log,
      candidates: () => p.pool.ready(),
      onWaiting: () => p.state.cheap && p.enqueue({ type: 'doorbell' }),
      maxWaiting: c.listen,
      sticky: () => p.cfg.httpSticky,
    });
    await p.router.listen(c.http, c.listen, c.chmodSocket, (address) => inheritedRouterFd(process.env, address));
  }
  becomeMaster(p.log, c, p.cwd);
  for (const line of modeLines(c)) p.log.log(line);
  p.pool.ensureSlots(c.processes);
  p.spoolers.configure(c);
  p.scaling.configure(c);
  p.scaling.boot(c);
  p.state.move({ phase: 'running', paused: false, cheap: false }, 'workers may start');
  if (c.cheap) enterCheap(p, 'cheap = true: waiting for the first connection');
  const touches = new TouchWatcher(touchFiles(c, p.cwd));
  for (const f of touches.missing()) p.log.log(`unable to stat() ${f}, events will be triggered as soon as the file is created`);
  p.opened.push(...c.masterFifo.map((f) => openMasterFifo(resolvePath(p.cwd, f), (letter) => p.enqueue({ type: 'fifo', letter }))));
  const sources = { pids: () => p.pool.workers.map((w) => w.pid).filter((pid) => pid > 0), sockets: () => p.sockets, touches };
  if (p.readings) p.opened.push((p.reader = p.readings(sources, (ev) => p.enqueue(ev))));
  p.statsServer = await serveStats(p);
}

/** `stats` and `probes`: the servers that read the master's view, as one thing to close (an upgrade hands their addresses over). */
export async function serveStats(p: MasterParts): Promise<{ close(): void } | undefined> {
  const c = p.cfg;
  const servers: { close(): void }[] = [];
  if (c.stats && p.stats) servers.push(await p.stats.serve(c, () => p.view(), p.log, (letter) => p.enqueue({ type: 'fifo', letter })));
  if (c.probes && p.stats?.probes) servers.push(await p.stats.probes(c.probes, () => p.view(), p.log));
  return servers.length === 0 ? undefined : { close: () => servers.forEach((s) => s.close()) };
}

/** On exit: close what the master holds; with `vacuum`, remove the pidfile and unix sockets. */
export function tearDown(p: MasterParts): void {
  for (const r of p.opened) r.close();
  p.statsServer?.close();
  p.cheap.close();
  p.router?.close();
  p.spoolers.killAll();
  clearSamples();
  for (const s of p.sockets.values()) s.close();
  // after an upgrade the pidfile and the unix sockets are the new master's
  if (!p.successor?.ready) vacuum(p.log, p.cfg, p.cwd, p.sockets.values());
}
