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
  for (const spec of OPTIONS) {
    const line = help.split('\n').find((l) => new RegExp(`(^|, )--${spec.name}( |$)`).test(l.trim()));
    assert.ok(line !== undefined, `--${spec.name} missing from --help`);
    const block = help.slice(help.indexOf(line), help.indexOf(line) + line.length + 200);
    assert.ok(block.includes(spec.doc), `${spec.name}: doc line`);
    assert.equal(block.split('\n').slice(0, 2).join(' ').includes('PLANNED'), spec.status === 'planned', `${spec.name}: planned mark`);
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
  for (const code of Object.keys(DIAGNOSTIC_CODES)) assert.ok(used.has(code) || code === 'TSGI_CONFIG_UNKNOWN_OPTION', `${code} is catalogued but never used`);
});
