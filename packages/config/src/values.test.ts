import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findOption } from './options.js';
import { parseAddress, parseValue, type RawValue } from './values.js';

function parse(option: string, raw: RawValue): unknown {
  const spec = findOption(option);
  assert.ok(spec, option);
  const parsed = parseValue(spec, raw);
  return parsed.ok ? parsed.value : `error: ${parsed.reason}`;
}

const CASES: ReadonlyArray<readonly [string, RawValue, unknown]> = [
  ['processes', '4', 4],
  ['processes', 'abc', 'error: option "processes": "abc" is not an integer'],
  ['processes', '-1', 'error: option "processes": "-1" is negative'],
  ['processes', '2.5', 'error: option "processes": "2.5" is not an integer'],
  ['processes', undefined, 'error: option "processes" needs a value'],
  ['processes', '', 'error: option "processes" needs a value'],
  ['stats-push', '0.5', 0.5],
  ['stats-push', '2', 2],
  ['stats-push', 'fast', 'error: option "stats-push": "fast" is not a number'],
  ['prio', '-5', -5],
  ['worker-prio', '10', 10],
  ['prio', 'low', 'error: option "prio": "low" is not a nice value (an integer from -20 to 19)'],
  ['reload-on-rss', '512', 512],
  ['reload-on-rss', '1G', 'error: option "reload-on-rss": "1G" is not an integer number of megabytes'],
  ['vacuum', undefined, true],
  ['vacuum', '', true],
  ['vacuum', 'true', true],
  ['vacuum', 'Yes', true],
  ['vacuum', 'on', true],
  ['vacuum', '1', true],
  ['vacuum', 'false', false],
  ['vacuum', 'OFF', false],
  ['vacuum', 'no', false],
  ['vacuum', '0', false],
  ['vacuum', 'maybe', 'error: option "vacuum": "maybe" is not a boolean (use true or false)'],
  ['cheaper-algo', 'busyness', 'busyness'],
  ['cheaper-algo', 'spare2', 'error: option "cheaper-algo": "spare2" is not one of spare, backlog, busyness'],
  ['chmod-socket', '660', 0o660],
  ['chmod-socket', '0640', 0o640],
  ['chmod-socket', undefined, 0o666],
  ['chmod-socket', '999', 'error: option "chmod-socket": "999" is not an octal file mode such as 660'],
  ['env', 'KEY=VALUE', 'KEY=VALUE'],
  ['env', 'KEY=', 'KEY='],
  ['env', 'A=b=c', 'A=b=c'],
  ['env', 'KEY', 'error: option "env": "KEY" is not KEY=VALUE'],
  ['app', '"./quoted app.js"', '"./quoted app.js"'],
  ['http-socket', ':8080', ':8080'],
  ['http-socket', '8080', 'error: option "http-socket": "8080" looks like a port: write :8080'],
  ['http-socket', ':70000', 'error: option "http-socket": ":70000": port "70000" is not a number from 0 to 65535'],
];

test('parseValue reads each type, strictly', () => {
  for (const [option, raw, expected] of CASES) assert.deepEqual(parse(option, raw), expected, `${option} = ${String(raw)}`);
});

test('parseAddress reads TCP, IPv6 and unix socket addresses', () => {
  const cases: ReadonlyArray<readonly [string, unknown]> = [
    ['127.0.0.1:9191', { kind: 'tcp', host: '127.0.0.1', port: 9191 }],
    [':8080', { kind: 'tcp', host: '', port: 8080 }],
    ['0.0.0.0:0', { kind: 'tcp', host: '0.0.0.0', port: 0 }],
    ['localhost:65535', { kind: 'tcp', host: 'localhost', port: 65535 }],
    ['[::1]:9191', { kind: 'tcp', host: '::1', port: 9191 }],
    ['[::]:80', { kind: 'tcp', host: '::', port: 80 }],
    ['/run/app.sock', { kind: 'unix', path: '/run/app.sock' }],
    ['./app.sock', { kind: 'unix', path: './app.sock' }],
    ['app.sock', { kind: 'unix', path: 'app.sock' }],
    ['run/app', { kind: 'unix', path: 'run/app' }],
    ['@abstract', { kind: 'unix', path: '@abstract' }],
    ['/tmp/odd:name.sock', { kind: 'unix', path: '/tmp/odd:name.sock' }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseAddress(text), expected, text);
  for (const bad of ['::1:80', 'host:http', 'host:', '[::1:80', 'localhost', '8080', 'a b:80']) {
    assert.equal(typeof parseAddress(bad), 'string', bad);
  }
});
