import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { defaultConfig, type TsgiConfig } from '@tsgi/config';
import { LogMaster } from './log-master.js';

const dir = (): string => mkdtempSync(path.join(tmpdir(), 'tsgi-logmaster-'));

/** A child that writes app lines on stdout and stderr (one in two pieces) and request lines on fd 3, like a worker. */
function child(d: string, requests = 3): ReturnType<typeof spawn> {
  const script = path.join(d, 'child.mjs');
  writeFileSync(
    script,
    [
      "import { writeSync } from 'node:fs';",
      "process.stdout.write('out one\\nout ');",
      "setTimeout(() => process.stdout.write('two\\n'), 30);",
      "process.stderr.write('err one\\n');",
      `for (let i = 0; i < ${requests}; i++) writeSync(3, 'GET /' + i + ' 200\\n');`,
    ].join('\n'),
  );
  return spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
}

const config = (extra: Partial<TsgiConfig>): TsgiConfig => ({ ...defaultConfig(2), ...extra });
const read = (f: string): string => readFileSync(f, 'utf8');

test("a child's output and request lines, read by the master: whole lines, each in its file, app lines headed with the process's ids", async () => {
  const d = dir();
  const cfg = config({ logdate: '%Y', logPrefix: '[%(wid)/%(pid)]', logger: [`file:${d}/server.log`], reqLogger: [`file:${d}/req.log`] });
  const logs = new LogMaster({ cfg, logto: path.join(d, 'main.log'), stderr: new PassThrough() });
  const c = child(d);
  logs.adopt(c, { wid: 7, requests: 3 });
  logs.logger.log('spawned tsgi worker 7');
  await new Promise((r) => c.once('exit', r));
  await logs.close();
  const year = new Date().getFullYear();
  const server = read(`${d}/server.log`).split('\n').filter(Boolean).sort();
  assert.deepEqual(server, [
    `${year} - [0/${process.pid}] spawned tsgi worker 7`,
    `${year} - [7/${c.pid}] err one`,
    `${year} - [7/${c.pid}] out one`,
    `${year} - [7/${c.pid}] out two`,
  ]);
  assert.equal(read(`${d}/req.log`), 'GET /0 200\nGET /1 200\nGET /2 200\n', 'request lines as the worker wrote them, no head');
  assert.equal(read(`${d}/main.log`), '', 'logto gets nothing when logger takes the lines');
});

test('without logger and req-logger everything goes to logto; fifo l and touch-logreopen move it to a new file', async () => {
  const d = dir();
  const touch = path.join(d, 'reopen');
  writeFileSync(touch, '');
  utimesSync(touch, 1000, 1000);
  const logto = path.join(d, 'app.log');
  const logs = new LogMaster({ cfg: config({ touchLogreopen: [touch] }), logto, stderr: new PassThrough(), touchIntervalMs: 20 });
  logs.logger.log('before');
  renameSync(logto, `${logto}.1`);
  logs.reopen('fifo l');
  logs.logger.log('between');
  renameSync(logto, `${logto}.2`);
  utimesSync(touch, 2000, 2000);
  await new Promise((r) => setTimeout(r, 200));
  const c = child(d, 2);
  logs.adopt(c, { wid: 1, requests: 3 });
  await new Promise((r) => c.once('exit', r));
  await logs.close();
  assert.match(read(`${logto}.1`), /^before\n\*\*\* fifo l: reopening the log files \*\*\*\n\[\d+\] logsize: \d+, triggering log-reopen\.\.\.\n$/);
  assert.match(read(`${logto}.2`), /reopened\.\nbetween\n\*\*\* .*reopen has been touched: reopening the log files \*\*\*\n\[\d+\] logsize/);
  assert.deepEqual(read(logto).split('\n').filter((l) => !l.includes('reopened.')).sort(), ['', 'GET /0 200', 'GET /1 200', 'err one', 'out one', 'out two']);
});

test('stderr that cannot keep up: the children are paused, not the lines dropped', async () => {
  const d = dir();
  const slow = new PassThrough({ highWaterMark: 16 });
  const logs = new LogMaster({ cfg: config({}), logto: undefined, stderr: slow });
  const c = child(d, 500);
  logs.adopt(c, { wid: 1, requests: 3 });
  const got: Buffer[] = [];
  setTimeout(() => slow.on('data', (b: Buffer) => got.push(b)), 300);
  await new Promise((r) => c.once('exit', r));
  await logs.close(5000);
  const lines = Buffer.concat(got).toString().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('GET /')).length, 500);
  assert.ok(lines.includes('out two'));
});
