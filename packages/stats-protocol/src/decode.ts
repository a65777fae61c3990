/**
 * Tolerant reading of a stats document from uWSGI 2.0 or tsgi.
 *
 * A dashboard must not crash on a partial document, an older server or a quirk, so the
 * decoder never throws: unparseable text is `ok: false`; anything that parses to an object
 * is normalised against `shape.ts` (defaults for missing keys, harmless coercions) with a
 * warning for each repair. Unknown keys are kept, after the known ones, so newer servers'
 * additions survive a decode/encode round trip.
 */
import { repairUnescapedStrings } from './repair.js';
import { documentShape, type FieldSpec, type Shape, type ValueSpec } from './shape.js';
import type { StatsDocument } from './types.js';

export type DecodeResult =
  | { ok: true; doc: StatsDocument; warnings: string[] }
  | { ok: false; error: string };

/** More than this many warnings are summarised: a broken document should not flood a log. */
const MAX_WARNINGS = 50;

/**
 * Parses and normalises a stats document. Returns `ok: false` (never throws) when the text
 * is not JSON even after re-escaping uWSGI's unescaped strings, or is not a JSON object.
 */
export function decodeStats(text: string): DecodeResult {
  if (typeof text !== 'string') return { ok: false, error: 'not a stats document: input is not text' };
  if (text.trim() === '') return { ok: false, error: 'empty stats document' };
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  if (!isRecord(root)) {
    return { ok: false, error: `not a stats document: top level is ${jsonTypeName(root)}, not an object` };
  }
  const warnings = new Warnings();
  if (parsed.repaired) {
    warnings.add('$: re-escaped strings uWSGI printed without JSON escaping (a path with " or \\)');
  }
  const doc = decodeObject(root, documentShape, '$', warnings) as unknown as StatsDocument;
  return { ok: true, doc, warnings: warnings.list() };
}

type Parsed = { ok: true; value: unknown; repaired: boolean } | { ok: false; error: string };

function parseJson(text: string): Parsed {
  let firstError: unknown;
  try {
    return { ok: true, value: JSON.parse(text), repaired: false };
  } catch (error) {
    firstError = error;
  }
  const repaired = repairUnescapedStrings(text);
  if (repaired !== undefined && repaired !== text) {
    try {
      return { ok: true, value: JSON.parse(repaired), repaired: true };
    } catch {
      // The repair did not help: report the original error, which points at the real problem.
    }
  }
  return { ok: false, error: describeParseError(firstError, text) };
}

function describeParseError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  // V8 says "end of JSON input", or names a position at the very end of the text.
  const position = /at position (\d+)/.exec(message)?.[1];
  if (/end of (JSON )?input/i.test(message) || (position !== undefined && Number(position) >= text.length)) {
    return `truncated stats document (${text.length} characters): ${message}`;
  }
  return `invalid JSON in stats document: ${message}`;
}

class Warnings {
  private readonly items: string[] = [];
  private dropped = 0;

  add(message: string): void {
    if (this.items.length < MAX_WARNINGS) this.items.push(message);
    else this.dropped++;
  }

  list(): string[] {
    return this.dropped > 0 ? [...this.items, `... and ${this.dropped} more warnings`] : this.items;
  }
}

function decodeObject(
  source: Record<string, unknown>,
  shape: Shape,
  path: string,
  warnings: Warnings,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(shape.fields)) {
    const childPath = `${path}.${key}`;
    if (!Object.hasOwn(source, key) || source[key] === undefined) {
      if (spec.presence === 'always') warnings.add(`${childPath}: missing, assumed ${describeDefault(spec)}`);
      if (spec.presence === 'always' || spec.presence === 'fill') setOwn(out, key, defaultValue(spec));
      continue;
    }
    const value = decodeField(source[key], spec, childPath, warnings);
    if (value !== undefined) setOwn(out, key, value);
  }
  for (const [key, value] of Object.entries(source)) {
    if (!Object.hasOwn(shape.fields, key)) setOwn(out, key, value);
  }
  return out;
}

/** Decodes one keyed value; `undefined` drops an unusable optional key. */
function decodeField(raw: unknown, spec: FieldSpec, path: string, warnings: Warnings): unknown {
  const optional = spec.presence === 'optional' || spec.presence === 'tsgi';
  if (optional && !fitsContainer(raw, spec)) {
    warnings.add(`${path}: expected ${expectedName(spec)}, got ${describe(raw)}; ignored`);
    return undefined;
  }
  return decodeValue(raw, spec, path, warnings);
}

function decodeValue(raw: unknown, spec: ValueSpec, path: string, warnings: Warnings): unknown {
  switch (spec.kind) {
    case 'int':
    case 'number':
      return coerceNumber(raw, spec.kind, path, warnings);
    case 'string':
      return coerceString(raw, path, warnings);
    case 'list':
      return decodeList(raw, spec.of, path, warnings);
    case 'object':
      if (!isRecord(raw)) warnings.add(`${path}: expected object, got ${describe(raw)}; using defaults`);
      return decodeObject(isRecord(raw) ? raw : {}, spec.shape, path, warnings);
    case 'map':
      return decodeMap(raw, spec.of, path, warnings);
  }
}

function decodeList(raw: unknown, of: ValueSpec, path: string, warnings: Warnings): unknown[] {
  if (!Array.isArray(raw)) {
    warnings.add(`${path}: expected list, got ${describe(raw)}; assumed []`);
    return [];
  }
  const out: unknown[] = [];
  raw.forEach((item, i) => {
    // A worker or socket that is not even an object carries nothing worth showing.
    if ((of.kind === 'object' || of.kind === 'map') && !isRecord(item)) {
      warnings.add(`${path}[${i}]: expected object, got ${describe(item)}; dropped`);
      return;
    }
    out.push(decodeValue(item, of, `${path}[${i}]`, warnings));
  });
  return out;
}

function decodeMap(raw: unknown, of: ValueSpec, path: string, warnings: Warnings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(raw)) {
    warnings.add(`${path}: expected object, got ${describe(raw)}; assumed {}`);
    return out;
  }
  for (const [key, value] of Object.entries(raw)) {
    if ((of.kind === 'object' || of.kind === 'map') && !isRecord(value)) {
      warnings.add(`${path}[${JSON.stringify(key)}]: expected object, got ${describe(value)}; dropped`);
      continue;
    }
    setOwn(out, key, decodeValue(value, of, `${path}[${JSON.stringify(key)}]`, warnings));
  }
  return out;
}

/** Numbers sent as strings or booleans are harmless to coerce; anything else becomes 0. */
function coerceNumber(raw: unknown, kind: 'int' | 'number', path: string, warnings: Warnings): number {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) {
    warnings.add(`${path}: expected ${kind === 'int' ? 'integer' : 'number'}, got string; coerced`);
    return Number(raw);
  }
  if (typeof raw === 'boolean') {
    warnings.add(`${path}: expected ${kind === 'int' ? 'integer' : 'number'}, got boolean; coerced`);
    return raw ? 1 : 0;
  }
  warnings.add(`${path}: expected ${kind === 'int' ? 'integer' : 'number'}, got ${describe(raw)}; assumed 0`);
  return 0;
}

function coerceString(raw: unknown, path: string, warnings: Warnings): string {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' || typeof raw === 'boolean') {
    warnings.add(`${path}: expected string, got ${typeof raw}; coerced`);
    return String(raw);
  }
  warnings.add(`${path}: expected string, got ${describe(raw)}; assumed ""`);
  return '';
}

/** For optional keys: a wrong container kind means "not what we think it is", so drop it. */
function fitsContainer(raw: unknown, spec: ValueSpec): boolean {
  if (spec.kind === 'list') return Array.isArray(raw);
  if (spec.kind === 'object' || spec.kind === 'map') return isRecord(raw);
  return raw !== null && typeof raw !== 'object';
}

function defaultValue(spec: ValueSpec): unknown {
  switch (spec.kind) {
    case 'int':
    case 'number':
      return 0;
    case 'string':
      return '';
    case 'list':
      return [];
    case 'map':
      return {};
    case 'object':
      return decodeObject({}, spec.shape, '', new Warnings());
  }
}

function describeDefault(spec: ValueSpec): string {
  if (spec.kind === 'object') return 'defaults';
  return JSON.stringify(defaultValue(spec));
}

function expectedName(spec: ValueSpec): string {
  if (spec.kind === 'int') return 'integer';
  if (spec.kind === 'map') return 'object';
  return spec.kind;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return jsonTypeName(value);
}

function jsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Plain assignment of a `__proto__` key from JSON would replace the prototype instead. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
