import net from 'node:net';
import { lchownSync, lstatSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseAddress, type SocketAddress } from '@tsgi/config';
import { SupervisorError } from '../errors.js';
import { randomHex } from '../os/random.js';

/**
 * Reads a configured address: `host:port`, `:port`, `[v6]:port` or a unix
 * socket path. The rules are the config's own `parseAddress`, which already
 * accepted every address that reaches the supervisor, so a text is bound as
 * what the config checked it to be (a path such as `/run/a:80` is a unix
 * socket, not host `/run/a`). A text the config refuses cannot be bound.
 */
export function parseSocketAddress(address: string): SocketAddress {
  const parsed = parseAddress(address);
  if (typeof parsed === 'string') throw new SupervisorError('TSGI_BIND_FAILED', `cannot bind ${address}: ${parsed}`);
  return parsed;
}

/** The host a tcp socket binds: `:port` means every IPv4 interface, as in uWSGI. */
export function bindHost(host: string): string {
  return host === '' ? '0.0.0.0' : host;
}

/**
 * Removes the socket file a previous run left at `path`, so that binding there
 * succeeds, but only once a connect() was refused: a socket something still
 * answers on belongs to a running instance, and unlinking it would leave that
 * one unreachable (its clients get ENOENT). Any other kind of file is left alone
 * (the bind then fails with EADDRINUSE rather than deleting someone's data).
 */
export async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const answered = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    // ECONNREFUSED: nobody listens, the file is stale; ENOENT: it went away meanwhile
    probe.once('error', () => resolve(false));
  });
  if (answered) throw new SupervisorError('TSGI_SOCKET_IN_USE', `unix socket ${path} is in use: something answers on it (another instance?); it was left alone`);
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Who a unix socket is handed to (`chown-socket`); -1 keeps the group. */
export interface SocketOwner {
  uid: number;
  gid: number;
}

/**
 * Binds a unix socket at `path` so that root never acts on a file by a path the
 * app user could swap: the socket is created under a random name in the same
 * directory with its final mode from the umask (no chmod by path after bind),
 * handed to `owner` by lchown (which never follows a link), then renamed over
 * `path`, which replaces a link planted there rather than following it. `bind`
 * must create the file synchronously (the umask is process-wide and is restored
 * as soon as it returns); it may report the outcome later, as `server.listen` does.
 * Returns what `bind` returned and the socket file's identity, which vacuum compares
 * before it removes the file. A side effect worth knowing: libuv unlinks the
 * name it bound when the handle closes, which is now the temporary one, so a
 * closed socket's file stays until vacuum or the next bind removes it.
 */
export async function bindUnix<T>(path: string, mode: number | undefined, owner: SocketOwner | undefined, bind: (at: string) => T | Promise<T>): Promise<{ bound: T; fileId: string }> {
  await removeStaleSocket(path);
  if (existsAt(path)) {
    // a file, a directory or a link: never replaced, as bind() itself would refuse
    throw Object.assign(new Error(`${path} exists and is not a socket`), { code: 'EADDRINUSE' });
  }
  const at = join(dirname(path), `.${basename(path)}.${randomHex(4)}`);
  // a socket anyone may connect to is a choice (chmod-socket), not a default
  const previous = process.umask(0o777 & ~(mode ?? 0o600));
  let pending: T | Promise<T>;
  try {
    pending = bind(at);
  } finally {
    process.umask(previous);
  }
  const bound = await pending;
  if (owner) lchownSync(at, owner.uid, owner.gid);
  renameSync(at, path);
  return { bound, fileId: fileIdentity(path) };
}

function existsAt(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * What tells one file from another at the same path over time: the inode alone
 * does not (a filesystem reuses a freed inode at once), its change time with it does.
 */
export function fileIdentity(path: string): string {
  const st = lstatSync(path, { bigint: true });
  return `${st.dev}:${st.ino}:${st.ctimeNs}`;
}

/**
 * Removes the unix socket at `path` if it is still the one bound with identity `fileId`
 * (vacuum): another instance may have bound the path since. Returns whether it did.
 */
export function removeOwnSocket(path: string, fileId: string): boolean {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (!st.isSocket() || fileIdentity(path) !== fileId) return false;
  unlinkSync(path);
  return true;
}

/** How `listenOn` listens. */
export interface ListenOnOptions {
  /** the accept queue's length; undefined: Node's default */
  backlog?: number;
  /** `chmod-socket` for a unix socket; undefined: 0600 */
  mode: number | undefined;
}

/**
 * Listens with a server the master accepts on itself (the http router, the
 * stats server) on a tcp or unix address: a stale unix socket file is
 * removed first and the new one gets its mode (`bindUnix`); resolves with
 * the unix socket's `fileIdentity` (empty for tcp). Rejects with the server's
 * own error (EADDRINUSE, EACCES, …), which the caller words.
 */
export async function listenOn(server: net.Server, address: SocketAddress, o: ListenOnOptions): Promise<{ fileId: string }> {
  const backlog = o.backlog === undefined ? {} : { backlog: o.backlog };
  if (address.kind === 'unix') {
    const { fileId } = await bindUnix(address.path, o.mode, undefined, (at) => listen(server, { path: at, ...backlog }));
    return { fileId };
  }
  await listen(server, { host: bindHost(address.host), port: address.port, ...backlog });
  return { fileId: '' };
}

function listen(server: net.Server, where: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(where, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
