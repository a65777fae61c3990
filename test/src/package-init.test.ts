/**
 * `supervise --init`: which module it picks from package.json, what the starter ini holds,
 * and that bad input is named and writes nothing. (package.test.ts runs the written ini
 * of an Express project installed from the tarball.)
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SUPERVISE, Supervise, freePort, killAll, request, tmp } from './harness.js';

after(killAll);

/** A project directory with this package.json (none when undefined) and these files. */
function projectWith(pkg: object | undefined, files: Record<string, string> = {}): string {
  const dir = tmp('tsgi-init-');
  if (pkg) writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const init = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [SUPERVISE, '--init', ...args], { cwd, encoding: 'utf8', timeout: 20_000 });
const LISTENER = 'export default (req, res) => res.end("from init\\n");\n';

describe('supervise --init', () => {
  test('the app of package.json main: a commented ini beside package.json that starts and serves', async () => {
    const dir = projectWith({ name: 'shop', main: 'src/server.js', type: 'module' }, { 'src/server.js': LISTENER });
    const r = init(path.join(dir, 'src'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /run it: +npx supervise --ini \.\.\/app\.ini/);
    const ini = readFileSync(path.join(dir, 'app.ini'), 'utf8');
    assert.match(ini, /^; app\.ini: how supervise runs shop\./);
    assert.match(ini, /^app = %dsrc\/server\.js$/m);
    assert.doesNotMatch(ini, /^node-args/m);
    const [port, stats] = await Promise.all([freePort(), freePort()]);
    const sup = new Supervise(['--ini', path.join(dir, 'app.ini'), '--http-socket', `127.0.0.1:${port}`, '--stats', `127.0.0.1:${stats}`, '--processes', '1']);
    await sup.waitReady(1);
    assert.equal((await request(port, '/')).body, 'from init\n');
    await sup.kill();
  });

  test('exports: the node / import / default condition of "."; a .ts app gets node-args = --import tsx', () => {
    const dir = projectWith({ name: 'api', exports: { '.': { types: './index.d.ts', import: './src/main.ts' }, './package.json': './package.json' } }, { 'src/main.ts': LISTENER });
    const r = init(dir);
    assert.equal(r.status, 0, r.stderr);
    const ini = readFileSync(path.join(dir, 'app.ini'), 'utf8');
    assert.match(ini, /^app = %dsrc\/main\.ts$/m);
    assert.match(ini, /^node-args = --import tsx$/m);
    assert.match(r.stdout, /npm install --save-dev tsx/);
  });

  test('an app that calls listen() itself is written for, with a note on what to change', () => {
    const dir = projectWith({ name: 'old', main: 'index.js' }, { 'index.js': 'require("http").createServer(() => {}).listen(3000);\n' });
    const r = init(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /index\.js calls listen\(\); under supervise the module exports the app instead/);
  });

  test('main as CommonJS resolution reads it: without its extension, or a folder with index.js', () => {
    for (const [main, file] of [['server', 'server.js'], ['lib', 'lib/index.js']] as const) {
      const dir = projectWith({ name: 'cjs', main }, { [file]: 'module.exports = (req, res) => res.end("cjs");\n' });
      const r = init(dir);
      assert.equal(r.status, 0, r.stderr);
      assert.match(readFileSync(path.join(dir, 'app.ini'), 'utf8'), new RegExp(`^app = %d${file.replace('.', '\\.')}$`, 'm'));
    }
  });

  test('a module named on the command line wins over package.json', () => {
    const dir = projectWith({ name: 'two', main: 'a.js' }, { 'a.js': LISTENER, 'b.js': LISTENER });
    assert.equal(init(dir, './b.js').status, 0);
    assert.match(readFileSync(path.join(dir, 'app.ini'), 'utf8'), /^app = %db\.js$/m);
  });

  test('no app to find, a missing module, an existing app.ini: the reason, exit 1, nothing written or changed', () => {
    const cases: Array<[string, RegExp]> = [
      [projectWith({ name: 'empty' }), /package\.json has no main or exports: name the app module/],
      [projectWith({ name: 'unbuilt', main: 'dist/server.js' }), /dist\/server\.js \(main of .*package\.json\) does not exist: build it first/],
    ];
    for (const [dir, reason] of cases) {
      const r = init(dir);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, reason);
      assert.equal(existsSync(path.join(dir, 'app.ini')), false);
    }
    const dir = projectWith({ name: 'done', main: 'server.js' }, { 'server.js': LISTENER, 'app.ini': '[tsgi]\n; mine\n' });
    const r = init(dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /app\.ini exists already; edit it, or remove it/);
    assert.equal(readFileSync(path.join(dir, 'app.ini'), 'utf8'), '[tsgi]\n; mine\n');
    assert.equal(init(dir, 'a.js', 'b.js').status, 2, 'usage: one module at most');
  });
});
