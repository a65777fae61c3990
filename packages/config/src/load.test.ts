import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { resolveAppSpec } from './app-spec.js';
import { load, printed, tempDir, validIni, writeIni } from './fixtures.js';

test('a valid file loads, with defaults, and the file is listed', () => {
  const file = writeIni(validIni('processes = 2', 'env = A=1', 'env = B=2'));
  const result = load(['--ini', file]);
  assert.deepEqual(printed(result.errors), []);
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(result.files, [file]);
  assert.equal(result.config?.processes, 2);
  assert.deepEqual(result.config?.env, ['A=1', 'B=2']);
  assert.equal(result.config?.listen, 100);
  assert.equal(result.config?.cheaperInitial, 0);
});

test('processes defaults to the usable CPUs (%k) and %k expands to them', () => {
  assert.equal(load([writeIni(validIni())]).config?.processes, 4);
  assert.equal(load([writeIni(validIni('cheaper = 1', 'processes = %k'))]).config?.processes, 4);
});

test('placeholders: magic variables in files, $(ENV) in files and on the command line', () => {
  const dir = tempDir();
  const file = writeIni(['[tsgi]', 'app = %dserver.js', 'http-socket = :$(PORT)', 'pidfile = /run/%n.pid', 'procname-prefix = %h-'].join('\n'), 'web.ini', dir);
  const result = load([file, '--stats', '127.0.0.1:$(STATS:-9191)', '--procname-master', '%d'], { env: { PORT: '9000' } });
  assert.deepEqual(printed(result.errors), []);
  assert.equal(result.config?.app, `${dir}/server.js`);
  assert.deepEqual(result.config?.httpSocket, [':9000']);
  assert.equal(result.config?.pidfile, '/run/web.pid');
  assert.equal(result.config?.procnamePrefix, 'testhost-');
  assert.equal(result.config?.stats, '127.0.0.1:9191');
  assert.equal(result.config?.procnameMaster, '%d', 'magic variables are for files only');
});

/** Each error case: ini lines after [tsgi], extra argv, the printed errors (FILE = the ini). */
const ERROR_CASES: ReadonlyArray<readonly [string, string[], string[], string[]]> = [
  ['unknown option with suggestion', ['app = a.js', 'http-socket = :80', 'procesess = 4'], [], ['FILE:4: unknown option "procesess" (did you mean "processes"?)']],
  ['unknown option, prefix suggestion', ['app = a.js', 'http-socket = :80', 'cheaper-busyness-backlog = 3'], [], ['FILE:4: unknown option "cheaper-busyness-backlog" (did you mean "cheaper-busyness-backlog-alert"?)']],
  ['unknown option without suggestion', ['app = a.js', 'http-socket = :80', 'frobnicate = 1'], [], ['FILE:4: unknown option "frobnicate"']],
  ['uWSGI include', ['app = a.js', 'http-socket = :80', 'ini = other.ini'], [], ['FILE:4: unknown option "ini": give several --ini files on the command line instead']],
  ['refused uWSGI option', ['app = a.js', 'http-socket = :80', 'hook-pre-app = exec:make'], [], ['FILE:4: unknown option "hook-pre-app": tsgi runs no hooks or commands at start-up phases: run them from the systemd unit (ExecStartPre=) or from the app']],
  ['uWSGI option not implemented', ['app = a.js', 'http-socket = :80', 'cache2 = name=x,items=10'], [], ['FILE:4: unknown option "cache2": a uWSGI option tsgi does not implement (see docs/options.md)']],
  ['uWSGI option not implemented, near a known one', ['app = a.js', 'http-socket = :80', 'logto2 = /tmp/x.log'], [], ['FILE:4: unknown option "logto2": a uWSGI option tsgi does not implement (see docs/options.md) (did you mean "logto"?)']],
  ['misspelt ignored option', ['app = a.js', 'http-socket = :80', 'thunder_lok'], [], ['FILE:4: unknown option "thunder_lok" (did you mean "thunder-lock"?)']],
  ['python app and no app', ['http-socket = :80', 'module = shop.wsgi:application'], [], ['FILE:3: no app configured: "module" names a Python app of uWSGI, which tsgi cannot run; set app = ./server.js']],
  ['wrong type', ['app = a.js', 'http-socket = :80', 'processes = abc'], [], ['FILE:4: option "processes": "abc" is not an integer']],
  ['bare non-bool key', ['app = a.js', 'http-socket = :80', 'listen'], [], ['FILE:4: option "listen" needs a value']],
  ['bad address', ['app = a.js', 'http-socket = 8080'], [], ['FILE:3: option "http-socket": "8080" looks like a port: write :8080']],
  ['out of range', ['app = a.js', 'http-socket = :80', 'processes = 0'], [], ['FILE:4: option "processes": must be at least 1 (got 0)']],
  ['nice value out of range', ['app = a.js', 'http-socket = :80', 'worker-prio = 20'], [], ['FILE:4: option "worker-prio": must be at most 19 (got 20)']],
  ['percent above 100', ['app = a.js', 'http-socket = :80', 'cheaper = 1', 'processes = 2', 'cheaper-algo = busyness', 'cheaper-busyness-max = 150'], [], ['FILE:7: option "cheaper-busyness-max": must be at most 100 (got 150)']],
  ['unknown magic', ['app = %zserver.js', 'http-socket = :80'], [], ['FILE:2: option "app": unknown placeholder "%z" (known: %d %p %s %n %e %c %k %h %v %%; write %% for a percent sign)']],
  ['unset env', ['app = a.js', 'http-socket = :$(NO_SUCH_PORT)'], [], ['FILE:3: option "http-socket": environment variable "NO_SUCH_PORT" is not set (write $(NO_SUCH_PORT:-default) to give a default)']],
  ['unset env on the command line', ['app = a.js', 'http-socket = :80'], ['--stats', '$(NOPE)'], ['command line: option "stats": environment variable "NOPE" is not set (write $(NOPE:-default) to give a default)']],
  ['cheaper >= processes', ['app = a.js', 'http-socket = :80', 'processes = 4', 'cheaper = 4'], [], ['FILE:5: option "cheaper": 4 must be lower than "processes" (4, set at FILE:4)']],
  ['cheaper >= default processes', ['app = a.js', 'http-socket = :80', 'cheaper = 6'], [], ['FILE:4: option "cheaper": 6 must be lower than "processes" (4, its default: the CPUs this process may use)']],
  ['cheaper-initial below cheaper', ['app = a.js', 'http-socket = :80', 'processes = 8', 'cheaper = 2', 'cheaper-initial = 1'], [], ['FILE:6: option "cheaper-initial": 1 must be between "cheaper" (2, set at FILE:5) and "processes" (8, set at FILE:4)']],
  ['cheaper-initial above processes', ['app = a.js', 'http-socket = :80', 'processes = 8', 'cheaper = 2', 'cheaper-initial = 9'], [], ['FILE:6: option "cheaper-initial": 9 must be between "cheaper" (2, set at FILE:5) and "processes" (8, set at FILE:4)']],
  ['busyness min >= max', ['app = a.js', 'http-socket = :80', 'cheaper = 1', 'cheaper-algo = busyness', 'cheaper-busyness-min = 60'], [], ['FILE:6: option "cheaper-busyness-min": 60 must be lower than "cheaper-busyness-max" (50, its default)']],
  ['min >= max worker lifetime', ['app = a.js', 'http-socket = :80', 'max-worker-lifetime = 5'], [], ['FILE:4: option "min-worker-lifetime": 10 must be lower than "max-worker-lifetime" (5, set at FILE:4)']],
  ['backoff max below base', ['app = a.js', 'http-socket = :80', 'forkbomb-delay = 5', 'respawn-backoff-max = 3'], [], ['FILE:5: option "respawn-backoff-max": 3 must not be lower than "forkbomb-delay" (5, set at FILE:4)']],
  ['app export and callable', ['app = a.js:handler', 'callable = other', 'http-socket = :80'], [], ['FILE:3: option "callable": "other" conflicts with the export named in app = a.js:handler; keep one']],
  ['no app', ['http-socket = :80'], [], ['FILE: no app configured: set app = ./server.js']],
  ['no socket', ['app = a.js'], [], ['FILE: no socket configured: set http-socket = :8080 (or a unix socket path)']],
  ['syntax', ['app = a.js', 'http-socket = :80', '= 3'], [], ['FILE:4: "= 3" has no option name before "="']],
  ['%(name) of nothing', ['app = %(nope)/a.js', 'http-socket = :80'], [], ['FILE:2: option "app": %(nope) names no option or placeholder of the ini files (define it with "nope = ..." or "set-placeholder = nope=...")']],
  ['%(name) cycle', ['a = %(b)', 'b = x%(a)', 'app = %(a)', 'http-socket = :80'], [], ['FILE:4: option "app": %(a) refers to itself (a -> b -> a)']],
  ['%(a + b) of text', ['base = web', 'app = a.js', 'http-socket = :80', 'processes = %(base + 1)'], [], ['FILE:5: option "processes": %(base + 1): "+" needs integers (got "web" and "1")']],
  ['%(a +) dangling', ['app = a.js', 'http-socket = :80', 'processes = %(2 +)'], [], ['FILE:4: option "processes": %(2 +): "+" needs a value on each side']],
  ['%( unterminated', ['app = a.js', 'http-socket = :80', 'pidfile = /run/%(name.pid'], [], ['FILE:4: option "pidfile": "%(name.pid" has no closing ")"']],
  ['%(name) through a bad value', ['root = /srv/$(NO_SUCH_ROOT)', 'app = %(root)/a.js', 'http-socket = :80'], [], ['FILE:3: option "app": %(root): environment variable "NO_SUCH_ROOT" is not set (write $(NO_SUCH_ROOT:-default) to give a default)']],
];

test('every error case names file:line and the option', () => {
  for (const [name, lines, argv, expected] of ERROR_CASES) {
    const file = writeIni(['[tsgi]', ...lines].join('\n'));
    const result = load([file, ...argv]);
    assert.deepEqual(printed(result.errors), expected.map((e) => e.replaceAll('FILE', file)), name);
    assert.equal(result.config, undefined, name);
  }
});

test('diagnostics carry code, file, line and option separately', () => {
  const file = writeIni(validIni('processes = 4', 'cheaper = 4'));
  const [error] = load([file]).errors;
  assert.deepEqual(error, { code: 'TSGI_CONFIG_CHEAPER_TOO_HIGH', message: `option "cheaper": 4 must be lower than "processes" (4, set at ${file}:4)`, file, line: 5, option: 'cheaper' });
});

test('files named relative to cwd are reported as written', () => {
  const dir = tempDir();
  writeIni('[tsgi]\nprocesses = x\n', 'app.ini', dir);
  assert.deepEqual(printed(load(['app.ini'], { cwd: dir }).errors).slice(0, 1), ['app.ini:2: option "processes": "x" is not an integer']);
  assert.deepEqual(printed(load(['missing.ini'], { cwd: dir }).errors), [`config file "missing.ini" does not exist (looked for ${path.join(dir, 'missing.ini')})`]);
});

test('warnings: planned options, no-effect options, master = false, listen above somaxconn', () => {
  const file = writeIni(validIni('max-worker-lifetime-delta = 5', 'harakiri-verbose', 'max-requests-delta = 2', 'master = false', 'listen = 5000', 'stats-http', 'lazy-apps', 'http-sticky = true'));
  const result = load([file]);
  assert.deepEqual(printed(result.errors), []);
  assert.deepEqual(printed(result.warnings).sort(), [
    `${file}:4: option "max-worker-lifetime-delta" has no effect without max-worker-lifetime`,
    `${file}:5: option "harakiri-verbose" has no effect without harakiri`,
    `${file}:6: option "max-requests-delta" has no effect without max-requests`,
    `${file}:7: option "master": tsgi always runs a master; "false" has no effect`,
    `${file}:8: option "listen": 5000 exceeds net.core.somaxconn (4096); the kernel will silently cap the backlog at 4096`,
    `${file}:9: option "stats-http" has no effect without stats`,
    `${file}:11: option "http-sticky" has no effect without the http router (http =)`,
  ].sort());
  assert.equal(result.config?.master, true);
});

test('a uwsgi socket or the http router alone satisfies the socket requirement', () => {
  for (const line of ['socket = :3031', 'http = :5000']) {
    const result = load([writeIni(`[tsgi]\napp = a.js\n${line}\n`)]);
    assert.deepEqual(printed(result.errors), []);
    assert.deepEqual(result.warnings, []);
  }
});

test('the command line overrides the files; repeatable options are replaced, not appended', () => {
  const file = writeIni(validIni('processes = 2', 'env = A=1', 'env = B=2', 'vacuum = true'));
  const result = load(['--processes', '6', file, '--env', 'C=3', '--env=D=4', '--vacuum=false', '--http-socket', ':9000']);
  assert.deepEqual(printed(result.errors), []);
  assert.equal(result.config?.processes, 6);
  assert.deepEqual(result.config?.env, ['C=3', 'D=4']);
  assert.equal(result.config?.vacuum, false);
  assert.deepEqual(result.config?.httpSocket, [':9000']);
});

test('several files: read in order, last scalar wins, repeatable values accumulate', () => {
  const dir = tempDir();
  const base = writeIni(validIni('processes = 2', 'env = A=1'), 'base.ini', dir);
  const prod = writeIni('[tsgi]\nprocesses = 8\nenv = B=2\n[staging]\nprocesses = 3\n', 'prod.ini', dir);
  const result = load(['--ini', base, '--ini', prod]);
  assert.equal(result.config?.processes, 8);
  assert.deepEqual(result.config?.env, ['A=1', 'B=2']);
  assert.deepEqual(result.files, [base, prod]);
  assert.equal(load(['--ini', base, '--ini', `${prod}:staging`]).config?.processes, 3);
  assert.equal(load(['--ini', prod, '--ini', ':staging', '--ini', base]).config?.processes, 2);
  assert.deepEqual(printed(load(['--ini', ':staging']).errors).slice(0, 1), ['command line: --ini :staging needs a file before it (--ini app.ini --ini :staging)']);
});

test("uWSGI's %(name): options, set-placeholder and unknown keys in use, forward and across files, with arithmetic", () => {
  const dir = tempDir();
  const base = writeIni(['[uwsgi]', 'project_name = shop', 'set-ph = suffix=-worker', 'processes = 2'].join('\n'), 'base.ini', dir);
  const app = writeIni(
    [
      '[uwsgi]',
      'chdir = %(root)',
      'root = /srv/%(project-name)',
      'app = %(chdir)/server.js',
      'http-socket = /tmp/%(project_name).sock',
      'processes = 6',
      'cheaper = %(processes - 1)',
      'procname-prefix = %(project_name)%(suffix) ',
      'env = WORKERS=%(processes * 3 / 2)',
      'env = LABEL=%(project_name suffix)',
    ].join('\n'),
    'app.ini',
    dir,
  );
  const result = load(['--ini', base, '--ini', app]);
  assert.deepEqual(printed(result.errors), []);
  assert.equal(result.config?.chdir, '/srv/shop', 'a key defined after its use');
  assert.equal(result.config?.app, '/srv/shop/server.js', 'an option through another option');
  assert.deepEqual(result.config?.httpSocket, ['/tmp/shop.sock']);
  assert.equal(result.config?.processes, 6, 'the last value is the option');
  assert.equal(result.config?.cheaper, 1, "but %(processes) is its first occurrence, as in uWSGI");
  assert.equal(result.config?.procnamePrefix, 'shop-worker');
  assert.deepEqual(result.config?.env, ['WORKERS=3', 'LABEL=shop-worker']);
  const alone = printed(load(['--ini', app]).errors);
  assert.ok(alone.length > 0);
  assert.ok(alone.every((e) => /%\((project[-_]name|suffix)\) names no option or placeholder/.test(e)), alone.join('\n'));
});

test("uWSGI's @(file): the file's text without its trailing newline, the path itself expanded", () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'db-password'), 's3cret\n');
  writeFileSync(path.join(dir, 'workers'), '3');
  const file = writeIni(validIni('env = DB_PASSWORD=@(%ddb-password)', 'secrets = %d', 'processes = @(%(secrets)workers)', 'env = LITERAL=a@b (c)'), 'app.ini', dir);
  const result = load([file]);
  assert.deepEqual(printed(result.errors), []);
  assert.deepEqual(result.config?.env, ['DB_PASSWORD=s3cret', 'LITERAL=a@b (c)']);
  assert.equal(result.config?.processes, 3);
  const relative = load([writeIni(validIni('env = W=@(workers)'))], { cwd: dir });
  assert.deepEqual(relative.config?.env, ['W=3'], 'a relative path is read from the working directory, as in uWSGI');
  const missing = writeIni(validIni('env = X=@(/nonexistent/secret)'));
  assert.deepEqual(printed(load([missing]).errors), [`${missing}:4: option "env": @(/nonexistent/secret): cannot read /nonexistent/secret (ENOENT)`]);
  const scheme = writeIni(validIni('env = X=@(exec://hostname)'));
  assert.deepEqual(printed(load([scheme]).errors), [`${scheme}:4: option "env": @(exec://hostname): schemes such as exec:// or http:// are not supported; name a file`]);
});

test('a key nothing refers to is still an unknown option, and %(...) stays literal on the command line', () => {
  const file = writeIni(validIni('procesess = 4', 'env = A=%(processes)'));
  assert.deepEqual(printed(load([file]).errors), [
    `${file}:4: unknown option "procesess" (did you mean "processes"?)`,
    `${file}:5: option "env": %(processes): option "processes" is not set in the ini files (a reference reads the files, not defaults)`,
  ]);
  const cli = load([writeIni(validIni()), '--procname-prefix', '%(x)']);
  assert.deepEqual(printed(cli.errors), []);
  assert.equal(cli.config?.procnamePrefix, '%(x)');
});

test('a uWSGI file without [tsgi] works as it is; [tsgi] wins when both exist', () => {
  const uwsgi = writeIni('[uwsgi]\napp = a.js\nhttp-socket = :80\nmaster = true\nprocesses = 3\nmax-requests = 100\n');
  assert.equal(load([uwsgi]).config?.maxRequests, 100);
  const both = writeIni('[uwsgi]\nprocesses = 3\n[tsgi]\napp = a.js\nhttp-socket = :80\nprocesses = 2\n');
  assert.equal(load([both]).config?.processes, 2);
  const neither = writeIni('[app]\nprocesses = 3\n');
  assert.deepEqual(printed(load([neither]).errors), [`${neither}: no [tsgi] or [uwsgi] section (sections found: [app])`]);
});

test('cheaper-initial defaults to cheaper', () => {
  assert.equal(load([writeIni(validIni('processes = 8', 'cheaper = 2'))]).config?.cheaperInitial, 2);
  assert.equal(load([writeIni(validIni('processes = 8', 'cheaper = 2', 'cheaper-initial = 5'))]).config?.cheaperInitial, 5);
});

test('resolveAppSpec: default export, file:name, callable, against chdir or cwd', () => {
  const cases: ReadonlyArray<readonly [{ app?: string; callable?: string; chdir?: string }, unknown]> = [
    [{ app: './server.js' }, { file: '/cwd/server.js' }],
    [{ app: './server.js:handler' }, { file: '/cwd/server.js', exportName: 'handler' }],
    [{ app: 'server.js', callable: 'app' }, { file: '/cwd/server.js', exportName: 'app' }],
    [{ app: './server.js', chdir: 'srv' }, { file: '/cwd/srv/server.js' }],
    [{ app: '/abs/app.mjs', chdir: '/elsewhere' }, { file: '/abs/app.mjs' }],
    [{}, undefined],
  ];
  for (const [config, expected] of cases) {
    assert.deepEqual(resolveAppSpec({ app: config.app, callable: config.callable, chdir: config.chdir }, '/cwd'), expected, JSON.stringify(config));
  }
});

test('a rejected value does not cascade into rule errors about the same option', () => {
  const file = writeIni(['[tsgi]', 'app = $(NOPE)', 'http-socket = 8080', 'processes = abc', 'cheaper = 4'].join('\n'));
  assert.deepEqual(load([file]).errors.map((e) => e.code), ['TSGI_CONFIG_UNSET_ENV', 'TSGI_CONFIG_INVALID_VALUE', 'TSGI_CONFIG_INVALID_VALUE']);
});

test('stats-http-actions-token: at least 16 printable characters, never repeated in the message; no effect without the dashboard', () => {
  for (const bad of ['short', 'sixteen chars ok', 'fifteen-chars-x']) {
    const file = writeIni(validIni('stats = :9191', 'stats-http', `stats-http-actions-token = ${bad}`));
    const result = load([file]);
    assert.deepEqual(result.errors.map((e) => [e.code, e.line, e.option]), [['TSGI_CONFIG_ACTIONS_TOKEN', 6, 'stats-http-actions-token']], bad);
    assert.ok(!printed(result.errors)[0]!.includes(bad), 'the message does not print the token');
  }
  const good = load([writeIni(validIni('stats = :9191', 'stats-http', 'stats-http-actions-token = 0123456789abcdef'))]);
  assert.deepEqual(printed(good.errors), []);
  assert.equal(good.config?.statsHttpActionsToken, '0123456789abcdef');
  assert.equal(good.config?.statsHttpDashboard, true, 'the read-only page is on by default');
  assert.equal(load([writeIni(validIni('stats = :9191', 'stats-http'))]).config?.statsHttpActionsToken, undefined, 'actions are off by default');

  const noHttp = writeIni(validIni('stats = :9191', 'stats-http-actions-token = 0123456789abcdef', 'stats-http-dashboard = true'));
  assert.deepEqual(printed(load([noHttp]).warnings).sort(), [
    `${noHttp}:5: option "stats-http-actions-token" has no effect without stats-http`,
    `${noHttp}:6: option "stats-http-dashboard" has no effect without stats-http`,
  ]);
  const noPage = writeIni(validIni('stats = :9191', 'stats-http', 'stats-http-dashboard = false', 'stats-http-actions-token = 0123456789abcdef'));
  assert.deepEqual(printed(load([noPage]).warnings), [`${noPage}:7: option "stats-http-actions-token" has no effect with stats-http-dashboard = false`]);
});

test('websocket-drain not shorter than worker-reload-mercy is a warning at the line that sets it, naming both', () => {
  const drainSet = writeIni(validIni('worker-reload-mercy = 10', 'websocket-drain = 10'));
  assert.deepEqual(printed(load([drainSet]).warnings), [
    `${drainSet}:5: option "websocket-drain": 10 s is not shorter than "worker-reload-mercy" (10, set at ${drainSet}:4): a draining worker is killed before its WebSockets get their close frame 1001, so they are reset`,
  ]);
  const mercySet = writeIni(validIni('worker-reload-mercy = 3'));
  const result = load([mercySet]);
  assert.deepEqual(result.warnings.map((w) => w.code), ['TSGI_CONFIG_DRAIN_OUTLASTS_MERCY']);
  assert.deepEqual(printed(result.warnings), [
    `${mercySet}:4: option "worker-reload-mercy": 3 s is not longer than "websocket-drain" (5, its default): a draining worker is killed before its WebSockets get their close frame 1001, so they are reset`,
  ]);
  assert.deepEqual(load([writeIni(validIni('worker-reload-mercy = 10', 'websocket-drain = 9.5'))]).warnings, []);
  assert.deepEqual(load(['--worker-reload-mercy', '6', writeIni(validIni())]).warnings, []);
  assert.equal(printed(load(['--websocket-drain', '6', '--worker-reload-mercy', '6', writeIni(validIni())]).warnings)[0]?.startsWith('command line: option "websocket-drain": 6 s'), true);
});
