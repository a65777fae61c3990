import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgv } from './argv.js';
import { printed } from './fixtures.js';

/** The settings of a parse as [option, value] pairs. */
function settings(argv: string[]): Array<[string, string | undefined]> {
  const parsed = parseArgv(argv);
  assert.deepEqual(printed(parsed.errors), []);
  return parsed.settings.map((s) => [s.spec.name, s.value]);
}

test('option forms: --opt value, --opt=value, bare flags, short flags, aliases, `_`', () => {
  const cases: ReadonlyArray<readonly [string[], Array<[string, string | undefined]>]> = [
    [['--processes', '4'], [['processes', '4']]],
    [['--processes=4'], [['processes', '4']]],
    [['--workers', '4'], [['processes', '4']]],
    [['-p', '4'], [['processes', '4']]],
    [['-p4'], [['processes', '4']]],
    [['-R', '100'], [['max-requests', '100']]],
    [['--master'], [['master', undefined]]],
    [['--vacuum', '--die-on-term'], [['vacuum', undefined], ['die-on-term', undefined]]],
    [['--vacuum=false'], [['vacuum', 'false']]],
    [['--max_requests', '5'], [['max-requests', '5']]],
    [['--env', 'A=1', '--env=B=2'], [['env', 'A=1'], ['env', 'B=2']]],
    [['--chmod-socket'], [['chmod-socket', undefined]]],
    [['--chmod-socket', '660'], [['chmod-socket', '660']]],
    [['--chmod-socket', 'app.ini'], [['chmod-socket', undefined]]],
    [['--procname-prefix', '-x'], [['procname-prefix', '-x']]],
  ];
  for (const [argv, expected] of cases) assert.deepEqual(settings(argv), expected, argv.join(' '));
});

test('config files: --ini, --ini=, bare *.ini and *.ini:section, in order', () => {
  const parsed = parseArgv(['--ini', 'a.ini', 'b.ini', '--ini=c.conf', 'd.ini:prod', '--processes', '2']);
  assert.deepEqual(parsed.ini, ['a.ini', 'b.ini', 'c.conf', 'd.ini:prod']);
  assert.equal(parsed.action, 'run');
  assert.deepEqual(parseArgv(['--', '--odd.ini']).ini, ['--odd.ini']);
});

test('actions: help, version, show-config, pidfile signals', () => {
  assert.equal(parseArgv([]).action, 'run');
  assert.equal(parseArgv(['--help']).action, 'help');
  assert.equal(parseArgv(['-h']).action, 'help');
  assert.equal(parseArgv(['app.ini', '--version']).action, 'version');
  assert.equal(parseArgv(['--show-config', 'app.ini']).action, 'show-config');
  const signals: ReadonlyArray<readonly [string, string]> = [['--reload', 'SIGHUP'], ['--stop', 'SIGINT'], ['--brutal-reload', 'SIGTERM']];
  for (const [flag, signal] of signals) {
    assert.deepEqual(parseArgv([flag, '/run/app.pid']), { action: 'signal', signal, pidfile: '/run/app.pid', ini: [], settings: [], errors: [], warnings: [] });
  }
  assert.deepEqual(parseArgv(['--stop=/run/app.pid']).action, 'signal');
});

test('command-line mistakes are reported with the nearest known name', () => {
  const cases: ReadonlyArray<readonly [string[], string[]]> = [
    [['--procesess', '4'], ['command line: unknown option "--procesess" (did you mean "--processes"?)']],
    [['--stats-mini'], ['command line: unknown option "--stats-mini" (did you mean "--stats-minified"?)']],
    [['--shwo-config'], ['command line: unknown option "--shwo-config" (did you mean "--show-config"?)']],
    [['--frobnicate'], ['command line: unknown option "--frobnicate"']],
    [['-j'], ['command line: unknown option "-j" (see supervise --help)']],
    [['--mules', '2'], ['command line: unknown option "--mules": tsgi has no mules: run background work in the spooler (spooler = dir) or as a service of its own']],
    [['--cache2', 'name=x'], ['command line: unknown option "--cache2": a uWSGI option tsgi does not implement (see docs/options.md)']],
    [['app.py'], ['command line: unexpected argument "app.py" (config files end in .ini; options start with --)']],
    [['--ini'], ['command line: --ini needs a config file']],
    [['--reload'], ['command line: --reload needs a pidfile']],
    [['--reload', 'a.pid', '--stop', 'a.pid'], ['command line: --reload and --stop cannot be given together']],
  ];
  for (const [argv, expected] of cases) assert.deepEqual(printed(parseArgv(argv).errors), expected, argv.join(' '));
  assert.deepEqual(parseArgv(['--procesess', '4']).errors.map((e) => e.code), ['TSGI_CONFIG_UNKNOWN_OPTION']);
});

test('ignored uWSGI options are warnings that take a value exactly when uWSGI\'s do', () => {
  const parsed = parseArgv(['--thunder-lock', '--processes', '2', '--post-buffering', '8192', '--wsgi-file=app.py', '--enable_threads', 'app.ini']);
  assert.deepEqual(printed(parsed.errors), []);
  assert.deepEqual(printed(parsed.warnings), [
    'command line: option "thunder-lock" is ignored: Node has no cross-process accept lock; each worker accepts from the shared socket and the kernel gives every connection to one of them',
    'command line: option "post-buffering" is ignored: Node streams a request body to the app as it arrives, and a slow upload holds no worker; limit-post caps the size',
    'command line: option "wsgi-file" is ignored: a Python option of uWSGI, and tsgi runs Node apps; use app = ./server.js',
    'command line: option "enable-threads" is ignored: it initialises the Python GIL; a Node app starts worker_threads as it likes',
  ]);
  assert.deepEqual(parsed.warnings.map((w) => [w.code, w.option]), [
    ['TSGI_CONFIG_IGNORED_OPTION', 'thunder-lock'],
    ['TSGI_CONFIG_IGNORED_OPTION', 'post-buffering'],
    ['TSGI_CONFIG_PYTHON_OPTION', 'wsgi-file'],
    ['TSGI_CONFIG_IGNORED_OPTION', 'enable-threads'],
  ]);
  assert.deepEqual(settings(['--thunder-lock', '--processes', '2']), [['processes', '2']]);
  assert.deepEqual(parsed.ini, ['app.ini']);
});

test('misspelt ignored options are errors with a suggestion, as any typo', () => {
  assert.deepEqual(printed(parseArgv(['--thunder-lok']).errors), ['command line: unknown option "--thunder-lok" (did you mean "--thunder-lock"?)']);
  assert.deepEqual(printed(parseArgv(['--reload-mercyy', '5']).errors), ['command line: unknown option "--reload-mercyy" (did you mean "--reload-mercy"?)']);
});

test('a value-taking option at the end has no value (reported by loadConfig)', () => {
  assert.deepEqual(settings(['--processes']), [['processes', undefined]]);
});
