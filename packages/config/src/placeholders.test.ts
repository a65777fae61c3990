import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { availableCpus, cgroupCpuLimit, expandValue, magicVars, type ReadText } from './placeholders.js';

const MAGIC = magicVars('/srv/app/conf/test.ini', '/home/me', { cpus: 2, hostname: 'web1' });

function expand(text: string, env: NodeJS.ProcessEnv = {}, magic = MAGIC): string {
  const result = expandValue(text, env, magic);
  return result.ok ? result.value : `${result.code}: ${result.reason}`;
}

test('magic variables, as verified with uWSGI on /srv/app/conf/test.ini', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['%k', '2'],
    ['%d', '/srv/app/conf/'],
    ['%p', '/srv/app/conf/test.ini'],
    ['%s', 'test.ini'],
    ['%n', 'test'],
    ['%e', 'ini'],
    ['%c', 'conf'],
    ['%h', 'web1'],
    ['%v', '/home/me'],
    ['100%%', '100%'],
    ['%dserver.js', '/srv/app/conf/server.js'],
    ['/run/%n.sock', '/run/test.sock'],
    ['no placeholders', 'no placeholders'],
  ];
  for (const [text, expected] of cases) assert.equal(expand(text), expected, text);
});

test('an unknown magic variable is an error (uWSGI would empty it)', () => {
  assert.match(expand('x%zy'), /^TSGI_CONFIG_UNKNOWN_PLACEHOLDER: unknown placeholder "%z" \(known: %d %p %s %n %e %c %k %h %v %%;/);
  assert.match(expand('50%'), /^TSGI_CONFIG_UNKNOWN_PLACEHOLDER: a lone "%" at the end/);
  assert.match(expand('%(processes)'), /^TSGI_CONFIG_UNKNOWN_PLACEHOLDER: uWSGI's %\(option\) references are not supported/);
});

test('magic variables are left alone without a file (command-line values)', () => {
  assert.deepEqual(expandValue('%d and %z', {}), { ok: true, value: '%d and %z' });
});

test('$(NAME) reads the environment, with :-default for unset or empty', () => {
  const env = { PORT: '9000', EMPTY: '', PCT: '%d' };
  const cases: ReadonlyArray<readonly [string, string]> = [
    [':$(PORT)', ':9000'],
    ['$(PORT)$(PORT)', '90009000'],
    ['$(MISSING:-8080)', '8080'],
    ['$(EMPTY:-fallback)', 'fallback'],
    ['$(PORT:-8080)', '9000'],
    ['$(MISSING:-)', ''],
    ['$(EMPTY)', ''],
    ['$(PCT)', '%d'], // substituted text is not expanded again
    ['$PORT', '$PORT'],
  ];
  for (const [text, expected] of cases) assert.equal(expand(text, env), expected, text);
});

test('an unset $(NAME) without default, or a malformed one, is an error', () => {
  assert.equal(expand('$(NOPE)'), 'TSGI_CONFIG_UNSET_ENV: environment variable "NOPE" is not set (write $(NOPE:-default) to give a default)');
  assert.match(expand('$(UNCLOSED'), /^TSGI_CONFIG_BAD_PLACEHOLDER: "\$\(UNCLOSED" is not \$\(NAME\)/);
  assert.match(expand('$(echo hi)'), /^TSGI_CONFIG_BAD_PLACEHOLDER/);
});

/** A fake filesystem of cgroup files. */
function files(map: Record<string, string>): ReadText {
  return (file) => map[file];
}

test('cgroup CPU quotas: v2 cpu.max, v1 cfs files, the tightest along the hierarchy', () => {
  assert.equal(cgroupCpuLimit(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': 'max 100000\n' })), undefined);
  assert.equal(cgroupCpuLimit(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': '150000 100000\n' })), 1.5);
  const nested = files({
    '/proc/self/cgroup': '0::/app/web\n',
    '/sys/fs/cgroup/app/web/cpu.max': 'max 100000',
    '/sys/fs/cgroup/app/cpu.max': '50000 100000',
  });
  assert.equal(cgroupCpuLimit(nested), 0.5);
  const v1 = files({
    '/proc/self/cgroup': '4:memory:/x\n1:cpu,cpuacct:/docker/abc\n0::/\n',
    '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '200000',
    '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000',
  });
  assert.equal(cgroupCpuLimit(v1), 2);
  const v1Unlimited = files({ '/proc/self/cgroup': '1:cpu:/\n', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000' });
  assert.equal(cgroupCpuLimit(v1Unlimited), undefined);
});

test('availableCpus: affinity limited by the quota, rounded up, at least 1', () => {
  const quota = (text: string): ReadText => files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': text });
  assert.equal(availableCpus(quota('max 100000'), 8), 8);
  assert.equal(availableCpus(quota('150000 100000'), 8), 2);
  assert.equal(availableCpus(quota('800000 100000'), 2), 2);
  assert.equal(availableCpus(quota('10000 100000'), 8), 1);
  assert.equal(availableCpus(files({}), 0), 1);
});

test('availableCpus on this machine is between 1 and the affinity count', () => {
  const cpus = availableCpus();
  assert.ok(Number.isInteger(cpus) && cpus >= 1 && cpus <= os.availableParallelism(), String(cpus));
});
