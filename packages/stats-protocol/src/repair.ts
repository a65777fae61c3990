/**
 * Re-escapes the strings uWSGI prints unescaped, so its document parses.
 *
 * uWSGI formats most strings with a bare `%s` (cwd, socket names, lock and metric names,
 * mountpoints...): a `"` or `\` in a path produces invalid JSON. Only `daemons[].cmd`,
 * `crons[].command` and `cores[].vars[]` go through its `escape_json()`, which escapes
 * `\t \n \r " \\` and nothing else.
 *
 * So the scanner walks the text as JSON, tracking which key each string belongs to:
 * - escaped strings (the three above) end at the first unescaped `"`; we only escape the
 *   raw control characters `escape_json()` leaves behind;
 * - raw strings (all the others, keys included) end at the first `"` that is followed by
 *   what JSON allows after a string there (`:` after a key; `,` `}` `]` after a value).
 *   Their content is taken literally: a `\` is a backslash, not an escape.
 * This is a heuristic (a cwd containing `",` followed by a quote can still fool it), so it
 * runs only after a plain parse failed, and its result is re-parsed.
 */

const ESCAPED_VALUE_KEYS = new Set(['cmd', 'command']);
const ESCAPED_LIST_KEYS = new Set(['vars']);

interface Frame {
  type: 'object' | 'list';
  /** The key this container is the value of (undefined at top level or inside a list). */
  key: string | undefined;
  /** In an object: the next string is a key. */
  expectKey: boolean;
}

/** Returns the repaired text, or undefined when the text cannot be walked as JSON. */
export function repairUnescapedStrings(text: string): string | undefined {
  const out: string[] = [];
  const stack: Frame[] = [];
  let pendingKey: string | undefined;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    const top = stack[stack.length - 1];
    if (ch === '{' || ch === '[') {
      stack.push({ type: ch === '{' ? 'object' : 'list', key: pendingKey, expectKey: ch === '{' });
      pendingKey = undefined;
      out.push(ch);
      i++;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      afterValue(stack);
      out.push(ch);
      i++;
    } else if (ch === ',') {
      if (top?.type === 'object') top.expectKey = true;
      out.push(ch);
      i++;
    } else if (ch === '"') {
      const isKey = top?.type === 'object' && top.expectKey;
      const escaped =
        !isKey &&
        ((top?.type === 'object' && pendingKey !== undefined && ESCAPED_VALUE_KEYS.has(pendingKey)) ||
          (top?.type === 'list' && top.key !== undefined && ESCAPED_LIST_KEYS.has(top.key)));
      const scanned = escaped ? scanEscaped(text, i) : scanRaw(text, i, isKey);
      if (!scanned) return undefined;
      out.push(scanned.json);
      i = scanned.end;
      if (isKey && top) {
        pendingKey = scanned.value;
        top.expectKey = false;
      } else {
        pendingKey = undefined;
        afterValue(stack);
      }
    } else {
      out.push(ch);
      i++;
    }
  }
  return out.join('');
}

function afterValue(stack: Frame[]): void {
  const top = stack[stack.length - 1];
  if (top?.type === 'object') top.expectKey = false;
}

interface Scanned {
  /** The string re-encoded as valid JSON. */
  json: string;
  /** Its value (for keys). */
  value: string;
  /** Index just past the closing quote. */
  end: number;
}

/** A string `escape_json()` produced: standard end rule, re-escape raw control characters. */
function scanEscaped(text: string, start: number): Scanned | undefined {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === '"') {
      const body = text.slice(start + 1, i).replace(/[\u0000-\u001f]/g, controlEscape);
      const json = `"${body}"`;
      return { json, value: safeParseString(json) ?? body, end: i + 1 };
    }
    i++;
  }
  return undefined;
}

/** A string printed with a bare `%s`: ends at a quote followed by what may follow it. */
function scanRaw(text: string, start: number, isKey: boolean): Scanned | undefined {
  let i = text.indexOf('"', start + 1);
  while (i !== -1) {
    if (closesString(text, i + 1, isKey)) {
      const value = text.slice(start + 1, i);
      return { json: JSON.stringify(value), value, end: i + 1 };
    }
    i = text.indexOf('"', i + 1);
  }
  return undefined;
}

function closesString(text: string, from: number, isKey: boolean): boolean {
  const next = nextNonSpace(text, from);
  if (next === -1) return !isKey;
  const ch = text[next];
  if (isKey) return ch === ':';
  if (ch === '}' || ch === ']') return true;
  if (ch !== ',') return false;
  // After a comma comes another key or list item; demanding one rejects `a",b` inside a path.
  const after = nextNonSpace(text, next + 1);
  return after !== -1 && /["{\[\-0-9tfn]/.test(text[after] as string);
}

function nextNonSpace(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') return i;
  }
  return -1;
}

function controlEscape(ch: string): string {
  return JSON.stringify(ch).slice(1, -1);
}

function safeParseString(json: string): string | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'string' ? value : undefined;
  } catch {
    // An invalid escape in an escape_json() string: the caller keeps the raw body as the key.
    return undefined;
  }
}
