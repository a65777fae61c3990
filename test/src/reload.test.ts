import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, Supervise, countMatches, freePort, isAlive, load, request, sleep, tmp, writeIni , killAll, startApp } from './harness.js';

after(killAll);

const start = (processes: number, extra = '') => startApp({ processes, ini: extra });

describe('graceful reload (SIGHUP)', () => {
  test('10 SIGHUPs under a 64-connection keep-alive load: 0 failed requests, every worker replaced', async () => {
    const { sup, port } = await start(2);
    const first = [...sup.workerPids().values()];
    const gen = load(port, { connections: 64, keepAlive: true });
    await sleep(500);
    for (let i = 0; i < 10; i++) {
      const from = sup.log.length;
      sup.signal('SIGHUP');
      await sup.waitFor(/reload complete/, 20000, from);
      await sleep(150);
    }
    await sleep(300);
    const r = await gen.stop();
    assert.equal(r.failed, 0, `failed: ${r.failed} ${JSON.stringify([...r.errors, ...r.statuses])}`);
    assert.ok(r.ok > 1000, `ok: ${r.ok}`);
    const now = [...sup.workerPids().values()];
    for (const pid of first) assert.ok(!now.includes(pid), 'every first-generation pid replaced');
    assert.equal(countMatches(sup.log, /reload complete/g), 10);
    await sleep(6000); // idle keep-alive connections of the old workers end by the keep-alive timeout
    for (const pid of first) assert.equal(isAlive(pid), false, `old worker ${pid} still alive`);
    await sup.kill();
  });

  test('non-keep-alive load across reloads: 0 failed requests', async () => {
    const { sup, port } = await start(2);
    const gen = load(port, { connections: 16, keepAlive: false });
    await sleep(300);
    for (let i = 0; i < 3; i++) {
      const from = sup.log.length;
      sup.signal('SIGHUP');
      await sup.waitFor(/reload complete/, 20000, from);
    }
    const r = await gen.stop();
    assert.equal(r.failed, 0, `failed: ${r.failed} ${JSON.stringify([...r.errors])}`);
    await sup.kill();
  });

  test('reload-surge: successors start one at a time with 1, all at once with 3; 0 failed requests either way', async () => {
    /** the order of the reload's events in the master's log: `spawn <slot>` and `ready <slot>` of the new workers */
    const events = (log: string): string[] =>
      log.split('\n').flatMap((line) => {
        const spawned = /Respawned tsgi worker (\d+) /.exec(line);
        if (spawned) return [`spawn ${spawned[1]}`];
        const ready = /ready in \d+ ms on worker (\d+) /.exec(line);
        return ready ? [`ready ${ready[1]}`] : [];
      });
    for (const surge of [1, 3]) {
      const { sup, port } = await start(3, `reload-surge = ${surge}\n`);
      const gen = load(port, { connections: 8, keepAlive: true });
      await sleep(300);
      const from = sup.log.length;
      sup.signal('SIGHUP');
      await sup.waitFor(/reload complete/, 20000, from);
      const r = await gen.stop();
      assert.equal(r.failed, 0, `reload-surge = ${surge}, failed: ${r.failed} ${JSON.stringify([...r.errors, ...r.statuses])}`);
      const order = events(sup.log.slice(from));
      assert.equal(order.length, 6, order.join(', '));
      if (surge === 1) {
        // each successor is spawned once the one before it is ready
        for (let i = 0; i < 6; i += 2) assert.deepEqual([order[i]!.split(' ')[0], order[i + 1]!], ['spawn', order[i]!.replace('spawn', 'ready')], order.join(', '));
      } else {
        assert.deepEqual(order.slice(0, 3).map((e) => e.split(' ')[0]), ['spawn', 'spawn', 'spawn'], order.join(', '));
      }
      await sup.kill();
    }
  });

  test('in-flight requests finish across a reload', async () => {
    const { sup, port } = await start(1);
    const slow = request(port, '/sleep?ms=1500');
    await sleep(200);
    sup.signal('SIGHUP');
    const r = await slow;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'slept 1500\n');
    await sup.kill();
  });

  test('SIGHUP re-reads the config; a broken new config keeps the old one serving', async () => {
    const { sup, port, ini } = await start(1);
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(ini, readFileSync(ini, 'utf8').replace('processes = 1', 'processes = 2'));
    let from = sup.log.length;
    sup.signal('SIGHUP');
    await sup.waitFor(/reload complete: generation 2, 2 workers ready/, 15000, from);
    writeFileSync(ini, readFileSync(ini, 'utf8') + 'procesess = 3\n');
    from = sup.log.length;
    sup.signal('SIGHUP');
    await sup.waitFor(/config error: .*procesess/, 15000, from);
    await sup.waitFor(/reload complete: generation 3, 2 workers ready/, 15000, from);
    assert.equal((await request(port, '/')).status, 200);
    await sup.kill();
  });
});

describe('a reload that adds a socket', () => {
  test('the new workers serve the socket the new config adds, and the old one keeps serving', async () => {
    const { sup, port, ini } = await start(1);
    const added = await freePort();
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(ini, readFileSync(ini, 'utf8') + `http-socket = 127.0.0.1:${added}\n`);
    const from = sup.log.length;
    sup.signal('SIGHUP');
    await sup.waitFor(/reload complete/, 15000, from);
    assert.equal((await request(added, '/')).status, 200);
    assert.equal((await request(port, '/')).status, 200);
    await sup.kill();
  });
});

describe('brutal reload (SIGTERM without die-on-term)', () => {
  test('workers are replaced at once, in-flight requests are cut', async () => {
    const { sup, port } = await start(2);
    const first = [...sup.workerPids().values()];
    const slow = request(port, '/sleep?ms=5000').then(
      () => 'answered',
      () => 'cut',
    );
    await sleep(200);
    const t0 = Date.now();
    sup.signal('SIGTERM');
    await sup.waitFor(/brutally killing workers/);
    await sup.waitFor(/reload complete/, 10000);
    assert.ok(Date.now() - t0 < 3000, 'brutal reload does not wait for requests');
    assert.equal(await slow, 'cut');
    for (const pid of first) assert.equal(isAlive(pid), false);
    assert.equal((await request(port, '/')).status, 200);
    assert.equal(sup.exitCode, undefined, 'the master keeps running');
    await sup.kill();
  });
});
