import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load } from './fixtures.js';
import { nodeArgsProblem, splitNodeArgs } from './node-args.js';

test('node-args values split on spaces into argv words, in order, quotes grouping', () => {
  assert.deepEqual(splitNodeArgs([]), []);
  assert.deepEqual(splitNodeArgs(['--import tsx', '--require  dd-trace/init']), ['--import', 'tsx', '--require', 'dd-trace/init']);
  assert.deepEqual(splitNodeArgs(['--require "/opt/my agent/init.js" --max-old-space-size=512']), ['--require', '/opt/my agent/init.js', '--max-old-space-size=512']);
  assert.deepEqual(splitNodeArgs(["--title='a b'"]), ['--title=a b']);
});

test('a node-args value that node would misread is named with the reason', () => {
  assert.equal(nodeArgsProblem('--import tsx'), undefined);
  assert.match(nodeArgsProblem('import tsx') ?? '', /does not start with a Node option/);
  assert.match(nodeArgsProblem('--require "/opt/agent.js') ?? '', /unbalanced quote/);
});

test('node-args is repeatable, and a bad value is a config error naming the option', () => {
  const good = load(['--app', 'a.js', '--http-socket', ':8080', '--node-args', '--import tsx', '--node-args=--enable-source-maps']);
  assert.deepEqual(good.errors, []);
  assert.deepEqual(good.config?.nodeArgs, ['--import tsx', '--enable-source-maps']);
  const bad = load(['--app', 'a.js', '--http-socket', ':8080', '--node-args', 'tsx']);
  assert.equal(bad.config, undefined);
  assert.equal(bad.errors[0]?.code, 'TSGI_CONFIG_INVALID_VALUE');
  assert.match(bad.errors[0]?.message ?? '', /node-args.*does not start with a Node option/);
});
