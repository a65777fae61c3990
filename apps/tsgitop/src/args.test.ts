import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayHost } from './address.js';
import { parseArgs } from './args.js';

describe('command line', () => {
  it('takes addresses and uwsgitop\'s --frequency', () => {
    assert.deepEqual(parseArgs(['127.0.0.1:9191']), { kind: 'run', options: { addresses: ['127.0.0.1:9191'], frequency: 1, mode: 'tui' } });
    assert.deepEqual(parseArgs(['a:1', '/run/s.sock', '--frequency', '2']), {
      kind: 'run',
      options: { addresses: ['a:1', '/run/s.sock'], frequency: 2, mode: 'tui' },
    });
    assert.equal(parseArgs(['a:1', '--frequency=0.5']).kind, 'run');
  });

  it('--once and --json', () => {
    assert.deepEqual(parseArgs(['a:1', '--once']), { kind: 'run', options: { addresses: ['a:1'], frequency: 1, mode: 'once' } });
    assert.deepEqual(parseArgs(['--json', 'http://h:1/']), { kind: 'run', options: { addresses: ['http://h:1/'], frequency: 1, mode: 'json' } });
  });

  it('refuses what it cannot honour, with a reason', () => {
    const error = (argv: string[]) => {
      const parsed = parseArgs(argv);
      assert.equal(parsed.kind, 'error');
      return parsed.kind === 'error' ? parsed.error : '';
    };
    assert.match(error([]), /no stats address/);
    assert.match(error(['a:1', '--frequency', '0']), /--frequency/);
    assert.match(error(['a:1', '--frequency']), /--frequency/);
    assert.match(error(['a:1', '--frequency', 'x']), /--frequency/);
    assert.match(error(['a:1', '--bogus']), /unknown option --bogus/);
    assert.match(error(['a:1', '--once', '--json']), /do not go together/);
    assert.match(error(['a:1', 'b:2', '--json']), /one address/);
    assert.match(error(['host:notaport']), /invalid port/);
    assert.deepEqual(parseArgs(['-h']), { kind: 'help' });
  });

  it('shows node: as uwsgitop does', () => {
    assert.equal(displayHost('10.0.0.5:9191', 'box'), '10.0.0.5');
    assert.equal(displayHost('http://stats.local:9191/', 'box'), 'stats.local');
    assert.equal(displayHost('/run/app/stats.sock', 'box'), 'box');
    assert.equal(displayHost('@stats', 'box'), 'box');
  });
});
