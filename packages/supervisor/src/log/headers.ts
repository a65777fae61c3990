/**
 * What a request log line reads of the request and response heads, from the bytes the HTTP
 * parser kept: uWSGI's default line needs these alone, so a worker without `logformat` or
 * `log-json` never loads the template compiler (request-format.ts).
 */

/** Headers of which Node keeps the first occurrence (http.IncomingMessage's headers); others are joined. */
const FIRST_ONLY = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent']);

/**
 * A request header by its lower-case name, as `req.headers` would give it, read from
 * `rawHeaders`: `req.headers` is made on first use, every name lower-cased, which a log
 * line alone would pay for on every request of an app that never reads it.
 */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length !== name.length || key.toLowerCase() !== name) continue;
    if (value === undefined) value = raw[i + 1]!;
    else if (FIRST_ONLY.has(name)) break;
    else value += (name === 'cookie' ? '; ' : ', ') + raw[i + 1]!;
  }
  return value;
}

/** Line feeds in a text: a loop over its characters (a head is ~150 of them; an indexOf per line cost five times more). */
function countLines(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
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
