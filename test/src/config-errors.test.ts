import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, Supervise, tmp, writeIni } from './harness.js';

const APP = path.join(FIXTURES, 'commonjs.cjs');

/** Runs supervise on an ini body; asserts exit 2, no stack, and that the message matches. */
async function expectConfigError(body: string, message: RegExp, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const dir = tmp();
  const ini = writeIni(dir, body);
  const sup = new Supervise(['--ini', ini], { env });
  const code = await sup.waitExit(10000);
  assert.equal(code, 2, sup.log);
  assert.match(sup.log, message);
  assert.doesNotMatch(sup.log, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(sup.log, /spawned tsgi/, 'nothing started');
  return sup.log;
}

describe('bad ini files: exit 2, file:line and option named, nothing started', () => {
  test('unknown option with a suggestion', async () => {
    await expectConfigError(`[tsgi]\napp = ${APP}\nhttp-socket = 127.0.0.1:0\nprocesess = 2\n`, /app\.ini:4: .*"procesess".*did you mean "processes"/);
  });

  test('wrong type', async () => {
    await expectConfigError(`[tsgi]\napp = ${APP}\nhttp-socket = 127.0.0.1:0\nprocesses = many\n`, /app\.ini:4: .*processes.*many/);
  });

  test('cheaper >= processes', async () => {
    await expectConfigError(`[tsgi]\napp = ${APP}\nhttp-socket = 127.0.0.1:0\nprocesses = 2\ncheaper = 2\n`, /app\.ini:5: .*cheaper.*processes/);
  });

  test('missing file', async () => {
    const sup = new Supervise(['--ini', '/nonexistent/app.ini']);
    assert.equal(await sup.waitExit(), 2);
    assert.match(sup.log, /\/nonexistent\/app\.ini/);
    assert.doesNotMatch(sup.log, /\n\s+at /);
  });

  test('unset $(VAR)', async () => {
    await expectConfigError(`[tsgi]\napp = ${APP}\nhttp-socket = 127.0.0.1:$(TSGI_TEST_UNSET_PORT)\n`, /app\.ini:3: .*http-socket.*TSGI_TEST_UNSET_PORT/);
  });

  test('a Python-only uWSGI option says so', async () => {
    await expectConfigError(`[uwsgi]\nwsgi-file = app.py\nhttp-socket = 127.0.0.1:0\n`, /app\.ini:2: .*wsgi-file.*Python/);
  });

  test('an unknown command-line option', async () => {
    const sup = new Supervise(['--procesess', '2']);
    assert.equal(await sup.waitExit(), 2);
    assert.match(sup.log, /procesess.*processes/);
  });
});

describe('help and version', () => {
  test('--help lists every option with its type and default', async () => {
    const sup = new Supervise(['--help']);
    assert.equal(await sup.waitExit(), 0);
    for (const opt of ['http-socket', 'processes', 'harakiri', 'die-on-term', 'worker-reload-mercy']) assert.match(sup.log, new RegExp(`--${opt}`));
  });

  test('--version', async () => {
    const sup = new Supervise(['--version']);
    assert.equal(await sup.waitExit(), 0);
    assert.match(sup.log, /^tsgi \d+\.\d+\.\d+/);
  });
});
