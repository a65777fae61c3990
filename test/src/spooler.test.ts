import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readStats } from '@tsgi/stats-protocol';
import { FIXTURES, Supervise, freePort, killAll, request, sleep, tmp, writeIni } from './harness.js';

after(killAll);

async function startSpooling(spool: string, markers: string, extra = '') {
  const dir = tmp();
  const [port, stats] = await Promise.all([freePort(), freePort()]);
  const ini = writeIni(
    dir,
    `[tsgi]\napp = ${path.join(FIXTURES, 'spooling-app.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 1\nstats = 127.0.0.1:${stats}\n` +
      `spooler = ${spool}\nspooler-import = ${path.join(FIXTURES, 'spool-tasks.mjs')}\nspooler-frequency = 1\nenv = TSGI_TEST_MARKERS=${markers}\ndisable-logging = true\n${extra}`,
  );
  const sup = new Supervise(['--ini', ini], { env: { TSGI_TEST_MARKERS: markers } });
  await sup.waitReady(1);
  await sup.waitFor(/spawned the tsgi spooler on/);
  return { sup, port, stats: `127.0.0.1:${stats}` };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('spooler', () => {
  test('spool() makes the task durable before answering; a spooler process runs it and stats count it', async () => {
    const spool = tmp('tsgi-spool-');
    const markers = tmp('tsgi-markers-');
    const { sup, port, stats } = await startSpooling(spool, markers);
    for (let n = 0; n < 5; n++) assert.match((await request(port, `/spool?n=${n}`)).body, /^queued /);
    await until(() => [0, 1, 2, 3, 4].every((n) => existsSync(path.join(markers, `record-${n}`))), 5000, 'five tasks to run');
    // run once each, and deleted once done
    for (let n = 0; n < 5; n++) assert.equal(readFileSync(path.join(markers, `record-${n}`), 'utf8').trim().split('\n').length, 1);
    await until(() => readdirSync(spool).filter((f) => f.endsWith('.task')).length === 0, 3000, 'the queue to empty');
    let doc = await readStats(stats);
    for (let i = 0; i < 30 && (doc.spoolers?.[0]?.tasks ?? 0) < 5; i++) {
      await sleep(100);
      doc = await readStats(stats);
    }
    assert.equal(doc.spoolers?.length, 1);
    assert.equal(doc.spoolers![0]!.dir, spool);
    assert.equal(doc.spoolers![0]!.tasks, 5);
    assert.ok(doc.spoolers![0]!.pid > 0);
    await sup.kill();
  });

  test('retry runs the task again later', async () => {
    const spool = tmp('tsgi-spool-');
    const markers = tmp('tsgi-markers-');
    const { sup, port } = await startSpooling(spool, markers);
    await request(port, '/spool?task=flaky&n=1');
    await until(() => existsSync(path.join(markers, 'flaky-1')), 6000, 'the retried task to succeed');
    assert.equal(readFileSync(path.join(markers, 'flaky-attempt-1'), 'utf8').trim().split('\n').length, 2);
    await sup.kill();
  });

  test('at least once: a task survives its master and spooler killed mid-run, and runs when supervise starts again', async () => {
    const spool = tmp('tsgi-spool-');
    const markers = tmp('tsgi-markers-');
    const first = await startSpooling(spool, markers);
    await request(first.port, '/spool?task=slow&n=7&ms=3000');
    await until(() => existsSync(path.join(markers, 'slow-started-7')), 5000, 'the task to start');
    await first.sup.kill(); // SIGKILL: master, workers; the spooler exits by itself when its master is gone
    await sleep(1000);
    assert.equal(existsSync(path.join(markers, 'slow-7')), false, 'it never finished');
    const second = await startSpooling(spool, markers);
    await until(() => existsSync(path.join(markers, 'slow-7')), 8000, 'the recovered task to finish');
    assert.equal(readFileSync(path.join(markers, 'slow-started-7'), 'utf8').trim().split('\n').length, 2, 'started twice: at least once');
    await second.sup.kill();
  });
});
