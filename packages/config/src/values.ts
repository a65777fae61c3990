/**
 * Value parsers, one per option type. Each turns the text of one occurrence into a typed
 * value or a reason, never throwing: the caller turns reasons into located diagnostics.
 * tsgi is stricter than uWSGI here on purpose: uWSGI reads `processes = abc` as 0 and any
 * boolean text but `false/off/no/0` as true, which hides typos.
 */
import type { OptionSpec, OptionType } from './options.js';

/** A parsed value, or why the text is not one. */
export type ParsedValue =
  | { ok: true; value: string | number | boolean }
  | { ok: false; reason: string; missing?: boolean };

/** Text of a value; `undefined` is a bare key (`master` alone, `--master`). */
export type RawValue = string | undefined;

/** A TCP or unix socket address, as `parseAddress` reads it. */
export type SocketAddress =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string };

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);
const BARE_MODE = 0o666; // uWSGI: a bare chmod-socket means world read/write

const ok = (value: string | number | boolean): ParsedValue => ({ ok: true, value });
const fail = (reason: string): ParsedValue => ({ ok: false, reason });

/**
 * Parse one occurrence of `spec`. A bare key (or an empty value) is `true` for booleans,
 * 666 for `chmod-socket` and the option's `bare` value where it has one (`logdate`); for
 * any other option it is a missing value.
 */
export function parseValue(spec: OptionSpec, raw: RawValue): ParsedValue {
  if (raw === undefined || raw === '') {
    if (spec.type === 'bool') return ok(true);
    if (spec.type === 'mode') return ok(BARE_MODE);
    if (spec.bare !== undefined) return ok(spec.bare);
    return { ok: false, reason: `option "${spec.name}" needs a value`, missing: true };
  }
  const parsed = parseText(spec.type, raw, spec.values ?? []);
  if (!parsed.ok) return fail(`option "${spec.name}": ${parsed.reason}`);
  const refused = typeof parsed.value === 'string' ? spec.check?.(parsed.value) : undefined;
  if (refused !== undefined) return fail(`option "${spec.name}": ${refused}`);
  return parsed;
}

function parseText(type: OptionType, text: string, values: readonly string[]): ParsedValue {
  switch (type) {
    case 'int':
    case 'megabytes':
      if (/^\d+$/.test(text)) return ok(Number(text));
      return fail(/^-\d+$/.test(text) ? `"${text}" is negative` : `"${text}" is not an integer${type === 'megabytes' ? ' number of megabytes' : ''}`);
    case 'priority':
      return /^-?\d+$/.test(text) ? ok(Number(text)) : fail(`"${text}" is not a nice value (an integer from -20 to 19)`);
    case 'number':
      if (/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return ok(Number(text));
      return fail(/^-[\d.]+$/.test(text) ? `"${text}" is negative` : `"${text}" is not a number`);
    case 'bool':
      return parseBool(text);
    case 'enum':
      return values.includes(text) ? ok(text) : fail(`"${text}" is not one of ${values.join(', ')}`);
    case 'mode':
      return /^0?[0-7]{3}$/.test(text) ? ok(parseInt(text, 8)) : fail(`"${text}" is not an octal file mode such as 660`);
    case 'keyvalue':
      return /^[^=\s]+=/.test(text) ? ok(text) : fail(`"${text}" is not KEY=VALUE`);
    case 'address': {
      const address = parseAddress(text);
      return typeof address === 'string' ? fail(address) : ok(text);
    }
    case 'string':
    case 'path':
      return ok(text);
  }
}

function parseBool(text: string): ParsedValue {
  const word = text.toLowerCase();
  if (TRUE_WORDS.has(word)) return ok(true);
  if (FALSE_WORDS.has(word)) return ok(false);
  return fail(`"${text}" is not a boolean (use true or false)`);
}

/** True for text that names a unix socket rather than a TCP address. */
function looksLikePath(text: string): boolean {
  return text.startsWith('/') || text.startsWith('.') || text.startsWith('@') || !text.includes(':');
}

/**
 * The one reading of a socket address on the server side: the supervisor binds
 * with it too (its net/address.ts delegates here, this package being the lower
 * one), so what the config accepts is exactly what gets bound. The stats
 * client's parseAddress in @tsgi/stats-protocol differs on purpose: it follows
 * uwsgitop's rules for what a user types on its command line.
 *
 * Read `host:port`, `:port`, `[::1]:port` or a unix socket path (one containing `/`,
 * ending in `.sock`, or an abstract `@name`). Returns the reason as a string when the
 * text is neither; a bare word or number is refused because uWSGI would silently create
 * a unix socket named `8080` or `localhost` in the working directory.
 */
export function parseAddress(text: string): SocketAddress | string {
  if (looksLikePath(text)) {
    if (text.includes('/') || text.startsWith('@') || /\.sock(et)?$/.test(text)) return { kind: 'unix', path: text };
    if (/^\d+$/.test(text)) return `"${text}" looks like a port: write :${text}`;
    return `"${text}" is not an address: use host:port, :port, or a unix socket path containing "/" or ending in ".sock"`;
  }
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) return `"${text}": port "${portText}" is not a number from 0 to 65535`;
  if (host.startsWith('[')) {
    if (!host.endsWith(']') || !host.includes(':')) return `"${text}" is not an address: an IPv6 host is written [::1]:port`;
    return { kind: 'tcp', host: host.slice(1, -1), port };
  }
  if (host.includes(':')) return `"${text}" is not an address: write an IPv6 host in brackets, as [::1]:port`;
  if (/[\s[\]/]/.test(host)) return `"${text}" is not an address: "${host}" is not a host name`;
  return { kind: 'tcp', host, port };
}
