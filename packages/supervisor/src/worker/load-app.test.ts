import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppLoadError, loadApp } from './load-app.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tsgi-load-app-'));
function module(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

test('upgrade, setup and close are picked from named exports beside the handler', async () => {
  const app = await loadApp(
    module('hooks.mjs', 'export default (req, res) => res.end(); export function upgrade() {} export async function setup() {} export const close = () => 1;'),
  );
  assert.equal(app.kind, 'node');
  assert.deepEqual(Object.keys(app.hooks).sort(), ['close', 'setup', 'upgrade']);
});

test('a CommonJS module exporting an object gives its methods, bound to it', async () => {
  const app = await loadApp(module('hooks.cjs', 'module.exports = { closed: 0, fetch: (r) => new Response("x"), close() { this.closed++; return this.closed; } };'));
  assert.equal(app.kind, 'fetch');
  assert.equal(app.hooks.close?.(), 1);
  assert.equal(app.hooks.upgrade, undefined);
});

test('a function default export lends no hooks: an Express app has methods of its own', async () => {
  const app = await loadApp(module('fn.cjs', 'function app(req, res) { res.end(); } app.close = () => 1; module.exports = app;'));
  assert.deepEqual(app.hooks, {});
});

test('a hook that is not a function is a load error naming it', async () => {
  await assert.rejects(loadApp(module('bad.mjs', 'export default (req, res) => res.end(); export const close = 5;')), (e: unknown) => {
    assert.ok(e instanceof AppLoadError);
    assert.match(e.message, /export "close" is a number, not a function/);
    return true;
  });
});
