import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { load, printed, tempDir, validIni, writeIni } from './fixtures.js';

/** `l0 = x…x`, each `l{i}` ten references to `l{i-1}`: 100 · 10^8 characters if nothing stops it. */
function chain(levels: number, option = 'procname-prefix'): string[] {
  const lines = [`l0 = ${'x'.repeat(100)}`];
  for (let i = 1; i <= levels; i++) lines.push(`l${i} = ${`%(l${i - 1})`.repeat(10)}`);
  lines.push(`${option} = %(l${levels})`);
  return lines;
}

test('an expansion that outgrows 64 KiB is a located error, not a RangeError', () => {
  const file = writeIni(validIni(...chain(8)));
  const result = load([file]);
  assert.equal(result.config, undefined);
  assert.deepEqual(result.errors.map((e) => [e.code, e.line, e.option]), [['TSGI_CONFIG_EXPANSION_LIMIT', 13, 'procname-prefix']]);
  assert.match(printed(result.errors)[0]!, new RegExp(`^${file}:13: option "procname-prefix": .*64 KiB`));
});

test('a value just under the cap still expands', () => {
  const result = load([writeIni(validIni(...chain(2)))]);
  assert.deepEqual(printed(result.errors), []);
  assert.equal(result.config?.procnamePrefix?.length, 10_000);
});

test('references nested deeper than 32 are an error naming the chain start', () => {
  const lines = ['d0 = x'];
  for (let i = 1; i <= 40; i++) lines.push(`d${i} = %(d${i - 1})`);
  lines.push('procname-prefix = %(d40)');
  const file = writeIni(validIni(...lines));
  const result = load([file]);
  assert.deepEqual(result.errors.map((e) => [e.code, e.line, e.option]), [['TSGI_CONFIG_EXPANSION_LIMIT', 45, 'procname-prefix']]);
  assert.match(result.errors[0]!.message, /nest deeper than 32/);
  const shallow = ['d0 = x', ...Array.from({ length: 20 }, (_, i) => `d${i + 1} = %(d${i})`), 'procname-prefix = %(d20)'];
  assert.equal(load([writeIni(validIni(...shallow))]).config?.procnamePrefix, 'x');
});

test('arithmetic stays within 64-bit integers: big operands and results are errors, not BigInt blow-ups', () => {
  const big = writeIni(validIni('n = 9999999999', 'procname-prefix = %(n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n * n)'));
  const result = load([big]);
  assert.deepEqual(result.errors.map((e) => [e.code, e.line, e.option]), [['TSGI_CONFIG_EXPANSION_LIMIT', 5, 'procname-prefix']]);
  assert.match(result.errors[0]!.message, /64-bit/);
  const digits = writeIni(validIni(`n = ${'9'.repeat(5000)}`, 'procname-prefix = %(n + 1)'));
  assert.deepEqual(load([digits]).errors.map((e) => e.code), ['TSGI_CONFIG_EXPANSION_LIMIT']);
  assert.equal(load([writeIni(validIni('n = 1000', 'processes = %(n * 4 / 1000)'))]).config?.processes, 4);
});

test('@(...) nested too deep is an error, not a stack overflow', () => {
  const nested = `${'@('.repeat(20_000)}x${')'.repeat(20_000)}`;
  const result = load([writeIni(validIni(`env = X=${nested}`))]);
  assert.deepEqual(result.errors.map((e) => [e.code, e.line]), [['TSGI_CONFIG_EXPANSION_LIMIT', 4]]);
});

test('@(file) must be a regular file of at most 64 KiB: directories, devices, fifos and big files are errors', () => {
  const dir = tempDir();
  const fifo = path.join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  writeFileSync(path.join(dir, 'big'), Buffer.alloc(64 * 1024 + 1, 'a'));
  writeFileSync(path.join(dir, 'ok'), Buffer.alloc(60 * 1024, 'a'));
  mkdirSync(path.join(dir, 'sub'));
  for (const target of ['/dev/zero', fifo, path.join(dir, 'big'), path.join(dir, 'sub')]) {
    const file = writeIni(validIni(`env = X=@(${target})`));
    const result = load([file]);
    assert.deepEqual(result.errors.map((e) => [e.code, e.line, e.option]), [['TSGI_CONFIG_INCLUDE_REJECTED', 4, 'env']], target);
    assert.ok(printed(result.errors)[0]!.startsWith(`${file}:4: option "env": @(${target}): `), printed(result.errors)[0]);
  }
  assert.deepEqual(printed(load([writeIni(validIni(`env = X=@(${path.join(dir, 'ok')})`))]).errors), []);
});

test('numbers are bounded like uWSGI\'s C ints: 99999999999999999999 workers is an error, not 1e20', () => {
  const file = writeIni(validIni('processes = 99999999999999999999', 'harakiri = 2147483648', `listen = ${'9'.repeat(400)}`));
  assert.deepEqual(printed(load([file]).errors), [
    `${file}:4: option "processes": must be at most 2147483647 (got 100000000000000000000)`,
    `${file}:5: option "harakiri": must be at most 2147483647 (got 2147483648)`,
    `${file}:6: option "listen": must be at most 2147483647 (got a larger number)`,
  ]);
  assert.equal(load([writeIni(validIni('harakiri = 2147483647'))]).config?.harakiri, 2147483647);
});

test('a 50 KiB unknown key: a short message at once, not seconds of edit distances', () => {
  const file = writeIni(validIni(`${'k'.repeat(50_000)} = 1`));
  const started = Date.now();
  const errors = printed(load([file]).errors);
  assert.ok(Date.now() - started < 200, `${Date.now() - started} ms`);
  assert.equal(errors.length, 1);
  assert.ok(errors[0]!.startsWith(`${file}:4: unknown option "kkk`), errors[0]);
  assert.match(errors[0]!, /k\.\.\.\(49842 more characters\)\.\.\.k+"$/);
  assert.ok(errors[0]!.length < 300, errors[0]);
});

test('--ini of a FIFO, a device or a file over 1 MiB is an error, not a hang', () => {
  const dir = tempDir();
  const fifo = path.join(dir, 'fifo.ini');
  execFileSync('mkfifo', [fifo]);
  writeFileSync(path.join(dir, 'big.ini'), `[tsgi]\n${'; comment\n'.repeat(120_000)}`);
  assert.deepEqual(printed(load([fifo]).errors), [`config file "${fifo}" cannot be used: ${fifo} is a FIFO, not a regular file`]);
  assert.deepEqual(printed(load(['--ini', '/dev/zero']).errors), ['config file "/dev/zero" cannot be used: /dev/zero is a device, not a regular file']);
  assert.match(printed(load([path.join(dir, 'big.ini')]).errors)[0]!, /big\.ini is 1200007 bytes, more than 1 MiB$/);
});
