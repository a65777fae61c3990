import net from 'node:net';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SupervisorError } from '../errors.js';
import { bindHost, bindUnix, parseSocketAddress, removeOwnSocket, type SocketOwner } from '../net/address.js';

const LISTEN_MAIN = fileURLToPath(new URL('../net/listen-main.js', import.meta.url));

/** A socket the master has bound and put in the LISTEN state, shared by every worker. */
export interface BoundSocket {
  /** the address as configured, e.g. `127.0.0.1:9090` (uWSGI's `sockets[].name`) */
  name: string;
  proto: 'http' | 'uwsgi';
  kind: 'tcp' | 'unix';
  fd: number;
  /** bound port for tcp (the real one when 0 was asked), 0 for unix */
  port: number;
  host: string;
  path: string;
  /** a unix socket file's `fileIdentity` right after bind, so that vacuum removes only its own file */
  fileId?: string;
  backlog: number;
  close(): void;
}

interface ServerHandle {
  fd: number;
  close(): void;
  getsockname?(out: { address?: string; port?: number; family?: string }): number;
}

type CreateServerHandle = (
  address: string | null,
  port: number,
  addressType: number,
  fd: number | undefined,
  flags: number,
) => ServerHandle | number;

/**
 * Node binds without listening only through `net._createServerHandle`, the
 * function node:cluster's primary uses for the same purpose (SCHED_NONE): the
 * master must own the socket but never accept on it, so that every worker
 * accepts from one shared kernel queue.
 */
function createServerHandle(): CreateServerHandle {
  const fn = (net as unknown as { _createServerHandle?: CreateServerHandle })._createServerHandle;
  if (typeof fn !== 'function') {
    throw new SupervisorError('TSGI_NODE_UNSUPPORTED', `this Node.js (${process.version}) lacks net._createServerHandle`);
  }
  return fn;
}

/**
 * Binds one configured address (TCP or unix) and returns its descriptor; not listening
 * yet. A unix socket gets `chmod-socket` (0600 by default) and `chown-socket` as it is
 * made (`bindUnix`), never by a path changed afterwards.
 */
export async function bindSocket(name: string, proto: 'http' | 'uwsgi', backlog: number, mode: number | undefined, owner?: SocketOwner): Promise<BoundSocket> {
  const create = createServerHandle();
  const addr = parseSocketAddress(name);
  if (addr.kind === 'unix') {
    const { bound: handle, fileId } = await bindUnix(addr.path, mode, owner, (at) => {
      const h = create(at, -1, -1, undefined, 0);
      if (typeof h === 'number') throw bindError(name, h);
      return h;
    });
    const close = (): void => {
      handle.close();
      try {
        removeOwnSocket(addr.path, fileId);
      } catch {
        // as libuv's own unlink on close was, this is best effort: vacuum tries again and logs a failure
      }
    };
    return { name, proto, kind: 'unix', fd: handle.fd, port: 0, host: '', path: addr.path, fileId, backlog, close };
  }
  const host = bindHost(addr.host);
  // node:dns only for a host name: most configs bind IP literals
  const resolved = net.isIP(host) ? { address: host, family: net.isIP(host) } : await (await import('node:dns/promises')).lookup(host);
  const handle = create(resolved.address, addr.port, resolved.family, undefined, 0);
  if (typeof handle === 'number') throw bindError(name, handle);
  const out: { port?: number } = {};
  handle.getsockname?.(out);
  return {
    name,
    proto,
    kind: 'tcp',
    fd: handle.fd,
    port: out.port ?? addr.port,
    host: resolved.address,
    path: '',
    backlog,
    close: () => handle.close(),
  };
}

/**
 * Puts the bound sockets in the LISTEN state without the master ever polling
 * them: a short-lived helper process inherits the descriptors, calls listen()
 * and exits in the same tick, before its event loop could accept anything.
 * From then on connections wait in the kernel's backlog whether or not a
 * worker is up (at boot, during a reload, in cheap mode), as with uWSGI.
 */
export function listenSockets(sockets: BoundSocket[]): void {
  if (sockets.length === 0) return;
  // the helper sees the sockets as descriptors 3, 4, … (after stdin, stdout, stderr)
  const r = spawnSync(process.execPath, [LISTEN_MAIN, ...sockets.map((s, i) => `${3 + i}:${s.backlog}`)], {
    stdio: ['ignore', 'ignore', 'pipe', ...sockets.map((s) => s.fd)],
    timeout: 10000,
  });
  if (r.status !== 0) {
    const why = r.error?.message ?? (String(r.stderr ?? '').trim() || `the helper exited with ${r.status ?? r.signal}`);
    throw new SupervisorError('TSGI_LISTEN_FAILED', `cannot listen on ${sockets.map((s) => s.name).join(', ')}: ${why}`);
  }
}

/** The kernel's listen limit: it silently caps a larger backlog, so config warns (TSGI_CONFIG_LISTEN_ABOVE_SOMAXCONN). */
export function somaxconn(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
  } catch {
    return undefined;
  }
}

function bindError(name: string, errno: number): SupervisorError {
  const codes: Record<number, string> = { [-98]: 'address already in use', [-13]: 'permission denied', [-99]: 'cannot assign requested address' };
  return new SupervisorError('TSGI_BIND_FAILED', `cannot bind ${name}: ${codes[errno] ?? `errno ${errno}`}`);
}

/**
 * A listening socket inherited from systemd's socket activation (or anything
 * that hands over fds the same way), wrapped as a BoundSocket: already bound and
 * listening, owned by whoever passed it, so never unlinked (`path` stays empty).
 */
export function adoptSocket(fd: number, name: string, proto: 'http' | 'uwsgi', backlog: number): BoundSocket {
  const handle = createServerHandle()(null, 0, 0, fd, 0);
  if (typeof handle === 'number') throw bindError(name, handle);
  const out: { address?: string; port?: number } = {};
  const tcp = typeof handle.getsockname === 'function' && handle.getsockname(out) === 0 && out.port !== undefined;
  return { name, proto, kind: tcp ? 'tcp' : 'unix', fd: handle.fd, port: out.port ?? 0, host: out.address ?? '', path: '', backlog, close: () => handle.close() };
}
