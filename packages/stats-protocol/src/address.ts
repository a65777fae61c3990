/**
 * Stats addresses, read the way uwsgitop reads them (so a command line that works with
 * uwsgitop works with tsgitop): an `http://` URL; otherwise anything with a `:` is TCP,
 * split on the last colon (uWSGI binds the same way); otherwise a unix socket path, `@name`
 * being Linux's abstract namespace. Beyond uwsgitop: `[v6]:port`, and an empty host
 * (`:9191`, "all interfaces" when uWSGI binds it) means the local machine.
 */
import { StatsError } from './errors.js';

export type StatsAddress =
  | { kind: 'tcp'; host: string; port: number }
  /** `path` starts with `\0` for an abstract socket (`@name`), as Node expects. */
  | { kind: 'unix'; path: string }
  | { kind: 'http'; url: string };

/** Parses a stats address; throws `StatsError` (`ERR_STATS_ADDRESS`) when it cannot. */
export function parseAddress(address: string): StatsAddress {
  const text = address.trim();
  if (text === '') throw badAddress(address, 'empty stats address');
  if (/^https?:\/\//i.test(text)) return parseHttp(address, text);
  const colon = text.lastIndexOf(':');
  if (colon !== -1) return parseTcp(address, text.slice(0, colon), text.slice(colon + 1));
  if (text.startsWith('@')) {
    if (text.length === 1) throw badAddress(address, 'abstract socket name missing after "@"');
    return { kind: 'unix', path: `\0${text.slice(1)}` };
  }
  return { kind: 'unix', path: text };
}

/** The address for messages: `[::1]:9191`, `@name` for abstract sockets, URLs as given. */
export function formatAddress(target: StatsAddress): string {
  switch (target.kind) {
    case 'tcp':
      return target.host.includes(':') ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
    case 'unix':
      return target.path.startsWith('\0') ? `@${target.path.slice(1)}` : target.path;
    case 'http':
      return target.url;
  }
}

function parseHttp(address: string, text: string): StatsAddress {
  if (/^https:/i.test(text)) {
    throw badAddress(address, `https is not supported: uWSGI's and tsgi's stats-http speak plain HTTP (${address})`);
  }
  if (!URL.canParse(text)) throw badAddress(address, `invalid stats URL "${address}"`);
  return { kind: 'http', url: text };
}

function parseTcp(address: string, rawHost: string, rawPort: string): StatsAddress {
  const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  const port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    // uwsgitop's rule makes any address with a colon TCP, even a socket path.
    const hint = rawHost.includes('/') ? '; a unix socket path cannot contain ":"' : '';
    throw badAddress(address, `invalid port "${rawPort}" in stats address "${address}" (expected host:port${hint})`);
  }
  if (/[\s[\]/]/.test(host)) throw badAddress(address, `invalid host "${rawHost}" in stats address "${address}"`);
  return { kind: 'tcp', host: host === '' ? '127.0.0.1' : host, port };
}

function badAddress(address: string, message: string): StatsError {
  return new StatsError('ERR_STATS_ADDRESS', message, address);
}
