/**
 * The stats client. uWSGI's stats socket (and tsgi's) sends the whole document to each
 * connection and closes it: the client sends nothing and reads to EOF. `stats-http`
 * answers any request with an HTTP/1.0 response that has no Content-Length, so the body
 * also ends at EOF.
 *
 * Every exchange is bounded by one overall timer (not an idle timer: a server that drips a
 * byte a second must not hold a dashboard forever) and always destroys its socket.
 */
import http from 'node:http';
import net from 'node:net';
import { formatAddress, parseAddress, type StatsAddress } from './address.js';
import { decodeStats } from './decode.js';
import { StatsError } from './errors.js';
import type { StatsDocument } from './types.js';

export interface ReadOptions {
  /** Bound on the whole exchange: connect, request, body. Default 3000 ms. */
  timeoutMs?: number;
  /** Answers larger than this are refused. Default 64 MiB. */
  maxBytes?: number;
}

const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Reads the raw stats text from `address` (see `parseAddress` for the forms), decoded as
 * UTF-8. Rejects with a `StatsError`, e.g. `ERR_STATS_UNREACHABLE`: "no stats server at
 * 127.0.0.1:9191 (connection refused)", or `ERR_STATS_TIMEOUT`.
 */
export async function fetchStatsText(address: string, options: ReadOptions = {}): Promise<string> {
  const target = parseAddress(address);
  const limits = {
    timeoutMs: positiveOr(options.timeoutMs, DEFAULT_TIMEOUT_MS),
    maxBytes: positiveOr(options.maxBytes, DEFAULT_MAX_BYTES),
  };
  return target.kind === 'http' ? fetchOverHttp(address, target.url, limits) : fetchOverSocket(address, target, limits);
}

/**
 * Reads and decodes the stats document at `address`. The decoder is tolerant (defaults
 * for missing keys); only text that is not a stats document at all rejects, with
 * `ERR_STATS_DECODE`. Use `fetchStatsText` + `decodeStats` to see the decoder's warnings.
 */
export async function readStats(address: string, options: ReadOptions = {}): Promise<StatsDocument> {
  const text = await fetchStatsText(address, options);
  const result = decodeStats(text);
  if (!result.ok) {
    const shown = formatAddress(parseAddress(address));
    throw new StatsError('ERR_STATS_DECODE', `stats server at ${shown} sent no valid stats document: ${result.error}`, address);
  }
  return result.doc;
}

/** `readStats` under the name the typed client was first announced with; scripts may use either. */
export const fetchStats = readStats;

interface Limits {
  timeoutMs: number;
  maxBytes: number;
}

type SocketTarget = Extract<StatsAddress, { kind: 'tcp' | 'unix' }>;

function fetchOverSocket(address: string, target: SocketTarget, limits: Limits): Promise<string> {
  const shown = formatAddress(target);
  return runExchange(address, shown, limits, (exchange) => {
    const socket =
      target.kind === 'tcp' ? net.connect({ host: target.host, port: target.port }) : net.connect({ path: target.path });
    socket.on('data', exchange.data);
    socket.on('end', exchange.end);
    socket.on('error', (error) => exchange.fail(connectionError(address, shown, error)));
    return socket;
  });
}

function fetchOverHttp(address: string, url: string, limits: Limits): Promise<string> {
  return runExchange(address, url, limits, (exchange) => {
    // agent: false, so no keep-alive pool holds the socket once we are done.
    const request = http.get(url, { agent: false, headers: { accept: 'application/json' } });
    request.on('error', (error) => exchange.fail(connectionError(address, url, error)));
    request.on('response', (response) => {
      if (response.statusCode !== 200) {
        exchange.fail(new StatsError('ERR_STATS_HTTP', `stats server at ${url} answered HTTP ${response.statusCode ?? '?'}`, address));
        return;
      }
      response.on('data', exchange.data);
      response.on('end', exchange.end);
      response.on('error', (error) => exchange.fail(connectionError(address, url, error)));
    });
    return request;
  });
}

/** What a connection reports into; the first of end/fail/timeout settles the exchange. */
interface Exchange {
  data(chunk: Buffer): void;
  end(): void;
  fail(error: StatsError): void;
}

/**
 * Runs one bounded exchange: arms the overall timer, lets `open` start the connection, and
 * on the first outcome clears the timer, destroys the connection and settles. Bytes are
 * decoded only at the end, so characters split across chunks survive.
 */
function runExchange(
  address: string,
  shown: string,
  limits: Limits,
  open: (exchange: Exchange) => { destroy(): void },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let connection: { destroy(): void } | undefined;
    const settle = (error?: StatsError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      connection?.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => settle(timeoutError(address, shown, limits.timeoutMs, size)), limits.timeoutMs);
    const exchange: Exchange = {
      data: (chunk) => {
        size += chunk.length;
        if (size > limits.maxBytes) settle(tooLargeError(address, shown, limits.maxBytes));
        else chunks.push(chunk);
      },
      end: () => settle(size === 0 ? emptyError(address, shown) : undefined),
      fail: settle,
    };
    try {
      connection = open(exchange);
    } catch (error) {
      settle(connectionError(address, shown, error instanceof Error ? error : new Error(String(error))));
    }
    // Covers an outcome reported before `open` returned the connection.
    if (settled) connection?.destroy();
  });
}

function connectionError(address: string, shown: string, error: Error): StatsError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const make = (statsCode: StatsError['code'], message: string) => new StatsError(statsCode, message, address, { cause: error });
  switch (code) {
    case 'ECONNREFUSED':
      return make('ERR_STATS_UNREACHABLE', `no stats server at ${shown} (connection refused)`);
    case 'ENOENT':
      return make('ERR_STATS_UNREACHABLE', `no stats server at ${shown} (no such socket file)`);
    case 'EACCES':
    case 'EPERM':
      return make('ERR_STATS_IO', `cannot connect to the stats server at ${shown} (permission denied)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make('ERR_STATS_IO', `cannot resolve the host of stats address ${shown}`);
    case 'ECONNRESET':
      return make('ERR_STATS_IO', `stats server at ${shown} reset the connection`);
    default:
      if (code.startsWith('HPE_')) {
        // uwsgitop users pass http:// to a plain stats socket: the "HTTP response" is raw JSON.
        return make('ERR_STATS_HTTP', `stats server at ${shown} did not answer with HTTP (for a plain stats socket, leave out http://)`);
      }
      return make('ERR_STATS_IO', `cannot read stats from ${shown}: ${error.message}`);
  }
}

function timeoutError(address: string, shown: string, timeoutMs: number, received: number): StatsError {
  const detail = received > 0 ? `did not finish its answer within ${timeoutMs} ms (${received} bytes received)` : `did not answer within ${timeoutMs} ms`;
  return new StatsError('ERR_STATS_TIMEOUT', `stats server at ${shown} ${detail}`, address);
}

function emptyError(address: string, shown: string): StatsError {
  return new StatsError('ERR_STATS_EMPTY', `stats server at ${shown} closed the connection without sending anything`, address);
}

function tooLargeError(address: string, shown: string, maxBytes: number): StatsError {
  return new StatsError('ERR_STATS_TOO_LARGE', `stats answer from ${shown} exceeds ${maxBytes} bytes`, address);
}

/** Non-finite or non-positive values would make the bound meaningless, so they mean "default". */
function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
