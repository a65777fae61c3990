import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { load, printed, validIni, writeIni } from './fixtures.js';
import { DEFAULT_JSON_KEYS, LOG_VARIABLES, parseJsonKeys, parseLogDate, parseLogFormat, parseLogPrefix, parseLogTarget } from './logging.js';

test("logformat: uWSGI's %(name) between literal text; any other % is text", () => {
  const parsed = parseLogFormat('%(addr) - %(user) [%(ltime)] "%(method) %(uri) %(proto)" %(status) %(size) 100% %(var.HTTP_X_REQUEST_ID)');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, [
    { name: 'addr' },
    { text: ' - ' },
    { name: 'user' },
    { text: ' [' },
    { name: 'ltime' },
    { text: '] "' },
    { name: 'method' },
    { text: ' ' },
    { name: 'uri' },
    { text: ' ' },
    { name: 'proto' },
    { text: '" ' },
    { name: 'status' },
    { text: ' ' },
    { name: 'size' },
    { text: ' 100% ' },
    { name: 'var.HTTP_X_REQUEST_ID' },
  ]);
  assert.deepEqual(parseLogFormat('plain'), { ok: true, value: [{ text: 'plain' }] });
  assert.deepEqual(parseLogFormat(''), { ok: true, value: [] });
});

test('logformat: unknown, misspelt and meaningless variables are refused with the reason', () => {
  const reason = (text: string): string => {
    const parsed = parseLogFormat(text);
    assert.equal(parsed.ok, false, text);
    return (parsed as { reason: string }).reason;
  };
  assert.match(reason('%(stauts)'), /%\(stauts\) is no request variable \(did you mean %\(status\)\?\)/);
  assert.match(reason('%(nothing_like_it)'), /%\(nothing_like_it\) is no request variable; see docs\/logging.md/);
  assert.match(reason('%(rerr)'), /does not count read errors/);
  assert.match(reason('%(metric.core.busy_workers)'), /no metrics registry/);
  assert.match(reason('%(var.X_FOO)'), /HTTP_<HEADER>/);
  assert.match(reason('%(var.HTTP_x)'), /HTTP_<HEADER>/, 'CGI names are upper case');
  assert.match(reason('%(addr'), /has no closing "\)"/);
  assert.match(reason('%()'), /names no variable/);
  for (const name of Object.keys(LOG_VARIABLES)) assert.ok(parseLogFormat(`%(${name})`).ok, name);
});

test('log-json: true for the default keys, a list of names, false for none', () => {
  assert.deepEqual(parseJsonKeys('true'), { ok: true, value: DEFAULT_JSON_KEYS });
  assert.deepEqual(parseJsonKeys('false'), { ok: true, value: undefined });
  assert.deepEqual(parseJsonKeys(undefined), { ok: true, value: undefined });
  assert.deepEqual(parseJsonKeys('addr, method uri,%(status) var.HTTP_X_REQUEST_ID'), { ok: true, value: ['addr', 'method', 'uri', 'status', 'var.HTTP_X_REQUEST_ID'] });
  assert.match((parseJsonKeys('addr adr') as { reason: string }).reason, /did you mean %\(addr\)/);
  assert.match((parseJsonKeys('addr addr') as { reason: string }).reason, /"addr" is listed twice/);
  for (const key of DEFAULT_JSON_KEYS) assert.ok(LOG_VARIABLES[key], key);
});

test('log-prefix knows %(wid) and %(pid); logdate is off, ctime or a strftime format', () => {
  assert.deepEqual(parseLogPrefix('[%(wid)/%(pid)] %Y'), { ok: true, value: [{ text: '[' }, { name: 'wid' }, { text: '/' }, { name: 'pid' }, { text: '] %Y' }] });
  assert.match((parseLogPrefix('%(addr)') as { reason: string }).reason, /log-prefix knows %\(wid\) and %\(pid\)/);
  assert.deepEqual(parseLogDate(undefined), { kind: 'off' });
  assert.deepEqual(parseLogDate('false'), { kind: 'off' });
  assert.deepEqual(parseLogDate('true'), { kind: 'ctime' });
  assert.deepEqual(parseLogDate('1'), { kind: 'ctime' });
  assert.deepEqual(parseLogDate('%Y-%m-%d'), { kind: 'strftime', format: '%Y-%m-%d' });
});

test("logger targets: uWSGI's file plugin (path or key=value) and stdio; the rest is refused", () => {
  assert.deepEqual(parseLogTarget('file:/var/log/app.log'), { ok: true, value: { kind: 'file', path: '/var/log/app.log' } });
  assert.deepEqual(parseLogTarget('file:logfile=/tmp/r.log,maxsize=1048576,backupname=/tmp/r.old'), {
    ok: true,
    value: { kind: 'file', path: '/tmp/r.log', maxsize: 1048576, backupname: '/tmp/r.old' },
  });
  assert.deepEqual(parseLogTarget('stdio'), { ok: true, value: { kind: 'stdio' } });
  const reason = (text: string): string => (parseLogTarget(text) as { reason: string }).reason;
  assert.match(reason('syslog:myapp'), /no "syslog" logger; use file:PATH/);
  assert.match(reason('file:'), /file needs a path/);
  assert.match(reason('file:maxsize=10'), /logfile=PATH is missing/);
  assert.match(reason('file:logfile=/x,maxsize=10M'), /maxsize is a number of bytes/);
  assert.match(reason('file:logfile=/x,rotate=3'), /unknown key "rotate"/);
  assert.match(reason('mylog file:/tmp/x'), /named logger .* needs log-route/);
  assert.match(reason('stdio:x'), /stdio takes no argument/);
});

test('in an ini file: %(name) of a template stays for the template, strftime takes %%, mistakes name file and line', () => {
  const file = writeIni(
    validIni(
      'logformat = %(addr) [%(ltime)] "%(method) %(uri)" %(status) %(msecs)ms',
      'log-prefix = [worker %(wid) pid %(pid)]',
      'logdate = %%Y-%%m-%%d %%H:%%M:%%S',
      'log-json',
      'logger = file:/tmp/server.log',
      'req-logger = file:logfile=/tmp/req.log,maxsize=1000',
      'log-maxsize = 4096',
      'touch-logreopen = /tmp/reopen',
    ),
  );
  const result = load([file]);
  assert.deepEqual(printed(result.errors), []);
  const c = result.config!;
  assert.equal(c.logformat, '%(addr) [%(ltime)] "%(method) %(uri)" %(status) %(msecs)ms');
  assert.equal(c.logPrefix, '[worker %(wid) pid %(pid)]');
  assert.equal(c.logdate, '%Y-%m-%d %H:%M:%S');
  assert.equal(c.logJson, 'true', 'a bare log-json is true');
  assert.deepEqual(c.logger, ['file:/tmp/server.log']);
  assert.deepEqual(c.reqLogger, ['file:logfile=/tmp/req.log,maxsize=1000']);
  assert.equal(c.logMaxsize, 4096);
  assert.deepEqual(c.touchLogreopen, ['/tmp/reopen']);

  const defined = load([writeIni(validIni('set-placeholder = tag=shop', 'logformat = %(tag) %(status)', 'log-date'))]);
  assert.deepEqual(printed(defined.errors), []);
  assert.equal(defined.config?.logformat, 'shop %(status)', 'a placeholder of the file is still expanded');
  assert.equal(defined.config?.logdate, 'true', 'log-date is logdate, bare');

  const bad = load([writeIni(validIni('logformat = %(addr) %(stauts)', 'logger = syslog', 'log-prefix = %(uri)'))]);
  assert.deepEqual(printed(bad.errors), [
    'FILE:4: option "logformat": %(stauts) is no request variable (did you mean %(status)?); see docs/logging.md for the list',
    'FILE:5: option "logger": "syslog": tsgi has no "syslog" logger; use file:PATH, file:logfile=PATH,maxsize=BYTES,backupname=PATH or stdio',
    'FILE:6: option "log-prefix": %(uri): log-prefix knows %(wid) and %(pid) (and strftime\'s %Y, %m, ...)',
  ].map((l) => l.replace('FILE', bad.files[0]!)));
});

test('docs/logging.md lists every request variable', () => {
  const doc = readFileSync(new URL('../../../docs/logging.md', import.meta.url), 'utf8');
  for (const name of Object.keys(LOG_VARIABLES)) assert.ok(doc.includes(`\`%(${name})\``), `%(${name}) is in docs/logging.md`);
  for (const key of DEFAULT_JSON_KEYS) assert.ok(doc.includes(key));
});
