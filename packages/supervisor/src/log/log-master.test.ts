import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { defaultConfig, type TsgiConfig } from '@tsgi/config';
import { LogMaster } from './log-master.js';

const dir = (): string => mkdtempSync(path.join(tmpdir(), 'tsgi-logmaster-'));

/**
 * A child that writes app lines on stdout and stderr (one in two pieces, and `extra` more
 * on stdout) and, like a worker, request lines on fd 3 (a descriptor of the master's
 * request targets), and prints the IPC messages it gets.
 */
function child(d: string, requestFd: number | 'ignore', extra = 0): ReturnType<typeof spawn> {
  const script = path.join(d, 'child.mjs');
  writeFileSync(
    script,
    [
      "import { writeSync } from 'node:fs';",
      `for (let i = 0; i < ${extra}; i++) process.stdout.write('extra ' + i + '\\n');`,
      "process.stdout.write('out one\\nout ');",
      "setTimeout(() => process.stdout.write('two\\n'), 30);",
      "process.stderr.write('err one\\n');",
      `if (${requestFd !== 'ignore'}) for (let i = 0; i < 3; i++) writeSync(3, 'GET /' + i + ' 200\\n');`,
      "process.on('message', (m) => { process.stdout.write('message ' + JSON.stringify(m) + '\\n'); process.disconnect(); });",
      'setTimeout(() => process.disconnect(), 1500);',
    ].join('\n'),
  );
  return spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe', requestFd, 'ipc'] });
}

const config = (extra: Partial<TsgiConfig>): TsgiConfig => ({ ...defaultConfig(2), ...extra });
const read = (f: string): string => readFileSync(f, 'utf8');
const exited = (c: ReturnType<typeof spawn>): Promise<unknown> => new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r(c.exitCode)));

test("a child's output read by the master, whole lines with the process's ids, its request lines written by itself to the req-logger file", async () => {
  const d = dir();
  const cfg = config({ logdate: '%Y', logPrefix: '[%(wid)/%(pid)]', logger: [`file:${d}/server.log`], reqLogger: [`file:${d}/req.log`] });
  const logs = new LogMaster({ cfg, logto: path.join(d, 'main.log'), stderr: new PassThrough() });
  const targets = logs.requestTargets();
  assert.deepEqual(targets.map((t) => t.path), [`${d}/req.log`]);
  const c = child(d, targets[0]!.fd);
  logs.adopt(c, { wid: 7 });
  logs.logger.log('spawned tsgi worker 7');
  await exited(c);
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
  const logs = new LogMaster({ cfg: config({ touchLogreopen: [touch] }), logto, stderr: new PassThrough(), tickMs: 20 });
  logs.logger.log('before');
  renameSync(logto, `${logto}.1`);
  logs.reopen('fifo l');
  logs.logger.log('between');
  renameSync(logto, `${logto}.2`);
  utimesSync(touch, 2000, 2000);
  await new Promise((r) => setTimeout(r, 200));
  const c = child(d, logs.requestTargets()[0]!.fd);
  logs.adopt(c, { wid: 1, writesRequests: true });
  await exited(c);
  await logs.close();
  assert.match(read(`${logto}.1`), /^before\n\*\*\* fifo l: reopening the log files \*\*\*\n\[\d+\] logsize: \d+, triggering log-reopen\.\.\.\n$/);
  assert.match(read(`${logto}.2`), /reopened\.\nbetween\n\*\*\* .*reopen has been touched: reopening the log files \*\*\*\n\[\d+\] logsize/);
  assert.deepEqual(read(logto).split('\n').filter((l) => !l.includes('reopened.')).sort(), ['', 'GET /0 200', 'GET /1 200', 'GET /2 200', 'err one', 'out one', 'out two']);
});

test('a rotation by size tells the workers to open the files again; other children are not told', async () => {
  const d = dir();
  const logto = path.join(d, 'app.log');
  const logs = new LogMaster({ cfg: config({ logMaxsize: 200 }), logto, stderr: new PassThrough(), tickMs: 20 });
  const worker = child(d, logs.requestTargets()[0]!.fd);
  logs.adopt(worker, { wid: 1, writesRequests: true });
  const spooler = child(d, 'ignore');
  logs.adopt(spooler, { wid: 0 });
  await new Promise((r) => setTimeout(r, 300));
  logs.logger.log('x'.repeat(300));
  await Promise.all([exited(worker), exited(spooler)]);
  await logs.close();
  const all = readdirSync(d).filter((f) => f.startsWith('app.log')).map((f) => read(path.join(d, f))).join('');
  assert.match(all, /triggering rotation to .*app\.log\.\d+/);
  assert.equal((all.match(/message \{"t":"reopen-log","tsgi":1\}/g) ?? []).length, 1, 'the worker was told, once');
});

test('stderr that cannot keep up: the children are paused, not the lines dropped', async () => {
  const d = dir();
  const slow = new PassThrough({ highWaterMark: 16 });
  const logs = new LogMaster({ cfg: config({}), logto: undefined, stderr: slow });
  const c = child(d, 'ignore', 2000);
  logs.adopt(c, { wid: 1 });
  const got: Buffer[] = [];
  setTimeout(() => slow.on('data', (b: Buffer) => got.push(b)), 300);
  await exited(c);
  await logs.close(5000);
  const lines = Buffer.concat(got).toString().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('extra ')).length, 2000);
  assert.ok(lines.includes('out two'));
});

test("stderr whose reader went away: lines are dropped, the children are never left waiting for it", async () => {
  const d = dir();
  const gone = new PassThrough({ highWaterMark: 16 });
  const logs = new LogMaster({ cfg: config({}), logto: undefined, stderr: gone });
  gone.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  // more output than a pipe holds: a child paused for good would block in its writes
  const c = child(d, 'ignore', 20_000);
  logs.adopt(c, { wid: 1 });
  const exit = await Promise.race([exited(c), new Promise((r) => setTimeout(() => r('stuck'), 10_000))]);
  if (exit === 'stuck') c.kill('SIGKILL');
  assert.notEqual(exit, 'stuck', 'the child wrote everything and exited');
  await logs.close();
});

test('touch-logrotate: every log file is renamed and started anew when the file is touched', async () => {
  const d = dir();
  const touch = path.join(d, 'rotate');
  writeFileSync(touch, '');
  utimesSync(touch, 1000, 1000);
  const logs = new LogMaster({ cfg: config({ touchLogrotate: [touch], reqLogger: [`file:${d}/req.log`] }), logto: path.join(d, 'app.log'), stderr: new PassThrough(), tickMs: 20 });
  logs.logger.log('before');
  utimesSync(touch, 2000, 2000);
  await new Promise((r) => setTimeout(r, 200));
  logs.logger.log('after');
  await logs.close();
  const files = readdirSync(d).sort();
  assert.ok(files.some((f) => /^app\.log\.\d+$/.test(f)) && files.some((f) => /^req\.log\.\d+$/.test(f)), files.join(' '));
  assert.match(read(`${d}/app.log`), /^after\n$/);
  assert.match(read(`${d}/${files.find((f) => /^app\.log\.\d+$/.test(f))!}`), /^before\n\*\*\* .*rotate has been touched: rotating the log files \*\*\*\n.* - logsize: \d+, triggering rotation to /);
});
