/**
 * Shape comparison between a reference document (uWSGI's sample) and a candidate (tsgi's
 * live document), for tests only, so not exported from the package: tests import it by path
 * (`dist/testing/compare.js`). Every reference key must exist in the candidate with the
 * same JSON type, and the reference's key order must be a subsequence of the candidate's
 * (new keys may be inserted, old ones never reordered).
 *
 * List elements are compared against one template merged from all reference elements,
 * keeping only keys that every element has. That way keys that legitimately come and go
 * (`req_info.request_start` exists only mid-request; each `locks[]` entry has its own
 * name) are not demanded, while keys every worker has are.
 */

/** `integer` is kept apart from `number`: uWSGI prints every number as an integer. */
type JsonType = 'object' | 'list' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

type Template =
  | { type: 'object'; keys: Array<[string, Template]> }
  | { type: 'list'; item: Template | undefined }
  | { type: Exclude<JsonType, 'object' | 'list'> };

/**
 * Human-readable differences between `reference` and `candidate` (empty when the candidate
 * is compatible). Paths use `[*]` for list elements, e.g. `$.workers[*].rss`.
 */
export function compareShape(reference: unknown, candidate: unknown): string[] {
  const differences = new Set<string>();
  compare(templateOf([reference]), candidate, '$', differences);
  return [...differences];
}

/**
 * Every key path of `doc` with its JSON type, in document order, list elements merged as
 * in `compareShape` (e.g. `$.workers[*].cores[*].vars[*]: string`). Handy to print when a
 * shape comparison fails.
 */
export function keyPaths(doc: unknown): string[] {
  const paths: string[] = [];
  listPaths(templateOf([doc]), '$', paths);
  return paths;
}

function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'object':
      return 'object';
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'null';
  }
}

/** Merges sample values of one position into the constraints all of them satisfy. */
function templateOf(values: readonly unknown[]): Template {
  const first = values[0];
  const type = jsonType(first);
  if (type === 'object') {
    const objects = values.filter(isRecord);
    const keys: Array<[string, Template]> = [];
    for (const key of Object.keys(first as Record<string, unknown>)) {
      if (objects.every((o) => Object.hasOwn(o, key))) {
        keys.push([key, templateOf(objects.map((o) => o[key]))]);
      }
    }
    return { type, keys };
  }
  if (type === 'list') {
    const items = values.filter(Array.isArray).flat();
    return { type, item: items.length > 0 ? templateOf(items) : undefined };
  }
  if (type === 'integer' && values.some((v) => typeof v === 'number' && !Number.isInteger(v))) {
    return { type: 'number' };
  }
  return { type };
}

function compare(template: Template, candidate: unknown, path: string, out: Set<string>): void {
  const actual = jsonType(candidate);
  if (!typeMatches(template.type, actual)) {
    out.add(`${path}: expected ${template.type}, got ${actual}`);
    return;
  }
  if (template.type === 'object' && isRecord(candidate)) {
    for (const [key, child] of template.keys) {
      if (Object.hasOwn(candidate, key)) compare(child, candidate[key], `${path}.${key}`, out);
      else out.add(`${path}.${key}: missing`);
    }
    const problem = orderProblem(
      template.keys.map(([key]) => key),
      Object.keys(candidate),
    );
    if (problem) out.add(`${path}: ${problem}`);
  } else if (template.type === 'list' && Array.isArray(candidate) && template.item) {
    for (const item of candidate) compare(template.item, item, `${path}[*]`, out);
  }
}

function typeMatches(expected: JsonType, actual: JsonType): boolean {
  return expected === actual || (expected === 'number' && actual === 'integer');
}

/** The reference keys present in the candidate must appear in the same relative order. */
function orderProblem(referenceKeys: readonly string[], candidateKeys: readonly string[]): string | undefined {
  const reference = new Set(referenceKeys);
  const seen = candidateKeys.filter((key) => reference.has(key));
  const expected = referenceKeys.filter((key) => seen.includes(key));
  const at = expected.findIndex((key, i) => seen[i] !== key);
  if (at === -1) return undefined;
  return `key order differs: expected "${expected[at]}" at that point, found "${seen[at]}" (expected order: ${expected.join(', ')})`;
}

function listPaths(template: Template, path: string, out: string[]): void {
  out.push(`${path}: ${template.type}`);
  if (template.type === 'object') {
    for (const [key, child] of template.keys) listPaths(child, `${path}.${key}`, out);
  } else if (template.type === 'list' && template.item) {
    listPaths(template.item, `${path}[*]`, out);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
