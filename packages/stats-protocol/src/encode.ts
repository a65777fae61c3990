/**
 * Writes a stats document exactly as uWSGI 2.0's stats server does (`core/stats.c`), so
 * tools that diff or regex uWSGI's output see no difference.
 *
 * The pretty form reproduces uWSGI's writer, whose quirks all follow from three rules:
 * an object opener prints the current indentation before `{` (hence `"req_info":\t\t{`
 * after a key), a list opener prints none, and a scalar inside a list is printed without
 * indentation (hence unindented `vars` strings). Closers print a newline, then the
 * indentation, so empty containers span two lines with a blank one between. No trailing
 * newline. The minified form has no whitespace at all.
 *
 * One deliberate difference: uWSGI prints most strings (cwd, socket names, lock names...)
 * unescaped, which yields invalid JSON when they contain `"` or `\`. We always escape
 * (JSON.stringify), so our output is valid JSON; for the strings uWSGI does escape, and for
 * every plain string, the bytes are the same.
 */
import { documentShape, type Shape, type ValueSpec } from './shape.js';
import type { StatsDocument } from './types.js';

export interface EncodeOptions {
  /** uWSGI's `stats-minified`: no whitespace at all. Default: pretty, tab-indented. */
  minified?: boolean;
}

/**
 * Serialises `doc` in uWSGI's format. Keys of known objects come out in uWSGI's order
 * (then tsgi's additions), whatever order the object was built in; unknown keys follow in
 * their own order. `undefined` values are skipped. Never throws on odd values: a
 * non-finite number becomes 0, because JSON cannot express it.
 */
export function encodeStats(doc: StatsDocument, options: EncodeOptions = {}): string {
  const writer = new StatsWriter(options.minified === true);
  writer.object(doc, documentShape, 0);
  return writer.text();
}

class StatsWriter {
  private readonly parts: string[] = [];

  constructor(private readonly minified: boolean) {}

  text(): string {
    return this.parts.join('');
  }

  /** uWSGI's object_open ... object_close, `depth` being its `tabs` counter. */
  object(value: object, shape: Shape | undefined, depth: number, mapOf?: ValueSpec): void {
    this.push(this.tabs(depth), '{', this.nl());
    let first = true;
    for (const [key, child, spec] of orderedEntries(value, shape, mapOf)) {
      if (!first) this.push(',', this.nl());
      first = false;
      this.push(this.tabs(depth + 1), JSON.stringify(key), ':');
      this.value(child, spec, depth + 1);
    }
    this.push(this.nl(), this.tabs(depth), '}');
  }

  /** uWSGI's list_open ... list_close: no indentation before `[`. */
  list(items: readonly unknown[], of: ValueSpec | undefined, depth: number): void {
    this.push('[', this.nl());
    items.forEach((item, i) => {
      if (i > 0) this.push(',', this.nl());
      // Objects indent themselves; scalars in a list are printed bare, as uwsgi_stats_str does.
      this.value(item === undefined ? null : item, of, depth + 1);
    });
    this.push(this.nl(), this.tabs(depth), ']');
  }

  value(value: unknown, spec: ValueSpec | undefined, depth: number): void {
    if (Array.isArray(value)) {
      this.list(value, spec?.kind === 'list' ? spec.of : undefined, depth);
    } else if (value !== null && typeof value === 'object') {
      const shape = spec?.kind === 'object' ? spec.shape : undefined;
      const mapOf = spec?.kind === 'map' ? spec.of : undefined;
      this.object(value, shape, depth, mapOf);
    } else {
      this.push(scalar(value));
    }
  }

  private push(...parts: string[]): void {
    for (const part of parts) if (part !== '') this.parts.push(part);
  }

  private tabs(depth: number): string {
    return this.minified ? '' : (TABS[depth] ??= '\t'.repeat(depth));
  }

  private nl(): string {
    return this.minified ? '' : '\n';
  }
}

/** Indentation strings by depth, built once. */
const TABS: string[] = [];

/** Known keys in shape order, then the rest in insertion order; skips `undefined`. */
function orderedEntries(
  value: object,
  shape: Shape | undefined,
  mapOf: ValueSpec | undefined,
): Array<[string, unknown, ValueSpec | undefined]> {
  const record = value as Record<string, unknown>;
  const entries: Array<[string, unknown, ValueSpec | undefined]> = [];
  const known = shape ? Object.keys(shape.fields) : [];
  for (const key of known) {
    if (Object.hasOwn(record, key) && record[key] !== undefined) {
      entries.push([key, record[key], shape?.fields[key]]);
    }
  }
  for (const key of Object.keys(record)) {
    // hasOwn, not known.includes(): a per-key scan made encoding quadratic in the keys
    if ((shape && Object.hasOwn(shape.fields, key)) || record[key] === undefined) continue;
    entries.push([key, record[key], mapOf]);
  }
  return entries;
}

function scalar(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : '0';
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    default:
      // null, and values JSON cannot carry (functions, symbols): print null like JSON.stringify in arrays.
      return 'null';
  }
}
