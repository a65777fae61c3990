import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAddress, parseAddress, type StatsAddress } from './address.js';
import { StatsError } from './errors.js';

test('parseAddress follows uwsgitop: http:// URL, else a colon means TCP, else a unix path', () => {
  const table: Array<[string, StatsAddress]> = [
    ['127.0.0.1:9191', { kind: 'tcp', host: '127.0.0.1', port: 9191 }],
    ['localhost:1717', { kind: 'tcp', host: 'localhost', port: 1717 }],
    [':9191', { kind: 'tcp', host: '127.0.0.1', port: 9191 }],
    ['[::1]:9191', { kind: 'tcp', host: '::1', port: 9191 }],
    ['::1:9191', { kind: 'tcp', host: '::1', port: 9191 }],
    ['[fe80::1%eth0]:80', { kind: 'tcp', host: 'fe80::1%eth0', port: 80 }],
    ['  127.0.0.1:9191\n', { kind: 'tcp', host: '127.0.0.1', port: 9191 }],
    ['/run/app/stats.sock', { kind: 'unix', path: '/run/app/stats.sock' }],
    ['stats.sock', { kind: 'unix', path: 'stats.sock' }],
    ['@app-stats', { kind: 'unix', path: '\0app-stats' }],
    ['http://127.0.0.1:9191', { kind: 'http', url: 'http://127.0.0.1:9191' }],
    ['http://[::1]:9191/stats', { kind: 'http', url: 'http://[::1]:9191/stats' }],
    ['HTTP://host:1/', { kind: 'http', url: 'HTTP://host:1/' }],
  ];
  for (const [address, expected] of table) assert.deepEqual(parseAddress(address), expected, address);
});

test('parseAddress rejects what it cannot use, with StatsError ERR_STATS_ADDRESS', () => {
  const table: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['127.0.0.1:', /invalid port ""/],
    ['127.0.0.1:0', /invalid port "0"/],
    ['127.0.0.1:65536', /invalid port "65536"/],
    ['host:http', /invalid port "http"/],
    ['[::1]', /invalid port/],
    ['/tmp/odd:name.sock', /a unix socket path cannot contain ":"/],
    ['https://host:9191/', /https is not supported/],
    ['http://', /invalid stats URL/],
    ['@', /abstract socket name missing/],
    ['bad host:80', /invalid host/],
  ];
  for (const [address, message] of table) {
    assert.throws(
      () => parseAddress(address),
      (error: unknown) => error instanceof StatsError && error.code === 'ERR_STATS_ADDRESS' && message.test(error.message),
      address,
    );
  }
});

test('formatAddress gives back a readable address', () => {
  assert.equal(formatAddress(parseAddress('[::1]:9191')), '[::1]:9191');
  assert.equal(formatAddress(parseAddress('127.0.0.1:9191')), '127.0.0.1:9191');
  assert.equal(formatAddress(parseAddress('@app-stats')), '@app-stats');
  assert.equal(formatAddress(parseAddress('/run/s.sock')), '/run/s.sock');
  assert.equal(formatAddress(parseAddress('http://h:1/x')), 'http://h:1/x');
});
