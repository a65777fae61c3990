import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('every SupervisorError code is documented in docs/errors.md and thrown somewhere', () => {
  const source = readFileSync(`${root}packages/supervisor/src/errors.ts`, 'utf8');
  const codes = [...source.matchAll(/'(TSGI_[A-Z_]+)'/g)].map((m) => m[1]!);
  assert.ok(codes.length >= 5);
  const doc = readFileSync(`${root}docs/errors.md`, 'utf8');
  for (const code of codes) {
    assert.match(doc, new RegExp('`' + code + '`'), `${code} is not in docs/errors.md`);
    const users = execFileSync('grep', ['-rl', `'${code}'`, `${root}packages/supervisor/src`, `${root}apps/supervise/src`])
      .toString()
      .split('\n')
      .filter((f) => f && !f.endsWith('errors.ts') && !f.endsWith('.test.ts'));
    assert.ok(users.length > 0, `${code} is never thrown`);
  }
});
