import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, Supervise, killAll, tmp, writeIni } from './harness.js';

after(killAll);

const INI = `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:0\nprocesses = 1\nstats = nosuchhost.invalid:9191\n`;

describe('an error supervise has no code for', () => {
  test('an unresolvable stats host: one line naming the host and a hint, no stack trace', async () => {
    const sup = new Supervise(['--ini', writeIni(tmp(), INI)], { env: { TSGI_DEBUG: '' } });
    assert.equal(await sup.waitExit(15000), 1);
    assert.match(sup.log, /supervise: .*ENOTFOUND nosuchhost\.invalid/);
    assert.match(sup.log, /TSGI_DEBUG=1/);
    assert.doesNotMatch(sup.log, /\n\s+at |internal error/, 'no stack trace');
  });

  test('TSGI_DEBUG shows the stack', async () => {
    const sup = new Supervise(['--ini', writeIni(tmp(), INI)], { env: { TSGI_DEBUG: '1' } });
    assert.equal(await sup.waitExit(15000), 1);
    assert.match(sup.log, /internal error: .*ENOTFOUND[^\n]*\n\s+at /);
  });
});
