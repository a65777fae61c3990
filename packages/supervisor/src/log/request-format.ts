/**
 * The request log's `logformat` and `log-json` lines, rendered in the worker: uWSGI's
 * request variables (the option table's docs and @tsgi/config's LOG_VARIABLES list them;
 * a test checks both lists agree) read from the finished exchange. A format is compiled
 * once into a list of small functions, and a variable the format does not name costs
 * nothing. Times that only change once a second (%(ltime), %(ctime)) are computed once a
 * second.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readMemory } from '../os/proc.js';
import { ctime } from './ctime.js';
import { everySecond, strftime } from './strftime.js';

/** A piece of a template: literal text or a variable (as @tsgi/config's parseLogFormat gives it). */
export type Chunk = { readonly text: string } | { readonly name: string };

/** A finished request, as its log line sees it. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** the response head as sent (status line and headers) */
  head: string;
  /** bytes sent, head and body */
  tx: number;
  /** from the request head to the end of the response, ms */
  ms: number;
  /** epoch ms of the end */
  end: number;
  core: number;
}

/** What the worker knows of itself and of the log's settings. */
export interface LineContext {
  pid: number;
  wid: number;
  /** `log-x-forwarded-for`: %(addr) is that header when the request has one */
  xForwardedFor: boolean;
  /** `logdate`'s strftime format, for %(ftime) */
  ftime?: string;
}

/** A variable's value: text (`-` when empty in a line, null in JSON) or a number. */
type Getter = (x: Exchange) => string | number | undefined;

/** A variable read from the exchange, and whether it is a number. */
interface Variable {
  get: Getter;
  numeric: boolean;
}

const header = (x: Exchange, name: string): string | undefined => {
  const v = x.req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};
const start = (x: Exchange): number => x.end - x.ms;
const hsize = (x: Exchange): number => x.head.length;

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** The request head's bytes as the default line counts them (`{N vars in B bytes}`). */
export function headerBytes(raw: readonly string[]): number {
  let bytes = 0;
  for (let i = 0; i < raw.length; i++) bytes += raw[i]!.length;
  return bytes;
}

/** The response's header count, its status line and final blank line left out. */
export function headerCount(head: string): number {
  return head.length > 0 ? countLines(head) - 2 : 0;
}

/** The worker's memory, read at most once a second (a /proc read per line would cost more than the line). */
function memoryReader(): (now: number) => { rss: number; vsz: number } {
  let at = -Infinity;
  let mem = { rss: 0, vsz: 0 };
  return (now) => {
    if (now - at >= 1000) {
      at = now;
      mem = readMemory(process.pid) ?? mem;
    }
    return mem;
  };
}

/** Every variable, given the worker's context. */
function variables(c: LineContext): Record<string, Variable> {
  const text = (get: Getter): Variable => ({ get, numeric: false });
  const num = (get: Getter): Variable => ({ get, numeric: true });
  const ltime = everySecond(strftime('%d/%b/%Y:%H:%M:%S %z'));
  const ftime = c.ftime === undefined ? ltime : everySecond(strftime(c.ftime));
  const ctimes = everySecond(ctime);
  const isoSecond = everySecond((d) => d.toISOString().slice(0, 19));
  const memory = memoryReader();
  const MiB = 1024 * 1024;
  return {
    uri: text((x) => x.req.url),
    method: text((x) => x.req.method),
    user: text(() => undefined),
    addr: text((x) => (c.xForwardedFor ? header(x, 'x-forwarded-for') : undefined) ?? x.req.socket.remoteAddress),
    host: text((x) => x.req.headers.host),
    proto: text((x) => `HTTP/${x.req.httpVersion}`),
    uagent: text((x) => x.req.headers['user-agent']),
    referer: text((x) => x.req.headers.referer),
    status: num((x) => x.res.statusCode),
    micros: num((x) => Math.floor(x.ms * 1000)),
    msecs: num((x) => Math.floor(x.ms)),
    secs: num((x) => (x.ms / 1000).toFixed(6)),
    time: num((x) => Math.floor(start(x) / 1000)),
    epoch: num((x) => Math.floor(x.end / 1000)),
    tmsecs: num((x) => Math.floor(start(x))),
    tmicros: num((x) => Math.floor(start(x) * 1000)),
    ctime: text((x) => ctimes(start(x))),
    ltime: text((x) => ltime(start(x))),
    ftime: text((x) => ftime(start(x))),
    isotime: text((x) => {
      const s = start(x);
      const ms = Math.floor(s) % 1000;
      return `${isoSecond(s)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
    }),
    size: num((x) => x.tx),
    rsize: num((x) => Math.max(0, x.tx - hsize(x))),
    hsize: num(hsize),
    cl: num((x) => Number(x.req.headers['content-length']) || 0),
    pid: num(() => c.pid),
    wid: num(() => c.wid),
    core: num((x) => x.core),
    vars: num((x) => x.req.rawHeaders.length / 2),
    pktsize: num((x) => headerBytes(x.req.rawHeaders)),
    headers: num((x) => headerCount(x.head)),
    switches: num(() => 1),
    modifier1: num(() => 0),
    modifier2: num(() => 0),
    rss: num((x) => memory(x.end).rss),
    vsz: num((x) => memory(x.end).vsz),
    rssM: num((x) => Math.floor(memory(x.end).rss / MiB)),
    vszM: num((x) => Math.floor(memory(x.end).vsz / MiB)),
  };
}

/** `var.NAME`: a CGI-style request variable. */
function requestVar(name: string): Getter {
  if (name.startsWith('HTTP_')) {
    const h = name.slice(5).toLowerCase().replace(/_/g, '-');
    return (x) => header(x, h);
  }
  const path = (x: Exchange): string => {
    const url = x.req.url ?? '';
    const q = url.indexOf('?');
    return q === -1 ? url : url.slice(0, q);
  };
  switch (name) {
    case 'REQUEST_METHOD':
      return (x) => x.req.method;
    case 'REQUEST_URI':
      return (x) => x.req.url;
    case 'PATH_INFO':
      return path;
    case 'QUERY_STRING':
      return (x) => {
        const url = x.req.url ?? '';
        const q = url.indexOf('?');
        return q === -1 ? '' : url.slice(q + 1);
      };
    case 'SERVER_PROTOCOL':
      return (x) => `HTTP/${x.req.httpVersion}`;
    case 'REMOTE_ADDR':
      return (x) => x.req.socket.remoteAddress;
    case 'REMOTE_PORT':
      return (x) => (x.req.socket.remotePort === undefined ? undefined : String(x.req.socket.remotePort));
    case 'SERVER_PORT':
      return (x) => (x.req.socket.localPort === undefined ? undefined : String(x.req.socket.localPort));
    case 'CONTENT_TYPE':
      return (x) => x.req.headers['content-type'];
    case 'CONTENT_LENGTH':
      return (x) => x.req.headers['content-length'];
    default:
      // the config refuses any other name; an unknown one left here reads as empty
      return () => undefined;
  }
}

/** The variable of a name (undefined: none, which the config never lets through). */
function lookUp(table: Record<string, Variable>, name: string): Variable | undefined {
  if (name.startsWith('var.')) return { get: requestVar(name.slice(4)), numeric: false };
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** The names this module fills, for the test that checks them against the config's list. */
export const RENDERED_VARIABLES: ReadonlyArray<readonly [string, boolean]> = Object.entries(
  variables({ pid: 0, wid: 0, xForwardedFor: false }),
).map(([name, v]) => [name, v.numeric] as const);

/**
 * A `logformat` line (newline included): text as written, each variable's value as it
 * is, `-` for an empty one, as uWSGI writes it (values are not escaped).
 */
export function compileLogFormat(chunks: readonly Chunk[], c: LineContext): (x: Exchange) => string {
  const table = variables(c);
  const parts = chunks.map((chunk): string | Getter => {
    if ('text' in chunk) return chunk.text;
    return lookUp(table, chunk.name)?.get ?? (() => undefined);
  });
  return (x) => {
    let line = '';
    for (const p of parts) {
      if (typeof p === 'string') {
        line += p;
        continue;
      }
      const v = p(x);
      line += v === undefined || v === '' ? '-' : v;
    }
    return line + '\n';
  };
}

/**
 * A `log-json` line: one JSON object, the variables' names as keys, in the order given;
 * numbers as numbers, text as strings (JSON-escaped; bytes above 127 are the client's, as
 * in every other line), an empty value as null.
 */
export function compileJsonLine(keys: readonly string[], c: LineContext): (x: Exchange) => string {
  const table = variables(c);
  const fields = keys.map((key, i) => ({ head: `${i === 0 ? '{' : ','}${JSON.stringify(key)}:`, v: lookUp(table, key) ?? { get: () => undefined, numeric: false } }));
  return (x) => {
    let line = '';
    for (const f of fields) {
      const v = f.v.get(x);
      line += f.head + (v === undefined || v === '' ? 'null' : f.v.numeric ? v : JSON.stringify(v));
    }
    return (fields.length === 0 ? '{' : line) + '}\n';
  };
}
