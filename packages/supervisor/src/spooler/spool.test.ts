import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTaskHandlers, spool } from './spool.js';
import { decode } from './task-file.js';
import { queued, scratch } from './fixtures.js';

// These tests change TSGI_SPOOLER; node:test runs the tests of one file one after another.
const saved = process.env['TSGI_SPOOLER'];
const restore = (): void => {
  if (saved === undefined) delete process.env['TSGI_SPOOLER'];
  else process.env['TSGI_SPOOLER'] = saved;
};

test('with TSGI_SPOOLER set, spool() writes a durable task there (the first of several dirs)', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(async () => (restore(), await cleanup()));
  process.env['TSGI_SPOOLER'] = `${dir}:/nonexistent/second`;
  const at = new Date(Date.now() + 60_000);
  const id = await spool('sendMail', { to: 'a@example.org' }, { at, priority: 2 });
  const [file] = await queued(dir);
  assert.ok(file?.startsWith(`0002-${String(at.getTime()).padStart(13, '0')}-${id}`));
  const task = decode(await readFile(join(dir, file!), 'utf8'));
  assert.deepEqual([task.name, task.args, task.at], ['sendMail', { to: 'a@example.org' }, at.getTime()]);
});

test('without a spooler, spool() runs the task inline with the same verdicts (retry: logged and dropped)', async (t) => {
  t.after(restore);
  delete process.env['TSGI_SPOOLER'];
  const ran: unknown[] = [];
  const log: string[] = [];
  setTaskHandlers(
    {
      sendMail: async (args) => (ran.push(args), 'ok'),
      flaky: async () => {
        throw new Error('smtp down');
      },
      notMine: async () => 'ignore',
    },
    { log: (l) => log.push(l) },
  );
  // A Date arrives as a string, as it would from a task file.
  const when = new Date(0);
  const id = await spool('sendMail', { to: 'b@example.org', when });
  assert.match(id, /^sendMail-/);
  assert.deepEqual(ran, [{ to: 'b@example.org', when: when.toISOString() }]);
  assert.deepEqual(log, []);
  await spool('flaky', {});
  await spool('notMine', {});
  assert.match(log[0]!, /^\[spooler inline pid: \d+\] task flaky-\S+ raised Error: smtp down[\s\S]*no spooler to retry it, dropped$/);
  assert.match(log[1]!, /task notMine-\S+ ignored by its handler, dropped$/);
  await assert.rejects(spool('unknownTask'), { code: 'TSGI_SPOOLER_NOT_CONFIGURED', message: /no inline handler has that name \(have: sendMail, flaky, notMine\)/ });
  await assert.rejects(spool('sendMail', { n: 1n }), { code: 'TSGI_SPOOLER_BAD_TASK' });
});
