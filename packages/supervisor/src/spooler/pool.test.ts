import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultConfig } from '@tsgi/config';
import { memoryLogger } from '../log/logger.js';
import { scratch, waitFor, writeHandlersModule } from './fixtures.js';
import { SpoolerPool, type SpoolerEvent } from './pool.js';

/** A pool with one spooler process up and reporting, this test process playing the master's loop. */
async function runningPool(t: { after(fn: () => unknown): void }, mercySeconds: number) {
  const { dir, cleanup } = await scratch();
  t.after(cleanup);
  const events: SpoolerEvent[] = [];
  const pool = new SpoolerPool(memoryLogger(), dir, (ev) => events.push(ev), () => process.env, undefined);
  t.after(() => pool.killAll());
  const spoolerImport = await writeHandlersModule(dir);
  pool.configure({ ...defaultConfig(1), spooler: [join(dir, 'spool')], spoolerImport, spoolerProcesses: 1, workerReloadMercy: mercySeconds });
  pool.manage(Date.now());
  await waitFor(() => events.some((e) => e.kind === 'report'), 10_000, 'first spooler report');
  const report = events.find((e) => e.kind === 'report')!;
  assert.equal(report.kind, 'report');
  for (const ev of events.splice(0)) pool.handle(ev);
  return { pool, events, child: report.slot.child!, spoolDir: report.slot.dir };
}

test('a spooler told to stop that lingers is SIGKILLed by murder at its mercy deadline, not before', async (t) => {
  const { pool, events, child } = await runningPool(t, 5);
  // a stopped process cannot finish its task and exit: only the deadline ends it
  child.kill('SIGSTOP');
  pool.stopAll();
  const stoppedAt = Date.now();
  pool.murder(stoppedAt);
  await sleep(100);
  assert.equal(child.signalCode, null);
  assert.equal(pool.running, 1);
  pool.murder(stoppedAt + 5000);
  await waitFor(() => events.some((e) => e.kind === 'exit'), 5000, 'spooler exit');
  assert.equal(child.signalCode, 'SIGKILL');
  for (const ev of events.splice(0)) pool.handle(ev);
  assert.equal(pool.running, 0);
});

test("a 'spooled' message is only enqueued; the pool wakes that directory's spoolers when the loop handles it", async (t) => {
  const { pool, events, child, spoolDir } = await runningPool(t, 60);
  const sent: unknown[] = [];
  child.send = ((m: unknown) => (sent.push(m), true)) as typeof child.send;
  child.emit('message', { t: 'spooled', dir: spoolDir, tsgi: 1 });
  assert.deepEqual(events, [{ kind: 'spooled', dir: spoolDir }]);
  assert.deepEqual(sent, []);
  pool.handle(events[0]!);
  assert.deepEqual(sent, [{ t: 'wake' }]);
});
