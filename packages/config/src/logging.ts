/**
 * What the logging options mean beyond their type: the request-log templates (`logformat`,
 * `log-json`, `log-prefix`), the date of `logdate` and the targets of `logger` and
 * `req-logger`. Parsed here, once, so that a mistake is a located error at load and the
 * supervisor renders exactly what was checked.
 */
import { suggestName } from './diagnostics.js';

/** How a request variable is written: text (JSON string) or a number (JSON number). */
export type LogVariableKind = 'text' | 'number';

/** One request variable of `logformat` and `log-json`. */
export interface LogVariable {
  readonly kind: LogVariableKind;
  readonly doc: string;
}

/**
 * uWSGI's request variables (its core/logging.c names and meanings), as tsgi fills them.
 * An empty value prints `-` in `logformat` and is `null` in `log-json`.
 */
export const LOG_VARIABLES: Readonly<Record<string, LogVariable>> = {
  uri: { kind: 'text', doc: 'request target as the client sent it, query string included (REQUEST_URI)' },
  method: { kind: 'text', doc: 'request method (REQUEST_METHOD)' },
  user: { kind: 'text', doc: 'REMOTE_USER: always empty (an HTTP app authenticates its users itself)' },
  addr: { kind: 'text', doc: 'client address (REMOTE_ADDR); the X-Forwarded-For header with log-x-forwarded-for' },
  host: { kind: 'text', doc: 'Host header (HTTP_HOST)' },
  proto: { kind: 'text', doc: 'protocol of the request, e.g. HTTP/1.1 (SERVER_PROTOCOL)' },
  uagent: { kind: 'text', doc: 'User-Agent header' },
  referer: { kind: 'text', doc: 'Referer header' },
  status: { kind: 'number', doc: 'HTTP status of the response' },
  micros: { kind: 'number', doc: 'time from the request head to the end of the response, µs' },
  msecs: { kind: 'number', doc: 'the same in milliseconds (integer)' },
  secs: { kind: 'number', doc: 'the same in seconds, with six decimals' },
  time: { kind: 'number', doc: 'request start, Unix seconds' },
  epoch: { kind: 'number', doc: 'time the line is written, Unix seconds' },
  tmsecs: { kind: 'number', doc: 'request start, milliseconds since the Unix epoch' },
  tmicros: { kind: 'number', doc: 'request start, microseconds since the Unix epoch' },
  ctime: { kind: 'text', doc: 'request start as C ctime(), local time: Sat Nov 21 23:29:21 2026' },
  ltime: { kind: 'text', doc: 'request start as Apache writes it, local time: 21/Nov/2026:23:29:21 +0100' },
  ftime: { kind: 'text', doc: 'request start in the logdate strftime format (ltime without one)' },
  isotime: { kind: 'text', doc: 'request start, ISO 8601 in UTC with milliseconds: 2026-11-21T22:29:21.042Z (tsgi)' },
  size: { kind: 'number', doc: 'response bytes sent, headers and body' },
  rsize: { kind: 'number', doc: 'response body bytes' },
  hsize: { kind: 'number', doc: 'response header bytes' },
  cl: { kind: 'number', doc: 'Content-Length the request declared (0 without one)' },
  pid: { kind: 'number', doc: 'pid of the worker' },
  wid: { kind: 'number', doc: 'id of the worker (1..processes)' },
  core: { kind: 'number', doc: 'core (request slot of the worker, threads) that served it, from 0' },
  vars: { kind: 'number', doc: 'request headers received (the default line\'s "N vars")' },
  pktsize: { kind: 'number', doc: 'bytes of those request headers (the default line\'s "in N bytes")' },
  headers: { kind: 'number', doc: 'response headers sent' },
  switches: { kind: 'number', doc: 'always 1: a Node request is served without async switches' },
  modifier1: { kind: 'number', doc: 'always 0: the uwsgi modifier tsgi serves' },
  modifier2: { kind: 'number', doc: 'always 0' },
  rss: { kind: 'number', doc: 'resident memory of the worker, bytes (read at most once a second)' },
  vsz: { kind: 'number', doc: 'address space of the worker, bytes (read at most once a second)' },
  rssM: { kind: 'number', doc: 'rss in MiB' },
  vszM: { kind: 'number', doc: 'vsz in MiB' },
};

/** uWSGI variables that have no counterpart here, and why: an error rather than a silent `-`. */
const WITHOUT_COUNTERPART: Readonly<Record<string, string>> = {
  rerr: 'tsgi does not count read errors per request',
  werr: 'tsgi does not count write errors per request',
  ioerr: 'tsgi does not count read or write errors per request',
};

/**
 * Request variables by their CGI name, for `%(var.NAME)`: every `HTTP_*` header and these.
 * `var.HTTP_X_REQUEST_ID` is the X-Request-Id header.
 */
export const REQUEST_VARS: readonly string[] = [
  'REQUEST_METHOD',
  'REQUEST_URI',
  'PATH_INFO',
  'QUERY_STRING',
  'SERVER_PROTOCOL',
  'REMOTE_ADDR',
  'REMOTE_PORT',
  'SERVER_PORT',
  'CONTENT_TYPE',
  'CONTENT_LENGTH',
];

/** The keys of `log-json = true`. */
export const DEFAULT_JSON_KEYS: readonly string[] = ['isotime', 'addr', 'method', 'uri', 'proto', 'status', 'size', 'msecs', 'referer', 'uagent', 'host', 'pid', 'wid'];

/** The variables `log-prefix` knows, beside strftime's conversions. */
export const PREFIX_VARIABLES: readonly string[] = ['wid', 'pid'];

/** A piece of a template: literal text, or a variable's name. */
export type LogChunk = { readonly text: string } | { readonly name: string };

/** A parsed template, or why it is not one. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Why `name` is no request variable, or undefined when it is one. */
export function checkLogVariable(name: string): string | undefined {
  if (Object.hasOwn(LOG_VARIABLES, name)) return undefined;
  if (name.startsWith('var.')) {
    const cgi = name.slice(4);
    if (/^HTTP_[A-Z0-9_]+$/.test(cgi) || REQUEST_VARS.includes(cgi)) return undefined;
    return `%(${name}): a request variable is HTTP_<HEADER> (var.HTTP_X_REQUEST_ID) or one of ${REQUEST_VARS.join(', ')}`;
  }
  const without = WITHOUT_COUNTERPART[name];
  if (without !== undefined) return `%(${name}): ${without}`;
  if (name.startsWith('metric.')) return `%(${name}): tsgi has no metrics registry; the stats server publishes its figures`;
  const near = suggestName(name, Object.keys(LOG_VARIABLES));
  return `%(${name}) is no request variable${near === undefined ? '' : ` (did you mean %(${near})?)`}; see docs/logging.md for the list`;
}

/**
 * A `%(name)` template as uWSGI reads it: `%(` opens a name that `)` closes; any other `%`
 * is literal text. `known` says why a name is refused (undefined: accepted).
 */
export function parseTemplate(text: string, known: (name: string) => string | undefined): Parsed<LogChunk[]> {
  const chunks: LogChunk[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('%(', i);
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = text.indexOf(')', open + 2);
    if (close === -1) return { ok: false, reason: `"${text.slice(open)}" has no closing ")"` };
    const name = text.slice(open + 2, close);
    if (name === '') return { ok: false, reason: '"%()" names no variable' };
    const refused = known(name);
    if (refused !== undefined) return { ok: false, reason: refused };
    if (literal !== '') chunks.push({ text: literal });
    literal = '';
    chunks.push({ name });
    i = close + 1;
  }
  if (literal !== '') chunks.push({ text: literal });
  return { ok: true, value: chunks };
}

/** `logformat`: text and request variables. */
export function parseLogFormat(text: string): Parsed<LogChunk[]> {
  return parseTemplate(text, checkLogVariable);
}

/** `log-prefix`: text, strftime conversions and %(wid), %(pid). */
export function parseLogPrefix(text: string): Parsed<LogChunk[]> {
  return parseTemplate(text, (name) => (PREFIX_VARIABLES.includes(name) ? undefined : `%(${name}): log-prefix knows ${PREFIX_VARIABLES.map((v) => `%(${v})`).join(' and ')} (and strftime's %Y, %m, ...)`));
}

const TRUE_WORDS = ['true', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'no', 'off', '0'];

/**
 * `log-json`: `true` (or the key alone) for DEFAULT_JSON_KEYS, a list of variable names
 * (spaces or commas between them) for those keys in that order, `false` or unset for none.
 */
export function parseJsonKeys(value: string | undefined): Parsed<readonly string[] | undefined> {
  if (value === undefined || FALSE_WORDS.includes(value.toLowerCase())) return { ok: true, value: undefined };
  if (TRUE_WORDS.includes(value.toLowerCase())) return { ok: true, value: DEFAULT_JSON_KEYS };
  const keys = value.split(/[\s,]+/).filter((k) => k !== '').map((k) => (k.startsWith('%(') && k.endsWith(')') ? k.slice(2, -1) : k));
  for (const key of keys) {
    const refused = checkLogVariable(key);
    if (refused !== undefined) return { ok: false, reason: refused };
  }
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice !== undefined) return { ok: false, reason: `"${twice}" is listed twice` };
  return { ok: true, value: keys };
}

/** `logdate`: off, C's ctime() (`true` or the key alone, as uWSGI), or a strftime format. */
export type LogDate = { kind: 'off' } | { kind: 'ctime' } | { kind: 'strftime'; format: string };

export function parseLogDate(value: string | undefined): LogDate {
  if (value === undefined || FALSE_WORDS.includes(value.toLowerCase())) return { kind: 'off' };
  if (TRUE_WORDS.includes(value.toLowerCase())) return { kind: 'ctime' };
  return { kind: 'strftime', format: value };
}

/** Where `logger` / `req-logger` lines go. */
export type LogTarget =
  | { kind: 'file'; path: string; maxsize?: number; backupname?: string }
  /** the master's stderr */
  | { kind: 'stdio' };

const TARGET_HELP = 'use file:PATH, file:logfile=PATH,maxsize=BYTES,backupname=PATH or stdio';

/**
 * A `logger` / `req-logger` value as uWSGI writes it: `<plugin>[:<args>]`. tsgi writes
 * files and stderr; syslog, sockets and the other plugins are left to the log shippers
 * and to systemd's journal, which read those.
 */
export function parseLogTarget(value: string): Parsed<LogTarget> {
  const space = value.indexOf(' ');
  const colon = value.indexOf(':');
  if (space !== -1 && (colon === -1 || space < colon)) {
    return { ok: false, reason: `"${value}": a named logger ("<id> <plugin>") needs log-route, which tsgi does not have; ${TARGET_HELP}` };
  }
  const plugin = colon === -1 ? value : value.slice(0, colon);
  const args = colon === -1 ? '' : value.slice(colon + 1);
  if (plugin === 'stdio') return args === '' ? { ok: true, value: { kind: 'stdio' } } : { ok: false, reason: `"${value}": stdio takes no argument` };
  if (plugin !== 'file') return { ok: false, reason: `"${value}": tsgi has no "${plugin}" logger; ${TARGET_HELP}` };
  if (args === '') return { ok: false, reason: `"${value}": file needs a path (file:/var/log/app.log)` };
  if (!args.includes('=')) return { ok: true, value: { kind: 'file', path: args } };
  const target: { kind: 'file'; path: string; maxsize?: number; backupname?: string } = { kind: 'file', path: '' };
  for (const pair of args.split(',')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq);
    const v = pair.slice(eq + 1);
    if (eq <= 0 || v === '') return { ok: false, reason: `"${value}": "${pair}" is not key=value (logfile, maxsize, backupname)` };
    if (key === 'logfile') target.path = v;
    else if (key === 'backupname') target.backupname = v;
    else if (key === 'maxsize' && /^\d+$/.test(v) && Number(v) <= Number.MAX_SAFE_INTEGER) target.maxsize = Number(v);
    else if (key === 'maxsize') return { ok: false, reason: `"${value}": maxsize is a number of bytes (got "${v}")` };
    else return { ok: false, reason: `"${value}": unknown key "${key}" (logfile, maxsize, backupname)` };
  }
  if (target.path === '') return { ok: false, reason: `"${value}": logfile=PATH is missing` };
  return { ok: true, value: target };
}

/** The option table's check of a parser: why a value is refused, or undefined. */
const reasonOf =
  <T>(parse: (value: string) => Parsed<T>) =>
  (value: string): string | undefined => {
    const parsed = parse(value);
    return parsed.ok ? undefined : parsed.reason;
  };

/** Why a `logformat` value is refused, or undefined. */
export const checkLogFormat = reasonOf(parseLogFormat);
/** Why a `log-json` value is refused, or undefined. */
export const checkJsonKeys = reasonOf(parseJsonKeys);
/** Why a `log-prefix` value is refused, or undefined. */
export const checkLogPrefix = reasonOf(parseLogPrefix);
/** Why a `logger` / `req-logger` value is refused, or undefined. */
export const checkLogTarget = reasonOf(parseLogTarget);
