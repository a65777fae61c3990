/**
 * The master never dies or wedges on what its workers, its log or its
 * clients do: malformed IPC from app code, a log reader that went away, a
 * flood of connections while no worker can take them.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readStats } from '@tsgi/stats-protocol';
import { Supervise, connectionsOf, freePort, isAlive, killAll, request, sleep, startApp, tmp, writeIni, FIXTURES } from './harness.js';
import path from 'node:path';

after(killAll);

describe('faults the master survives', () => {
  test('messages from app code that look like tsgi’s but are not: ignored, the master lives, the slot respawns', async () => {
    const { sup, port, stats } = await startApp({ app: 'ipc-garbage.mjs', processes: 1, stats: true });
    const first = [...sup.workerPids().values()][0]!;
    assert.equal((await request(port, '/garbage')).status, 200);
    await sup.waitFor(new RegExp(`DAMN ! worker 1 \\(pid: ${first}\\) died`));
    await sup.waitFor(/sent a malformed 'report' message: ignored/);
    await sup.waitFor(/Respawned tsgi worker 1/);
    await sup.waitReady(2);
    assert.ok(isAlive(sup.pid), 'the master is alive');
    assert.equal((await request(port, '/')).status, 200);
    const doc = await readStats(stats);
    assert.notEqual(doc.workers[0]!.pid, first, 'stats still served, with the new worker');
    await sup.kill();
  });

  test('EPIPE on the log (its reader went away): the master and its workers keep serving, and the master still stops cleanly', async () => {
    const dir = tmp();
    const port = await freePort();
    // the request log on: every request makes the worker write to the broken pipe too
    const ini = writeIni(dir, `[tsgi]\napp = ${path.join(FIXTURES, 'node-listener.mjs')}\nhttp-socket = 127.0.0.1:${port}\nprocesses = 1\n`);
    const sup = new Supervise(['--ini', ini]);
    await sup.waitReady(1);
    const worker = sup.workerPids().get(1)!;
    // the reader of stdout and stderr goes away, as `supervise | head` or a restarting log shipper
    sup.child.stdout!.destroy();
    sup.child.stderr!.destroy();
    await sleep(100);
    for (let i = 0; i < 20; i++) assert.equal((await request(port, '/')).status, 200);
    sup.signal('SIGUSR1'); // the stats summary: a dozen master log lines into the closed pipe
    await sleep(500);
    assert.ok(isAlive(sup.pid), 'the master survived EPIPE');
    assert.ok(isAlive(worker), 'the worker survived EPIPE on its request log');
    assert.match((await request(port, '/')).body, new RegExp(` ${worker}\n$`));
    sup.signal('SIGINT');
    assert.equal(await sup.waitExit(10000), 0);
  });

  test('the router queue is bounded while no worker can load the app: the excess gets 503 at once, the master’s descriptors stay bounded', async () => {
    const routerPort = await freePort();
    const { sup } = await startApp({ app: 'throws-on-load.mjs', processes: 1, ready: 0, ini: `http = 127.0.0.1:${routerPort}\nlisten = 10\n` });
    await sup.waitFor(/tsgi http router bound/);
    // the client connections the master holds on the router port: not its whole descriptor table, where
    // worker pipes (a respawn in backoff) and /proc reads (the stats readings) come and go at any time
    const held = (): number => connectionsOf(sup.pid, routerPort).length;
    // one connection after the other, each accepted by the kernel before the next: 40 at once would overflow
    // the listen backlog of 10 on a busy machine, and the dropped SYNs would be retried past the test's wait
    const clients: Promise<string>[] = [];
    for (let i = 0; i < 40; i++) {
      const c = net.connect(routerPort, '127.0.0.1');
      await new Promise<void>((resolve) => c.once('connect', resolve).once('error', () => resolve()));
      clients.push(
        new Promise<string>((resolve) => {
          let got = '';
          c.setEncoding('latin1');
          c.on('data', (d) => (got += d));
          c.on('close', () => resolve(got));
          c.on('error', () => resolve(got));
          c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
          // the queued ones are never answered (no worker will come): their clients give up
          setTimeout(() => c.destroy(), 1500);
        }),
      );
    }
    const answers = await Promise.all(clients);
    const refused = answers.filter((a) => a.startsWith('HTTP/1.1 503')).length;
    assert.ok(refused >= 30, `${refused} of 40 got 503`);
    // a refused connection closes once its client has read the 503 and gone; what stays is the queue, `listen` deep
    let now = held();
    for (let i = 0; i < 20 && now > 10; i++) {
      await sleep(100);
      now = held();
    }
    assert.ok(now <= 10, `the master holds ${now} client connections on the router port with listen = 10`);
    assert.ok(isAlive(sup.pid));
    await sup.kill();
  });

  test('cheap mode on a uwsgi socket: the request that wakes the workers is parsed as uwsgi, not as HTTP', async () => {
    const { encodeUwsgiPacket } = await import('@tsgi/supervisor/uwsgi');
    const uwsgiPort = await freePort();
    const { sup } = await startApp({ processes: 1, ready: 0, ini: `socket = 127.0.0.1:${uwsgiPort}\ncheap = true\n` });
    await sup.waitFor(/cheap = true: waiting for the first connection/);
    await sleep(300); // the waker takes the sockets once no worker runs
    const packet = encodeUwsgiPacket({ REQUEST_METHOD: 'GET', REQUEST_URI: '/', PATH_INFO: '/', QUERY_STRING: '', SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '10.9.8.7', HTTP_HOST: 'x' });
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(uwsgiPort, '127.0.0.1', () => s.write(packet));
      let d = '';
      s.on('data', (c) => (d += c));
      s.on('end', () => resolve(d));
      s.on('error', reject);
      s.setTimeout(10000, () => s.destroy(new Error('timeout')));
    });
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
    await sup.kill();
  });
});
