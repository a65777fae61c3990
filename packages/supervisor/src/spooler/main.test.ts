import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSpooler } from './runner.js';
import { enqueueTask, pidAlive } from './task-file.js';
import { SPOOLER_MAIN, lines, listed, queued, scratch, startSpooler, waitFor, within, writeHandlersModule } from './fixtures.js';

const boot = (dir: string, importPath: string) => ({ dir, importPath, frequencySeconds: 30, maxTasks: 0, harakiriSeconds: 0, quiet: true });

test('two spooler processes run 200 tasks, each exactly once', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const tasks = await writeHandlersModule(dir);
  const spool = join(dir, 'spool');
  const out = join(dir, 'out.log');
  const spoolers = [startSpooler({ ...boot(spool, tasks), id: 1 }), startSpooler({ ...boot(spool, tasks), id: 2 })];
  t.after(() => spoolers.forEach((s) => s.kill()));
  await waitFor(() => spoolers.every((s) => s.reports.length > 0), 10_000, 'spoolers ready');
  for (let batch = 0; batch < 10; batch++) {
    await Promise.all(Array.from({ length: 20 }, (_, i) => enqueueTask(spool, { name: 'record', args: { n: batch * 20 + i, out } })));
    for (const s of spoolers) s.child.send({ t: 'wake' });
  }
  await waitFor(() => lines(out).length >= 200, 30_000, '200 tasks run');
  await new Promise((r) => setTimeout(r, 200)); // a duplicate run would show up now
  const runs = lines(out).map((l) => l.split(' '));
  assert.equal(runs.length, 200);
  assert.deepEqual(runs.map(([n]) => Number(n)).sort((a, b) => a - b), Array.from({ length: 200 }, (_, n) => n));
  const pids = new Set(runs.map(([, pid]) => Number(pid)));
  assert.ok([...pids].every((p) => spoolers.some((s) => s.child.pid === p)));
  assert.deepEqual([await queued(spool), await listed(spool, 'running')], [[], []]);
  for (const s of spoolers) s.child.send({ t: 'stop' });
  for (const s of spoolers) assert.deepEqual(await within(5000, s.exited, 'spooler exit'), { code: 0, signal: null }, s.stderr());
  const counted = spoolers.reduce((sum, s) => sum + s.reports.at(-1)!.tasks, 0);
  assert.equal(counted, 200, 'the final reports count every task');
});

test('a spooler SIGKILLed mid-task leaves it in running/; the next spooler runs it again', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const tasks = await writeHandlersModule(dir);
  const spool = join(dir, 'spool');
  const marker = join(dir, 'started');
  const first = startSpooler(boot(spool, tasks));
  t.after(first.kill);
  await waitFor(() => first.reports.length > 0, 10_000, 'spooler ready');
  const id = await enqueueTask(spool, { name: 'hang', args: { marker } });
  first.child.send({ t: 'wake' });
  await waitFor(() => lines(marker).length > 0, 5000, 'task started');
  await waitFor(() => first.reports.some((r) => r.running === 1 && r.task === id && r.taskStart > 0), 3000, 'report of the task in hand');
  const [claimed] = await listed(spool, 'running');
  assert.match(claimed!, new RegExp(`${id}\\.task\\.${first.child.pid}$`));
  first.kill();
  assert.equal((await within(5000, first.exited, 'killed spooler')).signal, 'SIGKILL');

  const ran: string[] = [];
  const log: string[] = [];
  const second = await runSpooler({
    dir: spool,
    handlers: { hang: async (_a, ctx) => (ran.push(ctx.id), 'ok') },
    frequencySeconds: 30,
    maxTasks: 0,
    harakiriSeconds: 0,
    quiet: true,
    log: (l) => log.push(l),
  });
  t.after(() => second.stop());
  await waitFor(() => ran.length === 1, 5000, 'recovered task run');
  assert.deepEqual(ran, [id]);
  assert.ok(log.some((l) => l.includes(`requeued task`) && l.includes(`of dead spooler (pid: ${first.child.pid})`)), log.join('\n'));
  assert.deepEqual([await queued(spool), await listed(spool, 'running')], [[], []]);
});

test('a spooler process exits when its master dies, even by SIGKILL', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const tasks = await writeHandlersModule(dir);
  const script = `
    import { fork } from 'node:child_process';
    const boot = { ...${JSON.stringify(boot(join(dir, 'spool'), tasks))}, id: 1, masterPid: process.pid };
    const child = fork(${JSON.stringify(SPOOLER_MAIN)}, [], { execArgv: [], env: { ...process.env, TSGI_SPOOLER_BOOT: JSON.stringify(boot) }, stdio: 'inherit' });
    child.once('message', () => process.stdout.write(String(child.pid)));
  `;
  const master = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let spoolerPid = 0;
  t.after(() => {
    for (const pid of [master.pid!, spoolerPid]) if (pid && pidAlive(pid)) process.kill(pid, 'SIGKILL');
  });
  master.stdout.on('data', (d: Buffer) => (spoolerPid = Number(d.toString())));
  await waitFor(() => spoolerPid > 0, 10_000, 'spooler reported to its master');
  process.kill(master.pid!, 'SIGKILL');
  await waitFor(() => gone(spoolerPid), 3000, 'orphaned spooler gone');
});

test('a spooler process with a broken spooler-import exits with the app-load code', async (t) => {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const s = startSpooler(boot(join(dir, 'spool'), join(dir, 'missing.mjs')));
  t.after(s.kill);
  const { code } = await within(10_000, s.exited, 'spooler exit');
  assert.equal(code, 22);
  assert.match(s.stderr(), /tsgi spooler 1 \(pid: \d+\): cannot load spooler-import .*missing\.mjs/);
});

/** Dead, or a zombie nobody has reaped yet (a container's init may be slow to). */
function gone(pid: number): boolean {
  if (!pidAlive(pid)) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true; // /proc entry vanished between the two checks: gone
  }
}
