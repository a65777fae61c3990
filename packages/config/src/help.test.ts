import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { DIAGNOSTIC_CODES } from './diagnostics.js';
import { renderOptionsDoc } from './docs.js';
import { renderHelp } from './help.js';
import { OPTIONS } from './options.js';

// dist/help.test.js → the package's src/ and the repository root.
const SRC = new URL('../src/', import.meta.url);
const REPO_ROOT = new URL('../../../', import.meta.url);
const OPTIONS_DOC = new URL('docs/options.md', REPO_ROOT);

test('--help lists every option with its flags, doc, default and planned status', () => {
  const help = renderHelp();
  const lines = help.split('\n');
  for (const spec of OPTIONS) {
    const index = lines.findIndex((l) => new RegExp(`^(-\\w, )?--${spec.name}[ ,]`).test(l.trim()));
    assert.ok(index >= 0, `--${spec.name} missing from --help`);
    // A long flag column pushes the description to the next line.
    const entry = [lines[index], lines[index]?.includes(spec.doc) === true ? '' : lines[index + 1]].join(' ');
    assert.ok(entry.includes(spec.doc), `${spec.name}: doc line`);
    assert.equal(entry.includes('PLANNED'), spec.status === 'planned', `${spec.name}: planned mark`);
  }
  assert.match(help, /^usage: supervise --ini app\.ini/);
  assert.match(help, /-p, --processes, --workers <n> +number of workers .*\[default %k \(usable CPUs\)\]/);
  assert.match(help, /--listen <n> +listen backlog .*\[default 100\]/);
});

test('docs/options.md is up to date (regenerate: pnpm docs)', () => {
  const committed = readFileSync(OPTIONS_DOC, 'utf8');
  assert.ok(committed === renderOptionsDoc(), 'docs/options.md differs from renderOptionsDoc(): run `node packages/config/dist/docs-cli.js > docs/options.md`');
});

test('the options doc has a row for every option', () => {
  const doc = renderOptionsDoc();
  for (const spec of OPTIONS) assert.ok(doc.includes(`| \`${spec.name}\` |`), spec.name);
});

test('every diagnostic code used in the sources is catalogued and documented in the Errors section', () => {
  const errors = renderOptionsDoc().split('## Errors')[1] ?? '';
  const used = new Set<string>();
  for (const name of readdirSync(SRC)) {
    if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
    for (const match of readFileSync(new URL(name, SRC), 'utf8').matchAll(/'(TSGI_[A-Z0-9_]+)'/g)) used.add(match[1] ?? '');
  }
  assert.ok(used.size >= 20, `found only ${used.size} codes`);
  for (const code of used) {
    assert.ok(code in DIAGNOSTIC_CODES, `${code} is not in DIAGNOSTIC_CODES`);
    assert.ok(errors.includes(`| \`${code}\` |`), `${code} is not documented`);
  }
  for (const code of Object.keys(DIAGNOSTIC_CODES)) assert.ok(used.has(code), `${code} is catalogued but never used`);
});
