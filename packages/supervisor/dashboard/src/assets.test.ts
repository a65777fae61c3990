/**
 * The page's files as the stats server serves them: the modules main.js loads exist next
 * to it, and every module imports only its neighbours (`./x.js`), the one kind of import
 * a browser resolves against `/dashboard/` without a bundler. The static files the page
 * names are in the folder the package ships.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** This file runs from dist/dashboard/, among the compiled modules. */
const DIST = fileURLToPath(new URL('./', import.meta.url));
const STATIC = fileURLToPath(new URL('../../dashboard/static/', import.meta.url));

const modules = readdirSync(DIST).filter((f) => f.endsWith('.js') && !f.includes('.test.'));

test('every page module imports only its neighbours, and they exist', () => {
  assert.ok(modules.includes('main.js'), modules.join(', '));
  for (const file of modules) {
    const text = readFileSync(`${DIST}${file}`, 'utf8');
    const imports = [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? m[2]!);
    for (const spec of imports) {
      assert.match(spec, /^\.\/[a-z][a-z0-9-]*\.js$/, `${file} imports ${spec}: a browser cannot load it`);
      assert.ok(modules.includes(spec.slice(2)), `${file} imports ${spec}, which is not built`);
    }
  }
});

test('the page names files that exist, and holds the markers the server fills in', () => {
  const html = readFileSync(`${STATIC}index.html`, 'utf8');
  const names = [...html.matchAll(/(?:src|href)="dashboard\/([^"]+)"/g)].map((m) => m[1]!);
  assert.deepEqual(names.sort(), ['dashboard.css', 'icon.svg', 'main.js']);
  for (const name of names) {
    assert.ok(existsSync(name.endsWith('.js') ? `${DIST}${name}` : `${STATIC}${name}`), name);
  }
  assert.match(html, /data-actions="__TSGI_ACTIONS__"/);
  assert.match(html, /data-push="__TSGI_PUSH__"/);
  assert.doesNotMatch(html, /<script>|\bstyle="|\bon[a-z]+="/, 'no inline script, style or handler: the CSP forbids them');
});
