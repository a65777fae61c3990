/**
 * A faster stats writer that produces the exact bytes of the generic writer in encode.ts.
 *
 * The generic writer rediscovers the document's shape for every key of every dump: it walks
 * `shape.fields`, asks `Object.hasOwn`, dispatches on the spec's kind and concatenates the
 * indentation, the quoted key and the separator. All of that is fixed by (shape, depth,
 * minified), so it is done once here: for each object shape at each depth it sits at, we
 * generate a function (with `new Function`, as fast-json-stringify does) that reads the known
 * keys in order and appends one precomputed constant per key — `,\n\t\t\t"pid":` — then the
 * value. Lists and maps get a function each as well. Compiled once per (shape, minified).
 *
 * Whatever the shape did not predict goes to the generic writer, so the output never
 * depends on which path was taken:
 * - a value of another type than the shape says (a string where an int is expected, null...);
 * - an object whose prototype is not Object.prototype or null (a class instance could have
 *   inherited getters, which `o.key` would read but the generic writer skips);
 * - keys the shape does not know, or known keys present with the value `undefined`: noticed
 *   because the object has more enumerable keys than known keys were written, and then
 *   written after the known ones by the generic writer's own loop.
 * Keys Object.prototype has (`constructor`, `__proto__`...) are read only if own. What is
 * assumed, true of JSON.parse output and object literals: a document's properties are
 * enumerable (a non-enumerable known key could hide an unknown key from that count), and
 * nobody adds a stats key (a `pid`) to Object.prototype later.
 */
import type { Shape, ValueSpec } from './shape.js';

/** The generic writer's pieces that compiled code falls back on; bound to pretty or minified. */
export interface GenericWriter {
  readonly minified: boolean;
  /** The generic writer's text for `value` written at `depth` under `spec`. */
  value(value: unknown, spec: ValueSpec | undefined, depth: number): string;
  /** The generic writer's text for an object of `shape` at `depth`. */
  object(value: object, shape: Shape, depth: number): string;
  /** JSON.stringify(key), cached. */
  quoteKey(key: string): string;
}

export type CompiledEncoder = (doc: object) => string;

/**
 * Compiles the writer for documents of `shape` (written at depth 0, like the document).
 * Compile once and keep it: generating and optimising the code costs far more than a dump.
 */
export function compileEncoder(shape: Shape, generic: GenericWriter): CompiledEncoder {
  const compiler = new Compiler(generic.minified);
  const entry = compiler.objectFunction(shape, 0);
  const source = `'use strict';\n${compiler.functions.join('\n')}\nreturn ${entry};\n//# sourceURL=tsgi-stats-encoder-${generic.minified ? 'minified' : 'pretty'}.js`;
  const helpers: Helpers = {
    fallback: (value, spec, depth) => generic.value(value, spec, depth),
    fallbackObject: (value, shape, depth) => generic.object(value, shape, depth),
    unknownKeys: (record, first, shape, depth) => unknownKeys(generic, record, first, shape, depth),
    quote,
    quoteKey: (key) => generic.quoteKey(key),
    objectProto: Object.prototype,
  };
  const build = new Function('h', 'K', source) as (h: Helpers, constants: readonly unknown[]) => CompiledEncoder;
  return build(helpers, compiler.constants);
}

/** What generated code calls, as `h.name`. */
interface Helpers {
  fallback(value: unknown, spec: ValueSpec, depth: number): string;
  fallbackObject(value: object, shape: Shape, depth: number): string;
  unknownKeys(record: Record<string, unknown>, first: boolean, shape: Shape, depth: number): string;
  quote(s: string): string;
  quoteKey(key: string): string;
  objectProto: object;
}

/** Deeper than any real document; stops a self-referencing shape from compiling forever. */
const MAX_COMPILED_DEPTH = 32;

class Compiler {
  /** Generated function declarations, in order of creation. */
  readonly functions: string[] = [];
  /** Specs and shapes that generated code hands to the fallbacks, referenced as `K[i]`. */
  readonly constants: unknown[] = [];
  private readonly names = new Map<object, Map<number, string>>();
  private readonly nl: string;

  constructor(private readonly minified: boolean) {
    this.nl = minified ? '' : '\n';
  }

  /** `function <shape>_<depth>_<n>(o)`: one object of `shape`, written at `depth`. */
  objectFunction(shape: Shape, depth: number): string {
    return this.memo(shape, depth, shape.name, (name) => {
      const { nl } = this;
      const inner = this.tabs(depth + 1);
      const lines = [
        `function ${name}(o) {`,
        // Inherited properties would be read by o.key but skipped by the generic writer.
        `  const proto = Object.getPrototypeOf(o);`,
        `  if (proto !== h.objectProto && proto !== null) return h.fallbackObject(o, ${this.constant(shape)}, ${depth});`,
        `  let s = ${lit(this.tabs(depth) + '{' + nl)}, n = 0, v;`,
      ];
      // for-in, as the generic writer iterates the fields
      for (const key in shape.fields) {
        const spec = shape.fields[key]!;
        const first = lit(inner + JSON.stringify(key) + ':');
        const next = lit(',' + nl + inner + JSON.stringify(key) + ':');
        // A key Object.prototype has (`constructor`, `__proto__`...) is read only if own.
        const read = key in Object.prototype ? `Object.hasOwn(o, ${lit(key)}) ? o[${lit(key)}] : undefined` : `o[${lit(key)}]`;
        lines.push(
          `  v = ${read};`,
          `  if (v !== undefined) s += (n++ === 0 ? ${first} : ${next}) + ${this.valueExpression(spec, depth + 1)};`,
        );
      }
      lines.push(
        // Every enumerable key written means no unknown key and no key set to undefined.
        `  let keys = 0;`,
        `  for (const _ in o) keys++;`,
        `  if (keys !== n) s += h.unknownKeys(o, n === 0, ${this.constant(shape)}, ${depth});`,
        `  return s + ${lit(nl + this.tabs(depth) + '}')};`,
        `}`,
      );
      return lines;
    });
  }

  /** `function list_<depth>_<n>(a)`: a list written at `depth`, its items at depth + 1. */
  private listFunction(spec: ValueSpec & { kind: 'list' }, depth: number): string {
    return this.memo(spec, depth, 'list', (name) => [
      `function ${name}(a) {`,
      `  let s = ${lit('[' + this.nl)};`,
      `  for (let i = 0; i < a.length; i++) {`,
      `    const v = a[i];`,
      // Items are printed bare: objects indent themselves, scalars are not indented.
      `    s += (i === 0 ? '' : ${lit(',' + this.nl)}) + ${this.valueExpression(spec.of, depth + 1)};`,
      `  }`,
      `  return s + ${lit(this.nl + this.tabs(depth) + ']')};`,
      `}`,
    ]);
  }

  /** `function map_<depth>_<n>(o)`: an object whose keys are data, all written in their order. */
  private mapFunction(spec: ValueSpec & { kind: 'map' }, depth: number): string {
    const inner = this.tabs(depth + 1);
    return this.memo(spec, depth, 'map', (name) => [
      `function ${name}(o) {`,
      `  let s = ${lit(this.tabs(depth) + '{' + this.nl)}, first = true;`,
      `  for (const key of Object.keys(o)) {`,
      `    const v = o[key];`,
      `    if (v === undefined) continue;`,
      `    s += (first ? ${lit(inner)} : ${lit(',' + this.nl + inner)}) + h.quoteKey(key) + ':' + ${this.valueExpression(spec.of, depth + 1)};`,
      `    first = false;`,
      `  }`,
      `  return s + ${lit(this.nl + this.tabs(depth) + '}')};`,
      `}`,
    ]);
  }

  /** An expression writing `v` at `depth`: the expected type inline, anything else generic. */
  private valueExpression(spec: ValueSpec, depth: number): string {
    const fallback = `h.fallback(v, ${this.constant(spec)}, ${depth})`;
    if (depth > MAX_COMPILED_DEPTH) return fallback;
    const isObject = `v !== null && typeof v === 'object' && !Array.isArray(v)`;
    switch (spec.kind) {
      case 'int':
      case 'number':
        // String() prints finite numbers as JSON does; NaN and Infinity (written 0) go generic.
        return `(typeof v === 'number' && Number.isFinite(v) ? '' + v : ${fallback})`;
      case 'string':
        return `(typeof v === 'string' ? h.quote(v) : ${fallback})`;
      case 'list':
        return `(Array.isArray(v) ? ${this.listFunction(spec, depth)}(v) : ${fallback})`;
      case 'object':
        return `(${isObject} ? ${this.objectFunction(spec.shape, depth)}(v) : ${fallback})`;
      case 'map':
        return `(${isObject} ? ${this.mapFunction(spec, depth)}(v) : ${fallback})`;
    }
  }

  /** One generated function per (spec or shape, depth); returns its name. */
  private memo(key: object, depth: number, label: string, body: (name: string) => string[]): string {
    let byDepth = this.names.get(key);
    if (!byDepth) this.names.set(key, (byDepth = new Map()));
    let name = byDepth.get(depth);
    if (name === undefined) {
      name = `${label.replace(/\W/g, '_')}_${depth}_${this.functions.length}`;
      byDepth.set(depth, name);
      const index = this.functions.push('') - 1; // reserve the slot: callees are added meanwhile
      this.functions[index] = body(name).join('\n');
    }
    return name;
  }

  private constant(value: unknown): string {
    let index = this.constants.indexOf(value);
    if (index < 0) index = this.constants.push(value) - 1;
    return `K[${index}]`;
  }

  private tabs(depth: number): string {
    return this.minified ? '' : '\t'.repeat(depth);
  }
}

/** A JavaScript string literal (JSON's is one, U+2028 included since ES2019). */
function lit(text: string): string {
  return JSON.stringify(text);
}

/**
 * JSON.stringify(s), without its cost for the common string that needs no escape. Anything
 * JSON.stringify might escape — `"`, `\`, control characters, surrogates (lone ones are
 * escaped; paired ones are left alone, but it is simpler to let JSON.stringify decide) —
 * goes to JSON.stringify itself.
 */
function quote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/** The generic writer's second loop: keys the shape does not know, in their own order. */
function unknownKeys(
  generic: GenericWriter,
  record: Record<string, unknown>,
  first: boolean,
  shape: Shape,
  depth: number,
): string {
  const separator = generic.minified ? ',' : ',\n';
  const inner = generic.minified ? '' : '\t'.repeat(depth + 1);
  let s = '';
  for (const key of Object.keys(record)) {
    const child = record[key];
    if (child === undefined || Object.hasOwn(shape.fields, key)) continue;
    s += (first ? '' : separator) + inner + generic.quoteKey(key) + ':' + generic.value(child, undefined, depth + 1);
    first = false;
  }
  return s;
}
