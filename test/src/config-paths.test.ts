import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES, Supervise, killAll, request, startApp, tmp, writeIni } from './harness.js';

after(killAll);

const APP = path.join(FIXTURES, 'node-listener.mjs');

/** Runs supervise on an ini body; asserts exit 2, no stack, nothing started and that the message matches. */
async function expectConfigError(body: string, message: RegExp): Promise<string> {
  const ini = writeIni(tmp(), body);
  const sup = new Supervise(['--ini', ini]);
  const code = await sup.waitExit(10000);
  assert.equal(code, 2, sup.log);
  assert.match(sup.log, message);
  assert.doesNotMatch(sup.log, /\n\s+at |RangeError|internal error/, 'no stack trace');
  assert.doesNotMatch(sup.log, /spawned tsgi/, 'nothing started');
  return sup.log;
}

/** `l0` of 100 characters, each of l1..l8 ten references to the one before: 10^10 characters unbounded. */
const EXPLODING = ['l0 = ' + 'x'.repeat(100), ...Array.from({ length: 8 }, (_, i) => `l${i + 1} = ${`%(l${i})`.repeat(10)}`), 'procname-prefix = %(l8)'].join('\n');

describe('paths and expansions the master needs are config errors at start: exit 2, file:line and option', () => {
  test('chdir that does not exist', async () => {
    await expectConfigError(`[tsgi]\napp = ${APP}\nhttp-socket = 127.0.0.1:0\nchdir = /nonexistent/dir\n`, /app\.ini:4: option "chdir": \/nonexistent\/dir does not exist/);
  });

  test('app that does not exist', async () => {
    await expectConfigError(`[tsgi]\napp = /nonexistent/app.js\nhttp-socket = 127.0.0.1:0\n`, /app\.ini:2: option "app": \/nonexistent\/app\.js does not exist/);
  });

  test('a spooler under a file (ENOTDIR)', async () => {
    await expectConfigError(`[tsgi]\napp = ${APP}\nhttp-socket = 127.0.0.1:0\nspooler = ${APP}/spool\n`, /app\.ini:4: option "spooler": .*cannot be created: .*node-listener\.mjs is a file, not a directory/);
  });

  test('%() references that expand beyond 64 KiB', async () => {
    await expectConfigError(`[tsgi]\napp = ${APP}\nhttp-socket = 127.0.0.1:0\n${EXPLODING}\n`, /app\.ini:13: option "procname-prefix": .*longer than 64 KiB/);
  });

  test('@(a fifo) does not block', async () => {
    const dir = tmp();
    execFileSync('mkfifo', [path.join(dir, 'secret')]);
    await expectConfigError(`[tsgi]\napp = ${APP}\nhttp-socket = 127.0.0.1:0\nenv = SECRET=@(${dir}/secret)\n`, /app\.ini:4: option "env": .*is a FIFO, not a regular file/);
  });
});

describe('a reload with a bad path or an exploding value keeps the old config serving', () => {
  test('SIGHUP after adding a spooler under a file, then an exploding %(): the master lives and serves', async () => {
    const { sup, port, ini } = await startApp({ processes: 1 });
    const original = readFileSync(ini, 'utf8');
    appendFileSync(ini, `spooler = ${APP}/spool\n`);
    let from = sup.log.length;
    sup.signal('SIGHUP');
    await sup.waitFor(/config error: .*option "spooler"/, 15000, from);
    writeFileSync(ini, `${original}${EXPLODING}\n`);
    from = sup.log.length;
    sup.signal('SIGHUP');
    await sup.waitFor(/config error: .*longer than 64 KiB/, 15000, from);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(sup.exitCode, undefined, `the master keeps running; log:\n${sup.log}`);
    assert.doesNotMatch(sup.log, /internal error|RangeError|ENOTDIR/);
    assert.equal((await request(port, '/')).status, 200);
    await sup.kill();
  });
});

describe('an app removed after start', () => {
  test('a reload is refused naming the file; a worker that dies respawns and names the missing module', async () => {
    const dir = tmp();
    const app = path.join(dir, 'app.mjs');
    copyFileSync(APP, app);
    const { sup, port } = await startApp({ app, processes: 1, logging: true });
    unlinkSync(app);
    let from = sup.log.length;
    sup.signal('SIGHUP');
    await sup.waitFor(/config error: .*option "app": .*app\.mjs does not exist/, 15000, from);
    assert.equal((await request(port, '/')).status, 200, 'the old config keeps serving');
    from = sup.log.length;
    process.kill(sup.workerPids().get(1)!, 'SIGKILL');
    await sup.waitFor(/cannot load app .*app\.mjs: no such file/, 15000, from);
    assert.equal(sup.exitCode, undefined, 'the master keeps probing');
    await sup.kill();
  });
});
