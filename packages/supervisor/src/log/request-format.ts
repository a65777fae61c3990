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
import type { ByteLine } from './byte-line.js';
import { ctime } from './ctime.js';
import { everySecond, strftime } from './strftime.js';
import { headerBytes, headerCount, rawHeader } from './headers.js';

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

/** `HTTP/1.1` for `1.1`: made once per version rather than once per line. */
const protocols = new Map<string, string>();
const protocol = (x: Exchange): string => {
  const v = x.req.httpVersion;
  let p = protocols.get(v);
  if (p === undefined) protocols.set(v, (p = `HTTP/${v}`));
  return p;
};
/** `.000Z` to `.999Z`, the tail of an ISO time */
const MILLIS = Array.from({ length: 1000 }, (_, ms) => `.${String(ms).padStart(3, '0')}Z`);

const header = (x: Exchange, name: string): string | undefined => rawHeader(x.req.rawHeaders, name);
const start = (x: Exchange): number => x.end - x.ms;
const hsize = (x: Exchange): number => x.head.length;

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
    host: text((x) => header(x, 'host')),
    proto: text(protocol),
    uagent: text((x) => header(x, 'user-agent')),
    referer: text((x) => header(x, 'referer')),
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
      return isoSecond(s) + MILLIS[Math.floor(s) % 1000]!;
    }),
    size: num((x) => x.tx),
    rsize: num((x) => Math.max(0, x.tx - hsize(x))),
    hsize: num(hsize),
    cl: num((x) => Number(header(x, 'content-length')) || 0),
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
      return protocol;
    case 'REMOTE_ADDR':
      return (x) => x.req.socket.remoteAddress;
    case 'REMOTE_PORT':
      return (x) => (x.req.socket.remotePort === undefined ? undefined : String(x.req.socket.remotePort));
    case 'SERVER_PORT':
      return (x) => (x.req.socket.localPort === undefined ? undefined : String(x.req.socket.localPort));
    case 'CONTENT_TYPE':
      return (x) => header(x, 'content-type');
    case 'CONTENT_LENGTH':
      return (x) => header(x, 'content-length');
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

/** How a variable's value is written. */
type Kind = 'format' | 'json-text' | 'json-number';

/** A piece of a line: constant text (`bytes`), or a variable (`get`) and how it is written. One shape for both. */
interface Part {
  text: string;
  bytes: Buffer | undefined;
  get: Getter | undefined;
  kind: Kind;
}

const QUOTE = 0x22;

/**
 * A compiled `logformat` or `log-json` line. `measure` reads the variables of one
 * exchange; the line is then written into the batch (`emit`, no string of the line is
 * made) or, for a line longer than a batch, made as a string (`text`).
 */
export class LineTemplate {
  /** the values of the line measured last, one per variable part */
  private readonly values: Array<string | number>;
  /** which of those values are JSON strings still to be quoted */
  private readonly quoted: boolean[];
  private readonly constantBytes: number;

  constructor(private readonly parts: readonly Part[]) {
    const variables = parts.filter((p) => p.get !== undefined).length;
    this.values = new Array<string | number>(variables).fill('');
    this.quoted = new Array<boolean>(variables).fill(false);
    this.constantBytes = parts.reduce((n, p) => n + (p.bytes?.length ?? 0), 0);
  }

  /** Reads the variables of `x`; returns the most bytes the line can take. */
  measure(x: Exchange): number {
    let bytes = this.constantBytes;
    let i = 0;
    for (const p of this.parts) {
      if (p.get === undefined) continue;
      const v = p.get(x);
      let out: string | number;
      let quote = false;
      if (v === undefined || v === '') out = p.kind === 'format' ? '-' : 'null';
      else if (p.kind !== 'json-text') out = v;
      else if (isJsonSafe(v as string)) [out, quote] = [v, true];
      else out = JSON.stringify(v);
      this.values[i] = out;
      this.quoted[i] = quote;
      bytes += typeof out === 'number' ? 24 : out.length + (quote ? 2 : 0);
      i++;
    }
    return bytes;
  }

  /** Writes the line measured last. */
  emit(o: ByteLine): void {
    let i = 0;
    for (const p of this.parts) {
      if (p.bytes !== undefined) {
        o.bytes(p.bytes);
        continue;
      }
      const v = this.values[i]!;
      if (typeof v === 'number') o.number(v);
      else if (this.quoted[i]) {
        o.byte(QUOTE);
        o.text(v);
        o.byte(QUOTE);
      } else o.text(v);
      i++;
    }
  }

  /** The line measured last, as a string. */
  text(): string {
    let line = '';
    let i = 0;
    for (const p of this.parts) {
      if (p.get === undefined) {
        line += p.text;
        continue;
      }
      const v = this.values[i]!;
      line += this.quoted[i] ? `"${v}"` : v;
      i++;
    }
    return line;
  }

  /** The line of `x`, as a string. */
  render(x: Exchange): string {
    this.measure(x);
    return this.text();
  }
}

const constant = (text: string): Part => ({ text, bytes: Buffer.from(text, 'latin1'), get: undefined, kind: 'format' });
const variable = (get: Getter, kind: Kind): Part => ({ text: '', bytes: undefined, get, kind });

/**
 * A `logformat` line (newline included): text as written, each variable's value as it
 * is, `-` for an empty one, as uWSGI writes it (values are not escaped).
 */
export function compileLogFormat(chunks: readonly Chunk[], c: LineContext): LineTemplate {
  const table = variables(c);
  const parts = chunks.map((chunk): Part => ('text' in chunk ? constant(chunk.text) : variable(lookUp(table, chunk.name)?.get ?? (() => undefined), 'format')));
  return new LineTemplate([...parts, constant('\n')]);
}

/** Whether a string is a JSON string once quoted: most values (an address, a method, a URL) are. */
function isJsonSafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/**
 * A `log-json` line: one JSON object, the variables' names as keys, in the order given;
 * numbers as numbers, text as strings (JSON-escaped; bytes above 127 are the client's, as
 * in every other line), an empty value as null.
 */
export function compileJsonLine(keys: readonly string[], c: LineContext): LineTemplate {
  const table = variables(c);
  const parts = keys.flatMap((key, i): Part[] => {
    const v = lookUp(table, key) ?? { get: () => undefined, numeric: false };
    return [constant(`${i === 0 ? '{' : ','}${JSON.stringify(key)}:`), variable(v.get, v.numeric ? 'json-number' : 'json-text')];
  });
  return new LineTemplate([...(keys.length === 0 ? [constant('{')] : parts), constant('}\n')]);
}
