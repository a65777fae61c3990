import net from 'node:net';

/** Who may read stats-http: the options that widen the defaults. */
export interface HttpAccess {
  /** `stats-http-cors`: the one web origin allowed to read the stats (`*`: any); undefined: none */
  cors: string | undefined;
  /** `stats-http-allow-host`: more names a request's Host may carry (`*`: any) */
  allowHosts: readonly string[];
  /** the host part of the stats address, when it is a name rather than an IP */
  boundHost: string;
}

/** The host of a `Host` header, lower case, without port or IPv6 brackets; undefined if unreadable. */
export function hostOf(header: string): string | undefined {
  // a Host is host[:port]; anything a URL would read as user, path or query is not one
  if (/[/@?#\\\s]/.test(header)) return undefined;
  try {
    const host = new URL(`http://${header}`).hostname.toLowerCase();
    return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  } catch {
    return undefined;
  }
}

/**
 * DNS rebinding guard: a web page whose name the attacker points at 127.0.0.1 reads
 * stats-http as its own origin, and only the Host header gives that away. An IP literal,
 * `localhost`, the name the stats were bound to and the configured names are the server's
 * own; a request without Host comes from no browser.
 */
export function hostAllowed(header: string | undefined, a: HttpAccess): boolean {
  if (header === undefined) return true;
  if (a.allowHosts.includes('*')) return true;
  const host = hostOf(header);
  if (host === undefined || host === '') return false;
  if (net.isIP(host) !== 0) return true;
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (a.boundHost !== '' && host === a.boundHost.toLowerCase()) return true;
  return a.allowHosts.some((h) => h.toLowerCase() === host);
}

/**
 * Cross-site WebSocket guard: browsers apply no CORS to WebSockets but always send
 * `Origin`, so a foreign one is a web page reading the stats behind its visitor's back.
 * Allowed: no Origin (not a browser), the page the stats server itself serves (same
 * host and port), the configured CORS origin.
 */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined, cors: string | undefined): boolean {
  if (origin === undefined) return true;
  if (cors === '*') return true;
  const o = normalOrigin(origin);
  if (o === undefined) return false;
  if (cors !== undefined && o === normalOrigin(cors)) return true;
  if (hostHeader === undefined) return false;
  try {
    return new URL(o).host === new URL(`http://${hostHeader}`).host;
  } catch {
    return false;
  }
}

/**
 * `stats-http-cors` as it goes on the wire: `*`, or the origin (scheme, host, port) of
 * an http(s) URL; undefined for anything else, which would be no origin a browser sends.
 */
export function corsOrigin(text: string): string | undefined {
  return text === '*' ? text : normalOrigin(text);
}

function normalOrigin(text: string): string | undefined {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}
