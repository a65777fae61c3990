import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { load, printed, tempDir, writeIni } from './fixtures.js';

/** A directory with server.js, tasks.mjs, a file and a subdirectory, and an ini in it. */
function project(): string {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'server.js'), '');
  writeFileSync(path.join(dir, 'tasks.mjs'), '');
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'sub', 'app.mjs'), '');
  return dir;
}

/** Load `lines` (after [tsgi] and http-socket) from an ini in `dir`, checking paths, with `cwd`. */
function check(dir: string, lines: string[], cwd = dir, argv: string[] = []): string[] {
  const file = writeIni(['[tsgi]', 'http-socket = :8080', ...lines].join('\n'), 'app.ini', dir);
  return printed(load([file, ...argv], { cwd, checkPaths: true }).errors).map((e) => e.replaceAll(dir, 'DIR'));
}

test('good paths load: app and spooler-import under chdir, spooler to be created under the working directory', () => {
  const dir = project();
  assert.deepEqual(check(dir, ['chdir = sub', 'app = app.mjs', 'spooler-import = ../tasks.mjs', 'spooler = spool/a', 'spooler = spool/b']), []);
  assert.deepEqual(check(dir, ['app = %dserver.js:handler'], os.tmpdir()), [], 'app = file:export names the file');
});

test('chdir must be an existing directory', () => {
  const dir = project();
  assert.deepEqual(check(dir, ['app = server.js', 'chdir = nope']), ['DIR/app.ini:4: option "chdir": nope (DIR/nope) does not exist']);
  assert.deepEqual(check(dir, ['app = server.js', 'chdir = %dserver.js']), ['DIR/app.ini:4: option "chdir": DIR/server.js is a file, not a directory']);
});

test('app and spooler-import must be existing files', () => {
  const dir = project();
  assert.deepEqual(check(dir, ['app = ./missing.js']), ['DIR/app.ini:3: option "app": ./missing.js (DIR/missing.js) does not exist']);
  assert.deepEqual(check(dir, ['app = sub']), ['DIR/app.ini:3: option "app": sub (DIR/sub) is a directory, not a file']);
  assert.deepEqual(check(dir, ['app = server.js', 'spooler = spool', 'spooler-import = tasks.js']), ['DIR/app.ini:5: option "spooler-import": tasks.js (DIR/tasks.js) does not exist']);
});

test('spooler: a file in the way, a file itself, or no write permission', () => {
  const dir = project();
  assert.deepEqual(check(dir, ['app = server.js', 'spooler = ok', 'spooler = server.js/spool']), ['DIR/app.ini:5: option "spooler": server.js/spool (DIR/server.js/spool) cannot be created: DIR/server.js is a file, not a directory']);
  assert.deepEqual(check(dir, ['app = server.js', 'spooler = %dtasks.mjs']), ['DIR/app.ini:4: option "spooler": DIR/tasks.mjs is a file, not a directory']);
  if (process.getuid?.() !== 0) {
    mkdirSync(path.join(dir, 'locked'));
    chmodSync(path.join(dir, 'locked'), 0o500);
    assert.deepEqual(check(dir, ['app = server.js', 'spooler = locked/spool']), ['DIR/app.ini:4: option "spooler": locked/spool (DIR/locked/spool) cannot be created: DIR/locked is not writable (EACCES)']);
  }
});

test('the command line replaces the files\' spoolers: its own values are checked, located on the command line', () => {
  const dir = project();
  assert.deepEqual(check(dir, ['app = server.js', 'spooler = server.js/x'], dir, ['--spooler', 'ok', '--spooler', 'tasks.mjs']), ['command line: option "spooler": tasks.mjs (DIR/tasks.mjs) is a file, not a directory']);
});

test('an existing master-fifo must be a FIFO: the master would replace anything else', () => {
  const dir = project();
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
  assert.deepEqual(check(dir, ['app = server.js', 'master-fifo = fifo', 'master-fifo = new-fifo']), []);
  assert.deepEqual(check(dir, ['app = server.js', 'master-fifo = fifo', 'master-fifo = server.js']), ['DIR/app.ini:5: option "master-fifo": server.js (DIR/server.js) is a file, not a FIFO; the master would replace it (remove it or pick another path)']);
});

test('a rejected chdir is not also reported as a missing app', () => {
  const dir = project();
  assert.deepEqual(check(dir, ['app = app.mjs', 'chdir = %dmissing']), ['DIR/app.ini:4: option "chdir": DIR/missing does not exist']);
});
