import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FIXTURES, ROOT, Supervise, countMatches, freePort, request, sleep, tmp, writeIni , killAll, startApp } from './harness.js';

after(killAll);

const serve = (app: string, extra = '', processes = 2) => startApp({ app, processes, ini: extra, logging: true, ready: 0 });

describe('app shapes and module formats', () => {
  test('an ESM request listener with top-level await serves once ready, on every worker', async () => {
    const { sup, port } = await serve(path.join(FIXTURES, 'node-listener.mjs'));
    await sup.waitReady(2);
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const r = await request(port, '/');
      assert.equal(r.status, 200);
      assert.match(r.body, /^esm node [12] \d+\n$/);
      seen.add(r.body.split(' ')[2]!);
    }
    assert.ok(seen.size >= 1);
    await sup.kill();
  });

  test('a fetch handler (named export via app = file:name) gets the body and keeps Set-Cookie apart', async () => {
    const { sup, port } = await serve(`${path.join(FIXTURES, 'fetch-handler.mjs')}:handler`, '', 1);
    await sup.waitReady(1);
    const get = await request(port, '/hello');
    assert.equal(get.status, 200);
    assert.equal(get.body, 'fetch /hello');
    assert.deepEqual(get.headers['set-cookie'], ['a=1', 'b=2']);
    const post = await request(port, '/', { method: 'POST', body: 'x'.repeat(100000) });
    assert.equal(post.status, 201);
    assert.equal(post.body, `echo 100000 ${'x'.repeat(20)}`);
    await sup.kill();
  });

  test('an object with a fetch method (default export) serves', async () => {
    const { sup, port } = await serve(path.join(FIXTURES, 'fetch-handler.mjs'), '', 1);
    await sup.waitReady(1);
    assert.equal((await request(port, '/obj')).body, 'fetch /obj');
    await sup.kill();
  });

  test('a CommonJS module serves', async () => {
    const { sup, port } = await serve(path.join(FIXTURES, 'commonjs.cjs'), '', 1);
    await sup.waitReady(1);
    assert.equal((await request(port, '/')).body, 'cjs 1\n');
    await sup.kill();
  });

  test('env, argv, chdir, TSGI_WORKER_ID and NODE_APP_INSTANCE reach the app', async () => {
    const dir = tmp();
    const { sup, port } = await serve(
      path.join(FIXTURES, 'node-listener.mjs'),
      `env = GREETING=hi there\nargv = --flag value\nchdir = ${dir}\n`,
      1,
    );
    await sup.waitReady(1);
    const r = JSON.parse((await request(port, '/env')).body);
    assert.deepEqual(r, { id: '1', instance: '0', argv: ['--flag', 'value'], cwd: dir, greeting: 'hi there' });
    await sup.kill();
  });

  test("a uWSGI ini with keys of its own and %(name) references starts and serves", async () => {
    const dir = tmp();
    const port = await freePort();
    const ini = writeIni(
      dir,
      [
        '[uwsgi]',
        'project = greeter',
        `fixtures = ${FIXTURES}`,
        'app = %(fixtures)/node-listener.mjs',
        'http-socket = 127.0.0.1:%(port)',
        `port = ${port}`,
        'chdir = %(home-dir)',
        `set-placeholder = home-dir=${dir}`,
        'env = GREETING=%(project) from %(processes) slots',
        'processes = 3',
        'cheaper = %(processes - 2)',
        'disable-logging = true',
        '',
      ].join('\n'),
    );
    const sup = new Supervise(['--ini', ini]);
    await sup.waitReady(1);
    const r = JSON.parse((await request(port, '/env')).body);
    assert.equal(r.cwd, dir);
    assert.equal(r.greeting, 'greeter from 3 slots');
    await sleep(300);
    assert.equal(sup.workerPids().size, 1, 'cheaper = %(processes - 2) = 1 worker at start');
    await sup.kill();
  });

  test('an app exception is a 500 and the worker lives', async () => {
    const { sup, port } = await serve(path.join(FIXTURES, 'node-listener.mjs'), '', 1);
    await sup.waitReady(1);
    const pid = sup.workerPids().get(1);
    assert.equal((await request(port, '/throw')).status, 500);
    assert.equal((await request(port, '/reject')).status, 500);
    const ok = await request(port, '/');
    assert.equal(ok.status, 200);
    assert.match(ok.body, new RegExp(` ${pid}\\n$`));
    await sup.waitFor(/exception in GET \/throw: Error: boom \(sync\)/);
    await sup.waitFor(/exception in GET \/reject: Error: boom \(async\)/);
    assert.equal(countMatches(sup.log, /DAMN/g), 0);
    await sup.kill();
  });

  test('a malformed request gets a 400 and the worker lives', async () => {
    const { sup, port } = await serve(path.join(FIXTURES, 'node-listener.mjs'), '', 1);
    await sup.waitReady(1);
    const net = await import('node:net');
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('close', () => resolve(data));
      s.on('error', reject);
      s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    });
    assert.match(reply, /^HTTP\/1\.1 400/);
    assert.equal((await request(port, '/')).status, 200);
    await sup.kill();
  });

  test('one request log line per request in uWSGI form; disable-logging turns it off', async () => {
    const { sup, port } = await serve(path.join(FIXTURES, 'node-listener.mjs'), '', 1);
    await sup.waitReady(1);
    await request(port, '/a?x=1');
    await request(port, '/b');
    await sup.waitFor(/\[pid: \d+\|app: 0\|req: 2\/2\] 127\.0\.0\.1 \(\) \{\d+ vars in \d+ bytes\} \[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] GET \/b => generated \d+ bytes in \d+ msecs \(HTTP\/1\.1 200\) \d+ headers in \d+ bytes \(1 switches on core 0\)/);
    assert.match(sup.log, /GET \/a\?x=1 => generated/);
    await sup.kill();

    const quiet = await serve(path.join(FIXTURES, 'node-listener.mjs'), 'disable-logging = true\n', 1);
    await quiet.sup.waitReady(1);
    await request(quiet.port, '/quiet');
    await sleep(300);
    assert.doesNotMatch(quiet.sup.log, /GET \/quiet/);
    await quiet.sup.kill();
  });

  test("disable-logging with log-5xx and log-slow logs only the failed and the slow requests, as uWSGI", async () => {
    const { sup, port } = await serve(path.join(FIXTURES, 'node-listener.mjs'), 'disable-logging = true\nlog-5xx = true\nlog-slow = 200\nlog-micros = true\n', 1);
    await sup.waitReady(1);
    assert.equal((await request(port, '/fast')).status, 200);
    assert.equal((await request(port, '/throw')).status, 500);
    assert.equal((await request(port, '/sleep?ms=250')).status, 200);
    await sup.waitFor(/GET \/sleep\?ms=250 => generated \d+ bytes in \d{6,} micros \(HTTP\/1\.1 200\)/);
    assert.match(sup.log, /\[pid: \d+\|app: 0\|req: 2\/2\] .* GET \/throw => generated \d+ bytes in \d+ micros \(HTTP\/1\.1 500\)/);
    assert.doesNotMatch(sup.log, /GET \/fast/);
    await sup.kill();
  });

  test('several sockets at once: tcp and unix with chmod-socket', async () => {
    const dir = tmp();
    const port = await freePort();
    const sock = path.join(dir, 'app.sock');
    const ini = writeIni(
      dir,
      `[tsgi]\napp = ${path.join(FIXTURES, 'commonjs.cjs')}\nhttp-socket = 127.0.0.1:${port}\nhttp-socket = ${sock}\nchmod-socket = 660\nprocesses = 1\nvacuum = true\n`,
    );
    const sup = new Supervise(['--ini', ini]);
      await sup.waitReady(1);
    assert.equal((await request(port, '/')).body, 'cjs 1\n');
    assert.equal((await request(sock, '/')).body, 'cjs 1\n');
    const { statSync, existsSync } = await import('node:fs');
    assert.equal(statSync(sock).mode & 0o777, 0o660);
    sup.signal('SIGINT');
    assert.equal(await sup.waitExit(), 0);
    assert.equal(existsSync(sock), false, 'vacuum removes the unix socket');
  });
});

describe('app load failures', () => {
  test('a module that throws on load: a clear error, then respawns with a growing delay, not a tight loop', async () => {
    const { sup, port } = await serve(path.join(FIXTURES, 'throws-on-load.mjs'), '', 1);
    await sup.waitFor(/this app cannot start: DATABASE_URL is not set/);
    await sup.waitFor(/OOPS ! failed loading app in worker 1/);
    await sleep(5000);
    const attempts = countMatches(sup.log, /OOPS ! failed loading app/g);
    assert.ok(attempts >= 2 && attempts <= 5, `attempts in ~5 s: ${attempts}`);
    assert.match(sup.log, /respawning too fast !!! i have to sleep a bit \(\d+ seconds\)/);
    // connections wait in the backlog instead of being refused while no worker serves
    const pending = request(port, '/', { ms: 1000 }).catch((e: Error) => e);
    const r = await pending;
    assert.ok(r instanceof Error && /timed out/.test(r.message), `expected a queued request, got ${String(r)}`);
    assert.equal(sup.exitCode, undefined, 'the master keeps probing');
    await sup.kill();
  });

  test('a module that exports nothing callable names what it found', async () => {
    const { sup } = await serve(path.join(FIXTURES, 'exports-nothing.mjs'), '', 1);
    await sup.waitFor(/has no default export \(found: answer: a number\)/);
    await sup.kill();
  });

  test('a missing app file is a config error naming file:line, and nothing starts', async () => {
    const dir = tmp();
    const sup = new Supervise(['--ini', writeIni(dir, `[tsgi]\napp = /nonexistent/app.js\nhttp-socket = 127.0.0.1:${await freePort()}\n`)]);
    assert.equal(await sup.waitExit(10000), 2);
    assert.match(sup.log, /app\.ini:2: option "app": \/nonexistent\/app\.js does not exist/);
  });

  test('need-app: the master exits non-zero when the app cannot load', async () => {
    const { sup } = await serve(path.join(FIXTURES, 'throws-on-load.mjs'), 'need-app = true\n', 1);
    assert.equal(await sup.waitExit(10000), 22);
  });
});

describe('the example', () => {
  test('examples/hello serves through the README command (with the address overridden on the command line)', async () => {
    const port = await freePort();
    const statsPort = await freePort();
    const sup = new Supervise([
      '--ini',
      path.join(ROOT, 'examples/hello/app.ini'),
      '--http-socket',
      `127.0.0.1:${port}`,
      '--stats',
      `127.0.0.1:${statsPort}`,
    ]);
      await sup.waitReady(2);
    const r = await request(port, '/');
    assert.equal(r.status, 200);
    assert.match(r.body, /^hello from worker [12] \(pid \d+\)\n$/);
    sup.signal('SIGTERM'); // the example sets die-on-term
    assert.equal(await sup.waitExit(), 0);
  });
});

describe('the uwsgi protocol (socket =)', () => {
  test('a raw uwsgi request is served and counted; protocol = http makes socket speak HTTP', async () => {
    const net = await import('node:net');
    const { encodeUwsgiPacket } = await import('@tsgi/supervisor/uwsgi');
    const port = await freePort();
    const statsPort = await freePort();
    const { sup } = await startApp({ processes: 1, stats: false, logging: true, ini: `socket = 127.0.0.1:${port}\nstats = 127.0.0.1:${statsPort}\n` });
    const packet = encodeUwsgiPacket({ REQUEST_METHOD: 'GET', REQUEST_URI: '/env', PATH_INFO: '/env', QUERY_STRING: '', SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '10.9.8.7', HTTP_HOST: 'x' });
    const reply = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(packet));
      let d = '';
      s.on('data', (c) => (d += c));
      s.on('end', () => resolve(d));
      s.on('error', reject);
      s.setTimeout(5000, () => s.destroy(new Error('timeout')));
    });
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(reply, /"id":"1"/);
    await sup.waitFor(/\] 10\.9\.8\.7 \(\) \{\d+ vars in \d+ bytes\} .* GET \/env => generated/);
    const { readStats } = await import('@tsgi/stats-protocol');
    const doc = await readStats(`127.0.0.1:${statsPort}`);
    assert.deepEqual(doc.sockets.map((s) => s.proto).sort(), ['http', 'uwsgi']);
    await sup.kill();

    const plain = await freePort();
    const http = await startApp({ processes: 1, app: 'commonjs.cjs', ini: `socket = 127.0.0.1:${plain}\nprotocol = http\n` });
    assert.equal((await request(plain, '/')).body, 'cjs 1\n');
    await http.sup.kill();
  });
});
