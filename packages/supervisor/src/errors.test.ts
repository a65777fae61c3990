/**
 * The error codes and docs/errors.md, both ways (as Fastify's
 * test/internals/errors.test.js does): every code the supervisor or the
 * spooler can throw is documented, every documented code exists, and every
 * code is thrown somewhere, so that none lingers after its last use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUPERVISOR_ERROR_CODES } from './errors.js';
import { SPOOLER_ERROR_CODES } from './spooler/errors.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const codes: readonly string[] = [...SUPERVISOR_ERROR_CODES, ...SPOOLER_ERROR_CODES];

/** The codes in the first column of docs/errors.md's tables. */
function documentedCodes(): string[] {
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  return [...doc.matchAll(/^\|\s*`(TSGI_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!);
}

/** The TypeScript sources that may throw a code: everything but the code lists and the tests. */
function throwingSources(): string[] {
  const dirs = [join(root, 'packages/supervisor/src'), join(root, 'apps/supervise/src')];
  return dirs.flatMap((dir) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('errors.ts'))
      .map((f) => readFileSync(join(dir, f), 'utf8')),
  );
}

test('the code lists are not empty and hold no duplicates', () => {
  assert.ok(SUPERVISOR_ERROR_CODES.length > 0 && SPOOLER_ERROR_CODES.length > 0);
  assert.equal(new Set(codes).size, codes.length);
});

test('every error code is documented in docs/errors.md', () => {
  const documented = new Set(documentedCodes());
  const missing = codes.filter((code) => !documented.has(code));
  assert.deepEqual(missing, [], `not in docs/errors.md: ${missing.join(', ')}`);
});

test('every code documented in docs/errors.md exists', () => {
  const known = new Set(codes);
  const stale = documentedCodes().filter((code) => !known.has(code));
  assert.deepEqual(stale, [], `in docs/errors.md but in no code list: ${stale.join(', ')}`);
});

test('docs/errors.md lists each code once', () => {
  const documented = documentedCodes();
  assert.deepEqual(documented.filter((code, i) => documented.indexOf(code) !== i), []);
});

test('every error code is thrown somewhere', () => {
  const sources = throwingSources();
  const unused = codes.filter((code) => !sources.some((text) => text.includes(`'${code}'`)));
  assert.deepEqual(unused, [], `never thrown: ${unused.join(', ')}`);
});
