/**
 * Capacity under a storm of worker kills (the OOM killer, a query of death): a
 * worker that was ready and serving is respawned at once, never put in the
 * crash-loop backoff, so the service keeps a ready worker (at most one 1 s sample
 * without one) and is whole again within seconds of the storm.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readStats } from '@tsgi/stats-protocol';
import { connectionsOf as heldConnections, killAll, load, sleep, startApp } from './harness.js';
import { mulberry32 } from './random.js';

/** Established client connections to `port` that `pid` holds. */
function connectionsOf(pid: number, port: number): number {
  return heldConnections(pid, port).filter((state) => state === '01').length;
}

const SEED = 20261130;

// a failed assertion must not leave the storm's supervise running (the runner would wait for it)
after(killAll);

describe('chaos', () => {
  test(`kill -9 of a random worker every 200 ms, 100 times, under keep-alive load (seed ${SEED})`, { timeout: 90000 }, async () => {
    const { sup, port, stats } = await startApp({ processes: 4, stats: true });
    const random = mulberry32(SEED); // the storm is the same on every run
    const gen = load(port, { connections: 16, keepAlive: true, maxMs: 60000 });
    await sleep(500);
    let held = 0;
    let kills = 0;
    const minReady: number[] = [];
    // a fixed storm of 100 kill turns, 200 ms apart (bounded at 45 s on a slow machine): the
    // count of kills does not depend on how fast this process turns
    const TURNS = 100;
    const hardEnd = Date.now() + 45000;
    let storming = true;
    let nextSample = Date.now() + 1000;
    const sampler = (async () => {
      while (storming) {
        await sleep(Math.max(0, nextSample - Date.now()));
        nextSample += 1000;
        const doc = await readStats(stats);
        minReady.push(doc.workers.filter((w) => w.ready === 1).length);
      }
    })();
    for (let turn = 0; turn < TURNS && Date.now() < hardEnd; turn++) {
      // the newest pid of each slot, from the master's log: no round trip between kills
      const pids = [...sup.workerPids().values()];
      const victim = pids[Math.floor(random() * pids.length)];
      if (victim !== undefined) {
        held += connectionsOf(victim, port);
        try {
          process.kill(victim, 'SIGKILL');
          kills++;
        } catch {
          // already gone: killed in the previous turn and not yet respawned
        }
      }
      await sleep(200);
    }
    storming = false;
    await sampler;
    const stormEnd = Date.now();
    let whole = -1;
    while (Date.now() - stormEnd < 3000) {
      const doc = await readStats(stats);
      if (doc.workers.every((w) => w.ready === 1)) {
        whole = Date.now() - stormEnd;
        break;
      }
      await sleep(100);
    }
    const r = await gen.stop();
    const summary = `kills ${kills}, ready workers at each 1 s sample ${minReady.join(' ')}, whole again after ${whole} ms, ok ${r.ok}, failed ${r.failed} (connections held by the victims: ${held})`;
    assert.ok(kills >= 60, summary);
    // a respawned worker needs ~50 ms to be ready on a quiet machine; when other work holds the two
    // cores (load average 8 was seen), start-up takes long enough for the 200 ms storm to find all
    // four slots starting at one sample: one such moment is the machine's, a second one in the
    // storm the supervisor's
    const empty = minReady.flatMap((n, i) => (n === 0 ? [i] : []));
    assert.ok(empty.length <= 1, `no ready worker at ${empty.length} samples: ${summary}`);
    assert.ok(whole >= 0, `not every slot ready within 3 s of the storm: ${summary}`);
    // `held` is read just before each kill: a connection the victim accepts in between is not in it, so
    // each kill may add one; every other failure would be a request lost beyond what the kill touched
    assert.ok(r.failed <= held + kills, `more failed requests than connections the killed workers held: ${summary}`);
    assert.doesNotMatch(sup.log, /respawning too fast/, 'a ready worker killed is not a crash loop');
    await sup.kill();
  });
});
