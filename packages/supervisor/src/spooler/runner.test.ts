import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runSpooler, type RunSpoolerOptions, type Spooler, type TaskEvent } from './runner.js';
import { enqueueTask } from './task-file.js';
import type { TaskContext, TaskHandlers } from './handlers.js';
import { listed, queued, scratch, waitFor, within } from './fixtures.js';

interface Harness {
  dir: string;
  spooler: Spooler;
  events: TaskEvent[];
  log: string[];
}

/** A runner in this process over a scratch directory; stopped and removed after the test. */
async function harness(t: TestContext, handlers: TaskHandlers, opts: Partial<RunSpoolerOptions> = {}, before?: (dir: string) => Promise<void>): Promise<Harness> {
  const { dir, cleanup } = await scratch();
  await before?.(dir);
  const events: TaskEvent[] = [];
  const log: string[] = [];
  const spooler = await runSpooler({
    dir,
    handlers,
    frequencySeconds: 30,
    maxTasks: 0,
    harakiriSeconds: 0,
    quiet: false,
    log: (l) => log.push(l),
    onTask: (e) => events.push(e),
    ...opts,
  });
  t.after(async () => {
    await within(5000, spooler.stop(), 'stopping the runner');
    await cleanup();
  });
  return { dir, spooler, events, log };
}

const verdicts = (h: Harness): string[] => h.events.map((e) => `${e.name}:${e.verdict}`);

test('ok deletes the task and logs uWSGI\'s "done with task" line', async (t) => {
  const seen: unknown[] = [];
  const h = await harness(t, { sendMail: async (args) => (seen.push(args), 'ok') });
  const id = await enqueueTask(h.dir, { name: 'sendMail', args: { to: 'x' } });
  h.spooler.wake();
  await waitFor(() => h.events.length === 1, 3000, 'task run');
  assert.deepEqual(seen, [{ to: 'x' }]);
  assert.deepEqual(verdicts(h), ['sendMail:ok']);
  assert.deepEqual([await queued(h.dir), await listed(h.dir, 'running')], [[], []]);
  assert.ok(h.log.some((l) => l.startsWith(`[spooler ${h.dir} pid: ${process.pid}] done with task ${id} after `) && l.endsWith(' ms')));
  assert.equal(h.spooler.stats().tasks, 1);
});

test('retry and a throw run the task again after the frequency, counting attempts; errors are logged even when quiet', async (t) => {
  const attempts: Record<string, number[]> = { flaky: [], thrower: [] };
  const h = await harness(
    t,
    {
      flaky: async (_a, ctx: TaskContext) => (attempts['flaky']!.push(ctx.attempts), ctx.attempts < 2 ? 'retry' : 'ok'),
      thrower: async (_a, ctx: TaskContext) => {
        attempts['thrower']!.push(ctx.attempts);
        if (ctx.attempts === 0) throw new Error('smtp down');
        return 'ok';
      },
    },
    { frequencySeconds: 0.2, quiet: true },
  );
  await enqueueTask(h.dir, { name: 'flaky' });
  await enqueueTask(h.dir, { name: 'thrower' });
  h.spooler.wake();
  await waitFor(() => h.events.length === 5, 5000, 'retried tasks');
  assert.deepEqual(attempts, { flaky: [0, 1, 2], thrower: [0, 1] });
  assert.deepEqual(verdicts(h).sort(), ['flaky:ok', 'flaky:retry', 'flaky:retry', 'thrower:ok', 'thrower:retry']);
  assert.ok(h.log.some((l) => /task thrower-\S+ raised Error: smtp down/.test(l)), h.log.join('\n'));
  assert.ok(!h.log.some((l) => /done with task|asked to retry/.test(l)), 'quiet hides per-task lines');
  assert.deepEqual(await queued(h.dir), []);
});

test('a handler returning something else than ok/retry/ignore counts as retry, and says so', async (t) => {
  let runs = 0;
  const h = await harness(t, { forgetful: (async () => void runs++) as never }, { frequencySeconds: 60 });
  await enqueueTask(h.dir, { name: 'forgetful' });
  h.spooler.wake();
  await waitFor(() => h.events.length === 1, 3000, 'task run');
  assert.equal(h.events[0]!.verdict, 'retry');
  assert.ok(h.log.some((l) => l.includes("returned nothing (expected 'ok', 'retry' or 'ignore')")), h.log.join('\n'));
  assert.equal((await queued(h.dir)).length, 1, 'the task waits for its next run');
});

test('ignore drops the task with a log line; an unknown task name goes to failed/', async (t) => {
  const h = await harness(t, { notMine: async () => 'ignore' });
  await enqueueTask(h.dir, { name: 'notMine' });
  await enqueueTask(h.dir, { name: 'nobodyHandlesThis' });
  h.spooler.wake();
  await waitFor(() => h.events.length === 2, 3000, 'tasks run');
  assert.deepEqual(verdicts(h), ['notMine:ignore', 'nobodyHandlesThis:failed']);
  assert.ok(h.log.some((l) => /task notMine-\S+ ignored by its handler, dropped/.test(l)));
  assert.ok(h.log.some((l) => /no handler for task nobodyHandlesThis-\S+ \(nobodyHandlesThis\)/.test(l)));
  const failed = await listed(h.dir, 'failed');
  assert.equal(failed.length, 2);
  assert.match(await readFile(join(h.dir, 'failed', failed.find((f) => f.endsWith('.reason'))!), 'utf8'), /no handler named "nobodyHandlesThis"/);
  assert.deepEqual(await queued(h.dir), []);
});

test('a task with `at` waits until then, even with a long frequency', async (t) => {
  let ranAt = 0;
  const h = await harness(t, { later: async () => ((ranAt = Date.now()), 'ok') });
  const at = Date.now() + 400;
  await enqueueTask(h.dir, { name: 'later', at });
  h.spooler.wake();
  await waitFor(() => h.events.length === 1, 3000, 'delayed task');
  assert.ok(ranAt >= at, `ran ${at - ranAt} ms early`);
  assert.ok(ranAt < at + 1000, `ran ${ranAt - at} ms late`);
});

test('queued tasks run by priority, lower first', async (t) => {
  const order: string[] = [];
  const h = await harness(t, { job: async (a: { tag: string }) => (order.push(a.tag), 'ok') }, {}, async (dir) => {
    const now = Date.now() - 1000;
    await enqueueTask(dir, { name: 'job', args: { tag: 'p5' }, priority: 5 }, now);
    await enqueueTask(dir, { name: 'job', args: { tag: 'p0-second' } }, now + 1);
    await enqueueTask(dir, { name: 'job', args: { tag: 'p9' }, priority: 9 }, now);
    await enqueueTask(dir, { name: 'job', args: { tag: 'p0-first' }, priority: 0 }, now);
  });
  await waitFor(() => order.length === 4, 3000, 'tasks run');
  assert.deepEqual(order, ['p0-first', 'p0-second', 'p5', 'p9']);
});

test('wake() rescans at once; stats show the task in hand; stop() lets it finish', async (t) => {
  let release: () => void = () => {};
  const h = await harness(t, { slow: () => new Promise((r) => (release = () => r('ok'))) });
  await new Promise((r) => setTimeout(r, 50)); // idle, sleeping for 30 s
  await enqueueTask(h.dir, { name: 'slow' });
  const before = Date.now();
  h.spooler.wake();
  await waitFor(() => h.spooler.stats().running === 1, 2000, 'task started');
  const s = h.spooler.stats();
  assert.ok(s.taskStart >= before && s.taskStart <= Date.now());
  assert.match(s.task, /^slow-/);
  const stopped = h.spooler.stop();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(h.events.length, 0, 'stop waits for the task');
  release();
  assert.equal(await within(2000, stopped, 'stop'), 'stopped');
  assert.deepEqual(verdicts(h), ['slow:ok']);
  assert.deepEqual(h.spooler.stats(), { tasks: 1, running: 0, taskStart: 0, task: '' });
});

test('spooler-max-tasks ends the loop after that many tasks, leaving the rest queued', async (t) => {
  const h = await harness(t, { job: async () => 'ok' }, { maxTasks: 2 }, async (dir) => {
    for (let n = 0; n < 3; n++) await enqueueTask(dir, { name: 'job', args: { n } });
  });
  assert.equal(await within(3000, h.spooler.done, 'max tasks'), 'max-tasks');
  assert.equal(h.spooler.stats().tasks, 2);
  assert.equal((await queued(h.dir)).length, 1);
  assert.ok(h.log.some((l) => l.endsWith('maximum number of tasks reached (2) recycling ...')));
});

test('a spooler-import that cannot be loaded is refused with TSGI_SPOOLER_IMPORT', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const base = { dir, frequencySeconds: 1, maxTasks: 0, harakiriSeconds: 0, quiet: true, log: () => {} };
  await assert.rejects(runSpooler({ ...base, importPath: join(dir, 'missing.mjs') }), { code: 'TSGI_SPOOLER_IMPORT' });
  await assert.rejects(runSpooler(base), { code: 'TSGI_SPOOLER_IMPORT' });
});
