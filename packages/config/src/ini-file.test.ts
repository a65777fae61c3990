import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { defaultConfig } from './config.js';
import { load, printed, tempDir, writeIni } from './fixtures.js';
import { parseIniText, readIniFile, renderIni, splitIniSpec } from './ini-file.js';

function entries(text: string, section?: string): Array<[string, string | undefined, number]> {
  return parseIniText(text, 'app.ini', section).entries.map((e) => [e.key, e.value, e.line]);
}

test('line semantics: trim, first "=", quotes and inline ";" kept, bare keys, comments', () => {
  const text = [
    '; a comment',
    '[uwsgi]',
    '  # another comment',
    'master',
    'env = A=B=C',
    'procname-prefix = "quoted value"',
    'argv = a ; not a comment',
    '\tprocesses\t=\t4\r',
    '',
    'max_requests = 5',
    'vacuum =',
  ].join('\n');
  assert.deepEqual(entries(text), [
    ['master', undefined, 4],
    ['env', 'A=B=C', 5],
    ['procname-prefix', '"quoted value"', 6],
    ['argv', 'a ; not a comment', 7],
    ['processes', '4', 8],
    ['max_requests', '5', 10],
    ['vacuum', '', 11],
  ]);
});

test('duplicates are all kept, in order, across repeated sections of the same name', () => {
  const text = '[uwsgi]\nenv = A=1\n[other]\nenv = X=0\n[uwsgi]\nenv = B=2\nenv = A=3\n';
  assert.deepEqual(entries(text), [['env', 'A=1', 2], ['env', 'B=2', 6], ['env', 'A=3', 7]]);
});

test('[tsgi] is read in preference to [uwsgi]; file:section picks another', () => {
  const text = '[uwsgi]\nprocesses = 1\n[tsgi]\nprocesses = 2\n[prod]\nprocesses = 3\n';
  assert.deepEqual(entries(text), [['processes', '2', 4]]);
  assert.deepEqual(entries(text, 'prod'), [['processes', '3', 6]]);
  assert.deepEqual(entries('[uwsgi]\nprocesses = 1\n'), [['processes', '1', 2]]);
});

test('a missing section is an error naming the file and the sections it has', () => {
  assert.deepEqual(printed(parseIniText('[app]\nx=1\n[prod]\n', 'app.ini').errors), ['app.ini: no [tsgi] or [uwsgi] section (sections found: [app], [prod])']);
  assert.deepEqual(printed(parseIniText('x=1\n', 'app.ini', 'prod').errors), ['app.ini: no [prod] section (it has no sections)']);
});

test('malformed lines are syntax errors; lines before any section are ignored with a warning', () => {
  const read = parseIniText('early = 1\n[tsgi\n[tsgi]\n= 4\n', 'app.ini');
  assert.deepEqual(printed(read.errors), ['app.ini:2: "[tsgi" is not a section header like [tsgi]', 'app.ini:4: "= 4" has no option name before "="']);
  assert.deepEqual(printed(read.warnings), ['app.ini:1: "early" is before any [section] header and is ignored']);
  assert.deepEqual(read.warnings.map((w) => w.code), ['TSGI_CONFIG_OUTSIDE_SECTION']);
});

test('file:section splits on the last colon, unless the whole text is a file', () => {
  const none = (): boolean => false;
  assert.deepEqual(splitIniSpec('app.ini', none), { file: 'app.ini' });
  assert.deepEqual(splitIniSpec('app.ini:prod', none), { file: 'app.ini', section: 'prod' });
  assert.deepEqual(splitIniSpec('a:b.ini:prod', none), { file: 'a:b.ini', section: 'prod' });
  assert.deepEqual(splitIniSpec('dir:x/app.ini', none), { file: 'dir:x/app.ini' });
  assert.deepEqual(splitIniSpec('odd:name', (f) => f === 'odd:name'), { file: 'odd:name' });
});

test('readIniFile: a missing file is an error naming it; file:section on disk', () => {
  const dir = tempDir();
  const missing = readIniFile('nope.ini', dir);
  assert.deepEqual(missing.errors.map((e) => e.code), ['TSGI_CONFIG_FILE_NOT_FOUND']);
  assert.match(printed(missing.errors)[0] ?? '', /^config file "nope\.ini" does not exist \(looked for .*nope\.ini\)$/);
  assert.deepEqual(readIniFile('.', dir).errors.map((e) => e.code), ['TSGI_CONFIG_FILE_UNREADABLE']);
  const file = writeIni('[tsgi]\nprocesses = 2\n[prod]\nprocesses = 8\n', 'app.ini', dir);
  const prod = readIniFile('app.ini:prod', dir);
  assert.equal(prod.path, file);
  assert.deepEqual(prod.entries, [{ key: 'processes', value: '8', line: 4 }]);
  const oddName = writeIni('[tsgi]\nprocesses = 3\n', 'odd:prod', dir);
  assert.equal(readIniFile(path.basename(oddName), dir).entries[0]?.value, '3');
});

test('renderIni writes a readable [tsgi] section with repeated keys, raw values', () => {
  const config = { ...defaultConfig(2), app: './server.js', httpSocket: [':8080', '/run/app.sock'], env: ['A=1', 'B=x;y'], chmodSocket: 0o660, procnamePrefix: '100%' };
  const text = renderIni(config, { defaults: defaultConfig(2) });
  assert.equal(text, [
    '[tsgi]',
    'app             = ./server.js',
    'env             = A=1',
    'env             = B=x;y',
    'http-socket     = :8080',
    'http-socket     = /run/app.sock',
    'chmod-socket    = 660',
    'procname-prefix = 100%%',
    '',
  ].join('\n'));
});

test('renderIni output reads back to the same config', () => {
  const file = writeIni('[tsgi]\napp = %dserver.js\nhttp-socket = :8080\nhttp-socket = :8081\nenv = A=1\nenv = B=2\nchmod-socket\nprocesses = 3\ncheaper = 1\nstats-push = 0.5\nprocname-prefix = 5%%\n');
  const first = load([file]);
  assert.deepEqual(first.errors, []);
  assert.ok(first.config);
  const full = renderIni(first.config);
  assert.match(full, /^\[tsgi\]\n/);
  const again = load([writeIni(full)]);
  assert.deepEqual(again.errors, []);
  assert.deepEqual(again.config, first.config);
});
