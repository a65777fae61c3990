import type net from 'node:net';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { parseAddress, type SocketAddress } from '@tsgi/config';
import { SupervisorError } from '../errors.js';

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
 * Removes the socket file a previous run left at `path`, so that binding
 * there succeeds; any other kind of file is left alone (the bind then fails
 * with EADDRINUSE rather than deleting someone's data).
 */
export function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** `chmod-socket`: a unix socket is never world-writable unless asked. */
export function chmodSocket(path: string, mode: number | undefined): void {
  chmodSync(path, mode ?? 0o600);
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
 * removed first and the new one gets its mode. Rejects with the server's
 * own error (EADDRINUSE, EACCES, …), which the caller words.
 */
export async function listenOn(server: net.Server, address: SocketAddress, o: ListenOnOptions): Promise<void> {
  const backlog = o.backlog === undefined ? {} : { backlog: o.backlog };
  if (address.kind === 'unix') {
    removeStaleSocket(address.path);
    await listen(server, { path: address.path, ...backlog });
    chmodSocket(address.path, o.mode);
  } else {
    await listen(server, { host: bindHost(address.host), port: address.port, ...backlog });
  }
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
