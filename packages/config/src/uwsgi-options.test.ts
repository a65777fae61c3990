import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIAGNOSTIC_CODES } from './diagnostics.js';
import { load, printed, validIni, writeIni } from './fixtures.js';
import { OPTIONS } from './options.js';
import { UWSGI_OPTION_NAMES } from './uwsgi-names.js';
import { IGNORED_OPTIONS, REFUSED_OPTIONS, ignoredOption, refusal } from './uwsgi-options.js';

test('every ignored or refused name is an option of uWSGI 2.0, in one list only', () => {
  const tsgi = new Set(OPTIONS.flatMap((spec) => [spec.name, ...(spec.aliases ?? [])]));
  for (const name of Object.keys(IGNORED_OPTIONS)) {
    assert.ok(UWSGI_OPTION_NAMES.has(name), `${name} is no uWSGI option`);
    assert.ok(!tsgi.has(name), `${name} is a tsgi option`);
    assert.equal(refusal(name), undefined, `${name} is both ignored and refused`);
  }
  for (const { match, shown } of REFUSED_OPTIONS) {
    const hits = [...UWSGI_OPTION_NAMES].filter((name) => (typeof match === 'string' ? name === match : match.test(name)));
    assert.ok(hits.length > 0, `${shown} matches no uWSGI option`);
    for (const name of hits) assert.ok(!tsgi.has(name), `${name} is refused but a tsgi option`);
  }
  assert.equal(ignoredOption('toString'), undefined, 'no inherited property counts as an option');
});

test('the uWSGI names are normalised as tsgi reads keys, and hold the options of the brief', () => {
  for (const name of UWSGI_OPTION_NAMES) assert.match(name, /^[a-z0-9][a-z0-9.-]*$/, name);
  for (const name of ['reload-mercy', 'touch-chain-reload', 'buffer-size', 'post-buffering', 'limit-post', 'thunder-lock', 'single-interpreter', 'enable-threads', 'max-requests-delta', 'start-response-nodelay']) {
    assert.ok(UWSGI_OPTION_NAMES.has(name), name);
  }
});

test('ignored options in a file: one warning each with file, line, option and why; the config loads', () => {
  const file = writeIni(validIni('thunder-lock', 'enable_threads = true', 'post-buffering = 65536', 'virtualenv = /srv/venv', 'strict = true', 'threads-stacksize = 512'));
  const result = load([file]);
  assert.deepEqual(printed(result.errors), []);
  assert.deepEqual(printed(result.warnings), [
    `${file}:4: option "thunder-lock" is ignored: Node has no cross-process accept lock; each worker accepts from the shared socket and the kernel gives every connection to one of them`,
    `${file}:5: option "enable-threads" is ignored: it initialises the Python GIL; a Node app starts worker_threads as it likes`,
    `${file}:6: option "post-buffering" is ignored: Node streams a request body to the app as it arrives, and a slow upload holds no worker; limit-post caps the size`,
    `${file}:7: option "virtualenv" is ignored: a Python option of uWSGI, and tsgi runs Node apps; remove it; the app uses its own node_modules`,
    `${file}:8: option "strict" is ignored: tsgi is always strict: an unknown option is an error`,
    `${file}:9: option "threads-stacksize" is ignored: a Node worker serves its requests on one event loop and starts no thread per request`,
  ]);
  assert.deepEqual(
    result.warnings.map((w) => [w.code, w.option, w.line]),
    [
      ['TSGI_CONFIG_IGNORED_OPTION', 'thunder-lock', 4],
      ['TSGI_CONFIG_IGNORED_OPTION', 'enable-threads', 5],
      ['TSGI_CONFIG_IGNORED_OPTION', 'post-buffering', 6],
      ['TSGI_CONFIG_PYTHON_OPTION', 'virtualenv', 7],
      ['TSGI_CONFIG_IGNORED_OPTION', 'strict', 8],
      ['TSGI_CONFIG_IGNORED_OPTION', 'threads-stacksize', 9],
    ],
  );
  assert.equal(DIAGNOSTIC_CODES.TSGI_CONFIG_IGNORED_OPTION[0], 'warning');
  assert.equal(DIAGNOSTIC_CODES.TSGI_CONFIG_PYTHON_OPTION[0], 'warning');
  assert.ok(result.config);
});

test('an ignored option still resolves as %(name), and still warns', () => {
  const file = writeIni(validIni('home = /srv/venv', 'env = VENV=%(home)'));
  const result = load([file]);
  assert.deepEqual(printed(result.errors), []);
  assert.deepEqual(result.config?.env, ['VENV=/srv/venv']);
  assert.deepEqual(result.warnings.map((w) => w.option), ['home']);
});

test('a Python app option without app: the missing-app error points at it; with app it is a warning', () => {
  const lone = writeIni(['[uwsgi]', 'http-socket = :8080', 'wsgi-file = app.py'].join('\n'));
  const result = load([lone]);
  assert.deepEqual(printed(result.errors), [`${lone}:3: no app configured: "wsgi-file" names a Python app of uWSGI, which tsgi cannot run; set app = ./server.js`]);
  assert.deepEqual(result.warnings.map((w) => w.option), ['wsgi-file']);
  const both = load([writeIni(validIni('wsgi-file = app.py'))]);
  assert.deepEqual(printed(both.errors), []);
  assert.equal(both.config?.app, './server.js');
  const cli = load(['--http-socket', ':80', '--module', 'shop.wsgi']);
  assert.deepEqual(printed(cli.errors), ['command line: no app configured: "module" names a Python app of uWSGI, which tsgi cannot run; set app = ./server.js']);
});

test('the implemented uWSGI options parse with their units', () => {
  const file = writeIni(
    validIni('reload-mercy = 8.5', 'touch-chain-reload = /tmp/chain', 'touch-chain-reload = /tmp/chain2', 'touch-workers-reload = /tmp/w', 'buffer-size = 65535', 'limit-post = 5368709120', 'pyargv = --port 1'),
  );
  const result = load([file]);
  assert.deepEqual(printed(result.errors), []);
  assert.deepEqual(result.warnings, []);
  const c = result.config!;
  assert.equal(c.reloadMercy, 8.5);
  assert.deepEqual(c.touchChainReload, ['/tmp/chain', '/tmp/chain2']);
  assert.deepEqual(c.touchWorkersReload, ['/tmp/w']);
  assert.equal(c.bufferSize, 65535);
  assert.equal(c.limitPost, 5368709120, 'a body limit may pass 2 GiB');
  assert.equal(c.argv, '--port 1');
  const defaults = load([writeIni(validIni())]).config!;
  assert.deepEqual([defaults.reloadMercy, defaults.bufferSize, defaults.limitPost], [0, 16384, 0]);
  assert.equal(load(['-b', '8192', writeIni(validIni())]).config?.bufferSize, 8192, '-b as in uWSGI');
  assert.deepEqual(printed(load([writeIni(validIni('buffer-size = 0'))]).errors).map((e) => e.replace(/^.*:\d+: /, '')), ['option "buffer-size": must be at least 1 (got 0)']);
  assert.deepEqual(printed(load([writeIni(validIni('limit-post = 10M'))]).errors).map((e) => e.replace(/^.*:\d+: /, '')), ['option "limit-post": "10M" is not an integer']);
});

test('a production [uwsgi] file with the options of the brief starts with warnings only', () => {
  const file = writeIni(
    [
      '[uwsgi]',
      'app = ./server.js',
      'module = shop.wsgi:application',
      'http-socket = :8080',
      'master = true',
      'strict = true',
      'enable-threads = true',
      'single-interpreter = true',
      'thunder-lock = true',
      'vacuum = true',
      'die-on-term = true',
      'need-app = true',
      'lazy-apps = true',
      'processes = 4',
      'harakiri = 60',
      'harakiri-verbose = true',
      'max-requests = 1000',
      'max-requests-delta = 50',
      'reload-on-rss = 2048',
      'evil-reload-on-rss = 4096',
      'worker-reload-mercy = 60',
      'reload-mercy = 30',
      'touch-chain-reload = /tmp/chain',
      'buffer-size = 32768',
      'post-buffering = 8192',
      'limit-post = 10485760',
      'listen = 1024',
      'socket-timeout = 30',
      'http-timeout = 60',
      'chmod-socket = 660',
      'memory-report = true',
      'py-call-osafterfork = true',
      'mule-reload-mercy = 10',
    ].join('\n'),
  );
  const result = load([file]);
  assert.deepEqual(printed(result.errors), []);
  assert.deepEqual(result.warnings.map((w) => w.option).sort(), ['enable-threads', 'http-timeout', 'module', 'mule-reload-mercy', 'post-buffering', 'py-call-osafterfork', 'single-interpreter', 'strict', 'thunder-lock'].sort());
  assert.equal(result.config?.reloadMercy, 30);
});
