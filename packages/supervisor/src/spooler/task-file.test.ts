import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  claimNextTask,
  completeTask,
  decode,
  enqueueTask,
  ensureSpoolDir,
  failTask,
  ignoreTask,
  nextDueAt,
  recoverOrphans,
  retryTask,
  type Claimed,
} from './task-file.js';
import { listed, queued, scratch, within } from './fixtures.js';

const TASK_FILE = fileURLToPath(new URL('./task-file.js', import.meta.url));
const temporaries = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => f.startsWith('.tmp-'));

test('a task is a whole file in the queue by the time enqueueTask resolves, with no temporary left', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const id = await enqueueTask(dir, { name: 'sendMail', args: { to: 'a@example.org' }, priority: 3 });
  const [file, ...rest] = await queued(dir);
  assert.deepEqual(rest, []);
  assert.match(file!, new RegExp(`^0003-\\d{13}-${id}\\.task$`));
  const task = decode(await readFile(join(dir, file!), 'utf8'));
  assert.deepEqual({ id: task.id, name: task.name, args: task.args, attempts: task.attempts }, { id, name: 'sendMail', args: { to: 'a@example.org' }, attempts: 0 });
  assert.deepEqual((await listed(dir, 'running')).length, 0);
  assert.deepEqual(await temporaries(dir), []);
});

test('a process SIGKILLed the moment enqueueTask resolves still leaves the complete task', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const script = `
    const { enqueueTask } = await import(${JSON.stringify(pathToFileURL(TASK_FILE).href)});
    const id = await enqueueTask(${JSON.stringify(dir)}, { name: 'big', args: { blob: 'x'.repeat(1 << 20) } });
    process.stdout.write(id, () => process.kill(process.pid, 'SIGKILL'));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const signal = await within(10_000, new Promise((r) => child.on('exit', (_c, s) => r(s))), 'enqueuing child');
  assert.equal(signal, 'SIGKILL');
  const files = await queued(dir);
  assert.equal(files.length, 1);
  const task = decode(readFileSync(join(dir, files[0]!), 'utf8'));
  assert.equal(task.id, out);
  assert.equal((task.args as { blob: string }).blob.length, 1 << 20);
  assert.deepEqual(await temporaries(dir), []);
});

test('the queue runs by priority (lower first), then by due time; a future task waits', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const now = Date.now();
  const late = await enqueueTask(dir, { name: 'p0late', priority: 0 }, now + 5);
  const nine = await enqueueTask(dir, { name: 'p9', priority: 9 }, now);
  const early = await enqueueTask(dir, { name: 'p0early' }, now);
  const later = await enqueueTask(dir, { name: 'future', at: now + 60_000 }, now);
  const five = await enqueueTask(dir, { name: 'p5', priority: 5 }, now);
  const order: string[] = [];
  for (let c: Claimed | undefined; (c = await claimNextTask(dir, { pid: process.pid }, now + 10)); ) {
    order.push(c.task.id);
    await completeTask(c);
  }
  assert.deepEqual(order, [early, late, five, nine]);
  assert.equal(await nextDueAt(dir), now + 60_000);
  const due = await claimNextTask(dir, { pid: process.pid }, now + 60_000);
  assert.equal(due?.task.id, later);
});

test('a claimed task sits in running/ under the owner pid; retry requeues it later with one more attempt', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  await enqueueTask(dir, { name: 'flaky', args: [1, 2] });
  const c = (await claimNextTask(dir, { pid: 4242 }))!;
  assert.deepEqual(await listed(dir, 'running'), [`${c.fileName}.4242`]);
  assert.deepEqual(await queued(dir), []);
  const now = Date.now();
  const again = await retryTask(c, 30_000, now);
  assert.equal(again.attempts, 1);
  assert.equal(again.at, now + 30_000);
  assert.deepEqual(await listed(dir, 'running'), []);
  assert.equal(await claimNextTask(dir, { pid: 4242 }, now + 29_999), undefined);
  const c2 = (await claimNextTask(dir, { pid: 4242 }, now + 30_000))!;
  assert.deepEqual([c2.task.id, c2.task.attempts, c2.task.args], [c.task.id, 1, [1, 2]]);
  const ignored = await ignoreTask(c2);
  assert.equal(ignored.id, c.task.id);
  assert.deepEqual([await queued(dir), await listed(dir, 'running')], [[], []]);
});

test('two claimers racing over 200 tasks never take the same one', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const ids = await Promise.all(Array.from({ length: 200 }, (_, n) => enqueueTask(dir, { name: 'job', args: { n } })));
  const taken = new Map<string, number[]>();
  const claimer = async (pid: number): Promise<void> => {
    for (let c: Claimed | undefined; (c = await claimNextTask(dir, { pid })); ) {
      taken.set(c.task.id, [...(taken.get(c.task.id) ?? []), pid]);
      await completeTask(c);
    }
  };
  await within(20_000, Promise.all([claimer(1), claimer(2), claimer(3)]), 'claimers');
  assert.equal(taken.size, 200);
  assert.deepEqual([...taken.keys()].sort(), [...ids].sort());
  assert.ok([...taken.values()].every((owners) => owners.length === 1));
});

test('tasks of dead owners go back to the queue; live owners keep theirs', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  await enqueueTask(dir, { name: 'a' });
  await enqueueTask(dir, { name: 'b' });
  const dead = (await claimNextTask(dir, { pid: 111 }))!;
  const alive = (await claimNextTask(dir, { pid: 222 }))!;
  const r = await recoverOrphans(dir, (pid) => pid === 222);
  assert.deepEqual(r.recovered, [{ fileName: dead.fileName, pid: 111 }]);
  assert.deepEqual(await queued(dir), [dead.fileName]);
  assert.deepEqual(await listed(dir, 'running'), [`${alive.fileName}.222`]);
});

test('malformed files go to failed/ with a reason and never stop the scan', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  await ensureSpoolDir(dir);
  await writeFile(join(dir, '0000-0000000000001-broken-1-1-aaaaaa.task'), '{"v":1,"id":');
  await writeFile(join(dir, '0000-0000000000002-wrong-1-1-bbbbbb.task'), JSON.stringify({ v: 7 }));
  await writeFile(join(dir, 'hand-made.task'), '{}');
  await writeFile(join(dir, 'README'), 'not a task, left alone');
  await writeFile(join(dir, 'running', 'stray'), '');
  const good = await enqueueTask(dir, { name: 'good' });
  const c = (await claimNextTask(dir, { pid: process.pid }))!;
  assert.equal(c.task.id, good);
  await failTask(c, 'no handler named "good"');
  const recovery = await recoverOrphans(dir, () => false);
  assert.deepEqual(recovery.failed, ['stray']);
  const failed = await listed(dir, 'failed');
  assert.deepEqual(failed.filter((f) => !f.endsWith('.reason')).sort(), [
    '0000-0000000000001-broken-1-1-aaaaaa.task',
    '0000-0000000000002-wrong-1-1-bbbbbb.task',
    c.fileName,
    'hand-made.task',
    'stray',
  ].sort());
  assert.match(await readFile(join(dir, 'failed', '0000-0000000000001-broken-1-1-aaaaaa.task.reason'), 'utf8'), /malformed task file/);
  assert.match(await readFile(join(dir, 'failed', '0000-0000000000002-wrong-1-1-bbbbbb.task.reason'), 'utf8'), /format version 7/);
  assert.match(await readFile(join(dir, 'failed', 'hand-made.task.reason'), 'utf8'), /file name is not/);
  assert.match(await readFile(join(dir, 'failed', `${c.fileName}.reason`), 'utf8'), /no handler named "good"/);
  assert.deepEqual(await queued(dir), []);
  assert.equal(readFileSync(join(dir, 'README'), 'utf8'), 'not a task, left alone');
});

test('half-written files of dead enqueuers are removed once stale; fresh ones are left', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  await ensureSpoolDir(dir);
  await writeFile(join(dir, '.tmp-999999-1-aaaaaa'), '{"v":1');
  await writeFile(join(dir, '.tmp-999998-1-bbbbbb'), '{"v":1');
  const old = new Date(Date.now() - 120_000);
  await utimes(join(dir, '.tmp-999999-1-aaaaaa'), old, old);
  const r = await recoverOrphans(dir, () => false);
  assert.equal(r.removedTmp, 1);
  assert.deepEqual(await temporaries(dir), ['.tmp-999998-1-bbbbbb']);
});

test('a task that cannot be written is refused with TSGI_SPOOLER_BAD_TASK', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  await assert.rejects(enqueueTask(dir, { name: 'no/slash' }), { code: 'TSGI_SPOOLER_BAD_TASK' });
  await assert.rejects(enqueueTask(dir, { name: 'x', priority: 10_000 }), { code: 'TSGI_SPOOLER_BAD_TASK' });
  await assert.rejects(enqueueTask(dir, { name: 'x', at: Number.NaN }), { code: 'TSGI_SPOOLER_BAD_TASK' });
  await assert.rejects(enqueueTask(dir, { name: 'x', args: { n: 1n } }), { code: 'TSGI_SPOOLER_BAD_TASK' });
  await assert.rejects(enqueueTask(dir, { name: 'x', args: () => 1 }), { code: 'TSGI_SPOOLER_BAD_TASK' });
  assert.deepEqual(await queued(dir), []);
});
