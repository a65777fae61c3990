/**
 * Logs for production: rotation and reopen without a worker restart and without a lost or
 * doubled line, under load (log-maxsize, logrotate with fifo `l` or touch-logreopen,
 * log-reopen); request lines in logformat and JSON with exactly the documented fields;
 * logdate and log-prefix on the app's own lines; logger / req-logger splitting the lines.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readdirSync, renameSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { readStats } from '@tsgi/stats-protocol';
import { FIXTURES, Supervise, freePort, load, request, sleep, tmp, writeIni, type LoadResult } from './harness.js';

const APP = path.join(FIXTURES, 'logging-app.mjs');
const read = (f: string): string => (existsSync(f) ? readFileSync(f, 'utf8') : '');

/** Every file of `dir` whose name starts with `base` (the log and its rotated copies), concatenated. */
function allLogs(dir: string, base: string): { files: string[]; text: string } {
  const files = readdirSync(dir).filter((f) => f.startsWith(base)).sort();
  return { files, text: files.map((f) => read(path.join(dir, f))).join('') };
}

/** The default request lines of a text, as `pid/request` pairs (unique per request). */
const requestIds = (text: string): string[] => [...text.matchAll(/^\[pid: (\d+)\|app: 0\|req: (\d+)\/\d+\] /gm)].map((m) => `${m[1]}/${m[2]}`);

/** Polls `check` every 100 ms for at most `ms`; returns its last value. */
async function until<T>(check: () => T, ok: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let v = check();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(100);
    v = check();
  }
  return v;
}

/** Starts supervise on the logging app with `lines` and waits until `file` shows `processes` ready workers. */
async function startLogged(dir: string, lines: string[], file: string, processes = 2): Promise<{ sup: Supervise; port: number; stats: string }> {
  const port = await freePort();
  const statsPort = await freePort();
  const ini = writeIni(dir, ['[tsgi]', `app = ${APP}`, `http-socket = 127.0.0.1:${port}`, `processes = ${processes}`, `stats = 127.0.0.1:${statsPort}`, 'die-on-term = true', ...lines, ''].join('\n'));
  const sup = new Supervise(['--ini', ini]);
  const text = await until(() => read(file), (t) => (t.match(/ready in \d+ ms on worker/g) ?? []).length >= processes, 20000);
  assert.equal((text.match(/ready in \d+ ms on worker/g) ?? []).length, processes, `workers ready; log:\n${text}\nstderr:\n${sup.log}`);
  return { sup, port, stats: `127.0.0.1:${statsPort}` };
}

/**
 * The requests the workers served: what the load counted (every request answered 200,
 * none failed), checked against the stats once the workers' last reports are in (they
 * are exact at rest, at most a second late).
 */
async function served(stats: string, r: LoadResult): Promise<number> {
  assert.equal(r.failed, 0, JSON.stringify([...r.errors]));
  const deadline = Date.now() + 5000;
  let counted = -1;
  while (counted !== r.ok && Date.now() < deadline) {
    if (counted !== -1) await sleep(200);
    const doc = await readStats(stats);
    counted = doc.workers.reduce((n, w) => n + w.requests, 0);
  }
  assert.equal(counted, r.ok, 'the stats count what the load counted');
  return r.ok;
}

/** Stops supervise gracefully (SIGTERM with die-on-term) and waits for it. */
async function stop(sup: Supervise): Promise<void> {
  sup.signal('SIGTERM');
  assert.equal(await sup.waitExit(20000), 0);
}

function sendFifo(fifo: string, letter: string): void {
  const fd = openSync(fifo, 'w');
  writeSync(fd, letter);
  closeSync(fd);
}

describe('rotation and reopen under load: no line lost, none doubled, no worker restarted', () => {
  test('log-maxsize: the log rotates again and again; the request lines of all files are the requests served', async () => {
    const dir = tmp();
    const file = path.join(dir, 'app.log');
    const { sup, port, stats } = await startLogged(dir, [`logto = ${file}`, 'log-maxsize = 20000'], file);
    const spawnedBefore = (read(file).match(/spawned tsgi worker/g) ?? []).length;
    const gen = load(port, { connections: 8, keepAlive: true, maxMs: 20000 });
    await sleep(3000);
    const total = await served(stats, await gen.stop());
    assert.ok(total > 300, `the load served ${total} requests`);
    // the last batches reach the files within a flush interval and a read
    const logs = await until(() => allLogs(dir, 'app.log'), (l) => requestIds(l.text).length >= total, 5000);
    const ids = requestIds(logs.text);
    assert.equal(ids.length, total, 'one line per request served');
    assert.equal(new Set(ids).size, ids.length, 'no line written twice');
    assert.ok(logs.files.length >= 4, `rotated repeatedly: ${logs.files.join(' ')}`);
    assert.ok(logs.files.every((f) => f === 'app.log' || /^app\.log\.\d+(\.\d+)?$/.test(f)), `uWSGI's rotated names: ${logs.files.join(' ')}`);
    assert.match(logs.text, /logsize: \d+, triggering rotation to .*app\.log\.\d+/);
    assert.equal((logs.text.match(/spawned tsgi worker|Respawned tsgi worker/g) ?? []).length, spawnedBefore, 'no worker restarted for it');
    for (const line of logs.text.split('\n')) if (line.startsWith('[pid: ')) assert.match(line, /\(1 switches on core \d+\)$/, 'no line cut');
    await stop(sup);
  });

  test('log-maxsize under wrk -c32: the request lines of all the rotated files are the requests the workers counted', async (t) => {
    const wrk = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((f) => existsSync(f));
    if (!wrk) return t.skip('wrk is not installed (Debian package wrk; .ci/run installs it)');
    const dir = tmp();
    const file = path.join(dir, 'app.log');
    const { sup, port, stats } = await startLogged(dir, [`logto = ${file}`, 'log-maxsize = 50000'], file);
    const run = spawnSync(wrk, ['-t1', '-c32', '-d3s', `http://127.0.0.1:${port}/`], { encoding: 'utf8', timeout: 30000 });
    assert.equal(run.status, 0, `wrk: ${run.stderr}`);
    const sent = Number(/(\d+) requests in /.exec(run.stdout)?.[1]);
    assert.ok(sent > 300, `wrk completed ${sent} requests:\n${run.stdout}`);
    assert.doesNotMatch(run.stdout, /Non-2xx|Socket errors/, 'every request answered 200');
    // the workers' counts (their reports are at most a second late) against the lines (flushed within 50 ms);
    // wrk leaves out the responses in flight when it stopped
    let total = -1;
    let logs = allLogs(dir, 'app.log');
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(200)) {
      total = (await readStats(stats)).workers.reduce((n, w) => n + w.requests, 0);
      logs = allLogs(dir, 'app.log');
      if (total >= sent && requestIds(logs.text).length === total) break;
    }
    assert.ok(total >= sent && total <= sent + 32, `the workers served ${total}, wrk completed ${sent}`);
    const ids = requestIds(logs.text);
    assert.equal(ids.length, total, `one line per request served (files: ${logs.files.join(' ')})`);
    assert.equal(new Set(ids).size, ids.length, 'no line written twice');
    assert.ok(logs.files.length >= 4, `rotated repeatedly: ${logs.files.join(' ')}`);
    await stop(sup);
  });

  for (const how of ['fifo l', 'touch-logreopen'] as const) {
    test(`logrotate without copytruncate, postrotate ${how}: every request line is in one of the files, once`, async (t) => {
      const logrotate = ['/usr/sbin/logrotate', '/sbin/logrotate', '/usr/bin/logrotate'].find((f) => {
        try {
          accessSync(f, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      });
      if (!logrotate) return t.skip('logrotate is not installed (Debian package logrotate; .ci/run installs it)');
      const dir = tmp();
      const file = path.join(dir, 'app.log');
      const fifo = path.join(dir, 'master.fifo');
      const touch = path.join(dir, 'reopen.touch');
      writeFileSync(touch, '');
      utimesSync(touch, 1000, 1000);
      const postrotate = how === 'fifo l' ? `echo l > ${fifo}` : `touch ${touch}`;
      const conf = path.join(dir, 'logrotate.conf');
      writeFileSync(conf, `${file} {\n  rotate 100\n  nocompress\n  missingok\n  postrotate\n    ${postrotate}\n  endscript\n}\n`);
      const { sup, port, stats } = await startLogged(dir, [`logto = ${file}`, `master-fifo = ${fifo}`, `touch-logreopen = ${touch}`], file);
      const gen = load(port, { connections: 8, keepAlive: true, maxMs: 20000 });
      for (let i = 0; i < 3; i++) {
        await sleep(700);
        const rotated: SpawnSyncReturns<string> = spawnSync(logrotate, ['-f', '-s', path.join(dir, 'state'), conf], { encoding: 'utf8', timeout: 10000 });
        assert.equal(rotated.status, 0, `logrotate: ${rotated.stderr}`);
        // touch-logreopen is looked at once a second; touches within one second count once
        if (how === 'touch-logreopen') await sleep(1100);
      }
      await sleep(700);
      const total = await served(stats, await gen.stop());
      const logs = await until(() => allLogs(dir, 'app.log'), (l) => requestIds(l.text).length >= total, 5000);
      const ids = requestIds(logs.text);
      assert.equal(ids.length, total, `one line per request served (files: ${logs.files.join(' ')})`);
      assert.equal(new Set(ids).size, ids.length, 'no line written twice');
      for (const n of [1, 2, 3]) assert.ok(logs.files.includes(`app.log.${n}`), `logrotate made app.log.${n}: ${logs.files.join(' ')}`);
      assert.ok(requestIds(read(file)).length > 0, 'the newest file gets request lines after the last rotation');
      assert.equal((logs.text.match(/reopened\./g) ?? []).length, 3, 'reopened once per rotation');
      assert.doesNotMatch(logs.text, /Respawned tsgi worker/, 'no worker restarted');
      await stop(sup);
    });
  }

  test('log-reopen: a reload (SIGHUP) opens the log file anew', async () => {
    const dir = tmp();
    const file = path.join(dir, 'app.log');
    const { sup, port } = await startLogged(dir, [`logto = ${file}`, 'log-reopen = true'], file, 1);
    renameSync(file, `${file}.old`);
    sup.signal('SIGHUP');
    await until(() => read(file), (t) => /reload complete/.test(t), 20000);
    await request(port, '/after-reload');
    const text = await until(() => read(file), (t) => /GET \/after-reload/.test(t), 5000);
    assert.match(text, /app\.log reopened\./);
    assert.match(text, /GET \/after-reload/);
    assert.match(read(`${file}.old`), /triggering log-reopen/);
    await stop(sup);
  });
});

/** A raw HTTP/1.1 exchange (the bytes as given), for a header with non-ASCII bytes. */
function rawRequest(port: number, head: string, body = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(body)])));
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString('latin1')));
    sock.on('end', () => resolve(got));
    sock.on('error', reject);
    sock.setTimeout(5000, () => sock.destroy(new Error('no answer within 5 s')));
  });
}

/** A GET with a non-ASCII target (percent-encoded, as clients send it) and a UTF-8 Referer, a POST with a body, a 500. */
async function exchanges(port: number): Promise<void> {
  const get = await rawRequest(port, 'GET /caf%C3%A9?q=%C3%BC HTTP/1.1\r\nHost: logs.test\r\nUser-Agent: probe/1.0\r\nReferer: https://r.test/d\u00e9j\u00e0\r\nConnection: close\r\n\r\n');
  assert.match(get, /^HTTP\/1\.1 200 /);
  const post = await request(port, '/post', { method: 'POST', body: 'x'.repeat(1234), headers: { 'user-agent': 'probe/1.0' } });
  assert.equal(post.body, 'got 1234 bytes\n');
  const fail = await request(port, '/fail', { headers: { 'user-agent': 'probe/1.0' } });
  assert.equal(fail.status, 500);
}

describe('request lines: logformat and log-json with exactly the documented fields', () => {
  test('logformat: each variable as documented, "-" for an empty one, text as written', async () => {
    const dir = tmp();
    const file = path.join(dir, 'app.log');
    const format = '%(method)|%(uri)|%(proto)|%(status)|%(rsize)|%(cl)|%(addr)|%(user)|%(host)|%(uagent)|%(referer)|%(wid)|%(pid)|%(ltime)|%(msecs) ms|%(var.PATH_INFO)';
    const { sup, port } = await startLogged(dir, [`logto = ${file}`, `logformat = ${format}`], file, 1);
    await exchanges(port);
    const lines = (await until(() => read(file), (t) => /^GET\|\/fail/m.test(t), 5000)).split('\n').filter((l) => /^(GET|POST)\|/.test(l));
    assert.equal(lines.length, 3, lines.join('\n'));
    const pid = /spawned tsgi worker 1 \(pid: (\d+)/.exec(read(file))![1]!;
    const fields = lines.map((l) => l.split('|'));
    const [get, post, fail] = fields as [string[], string[], string[]];
    const ltime = /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$/;
    assert.deepEqual(get.slice(0, 13), ['GET', '/caf%C3%A9?q=%C3%BC', 'HTTP/1.1', '200', String('hello from worker 1\n'.length), '0', '127.0.0.1', '-', 'logs.test', 'probe/1.0', 'https://r.test/déjà', '1', pid]);
    assert.match(get[13]!, ltime);
    assert.match(get[14]!, /^\d+ ms$/);
    assert.equal(get[15], '/caf%C3%A9');
    assert.deepEqual(post.slice(0, 13), ['POST', '/post', 'HTTP/1.1', '200', String('got 1234 bytes\n'.length), '1234', '127.0.0.1', '-', `127.0.0.1:${port}`, 'probe/1.0', '-', '1', pid]);
    assert.deepEqual(fail.slice(0, 13), ['GET', '/fail', 'HTTP/1.1', '500', String('failed\n'.length), '0', '127.0.0.1', '-', `127.0.0.1:${port}`, 'probe/1.0', '-', '1', pid]);
    assert.equal(fields.every((f) => f.length === 16), true);
    await stop(sup);
  });

  test('log-json = true: one JSON object per line with the documented keys, numbers as numbers, null when empty', async () => {
    const dir = tmp();
    const file = path.join(dir, 'app.log');
    const requests = path.join(dir, 'requests.json');
    const { sup, port } = await startLogged(dir, [`logto = ${file}`, 'log-json = true', `req-logger = file:${requests}`], file, 1);
    await exchanges(port);
    const text = await until(() => read(requests), (t) => t.split('\n').length > 3, 5000);
    const objects = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(objects.length, 3, text);
    const pid = Number(/spawned tsgi worker 1 \(pid: (\d+)/.exec(read(file))![1]);
    const keys = ['isotime', 'addr', 'method', 'uri', 'proto', 'status', 'size', 'msecs', 'referer', 'uagent', 'host', 'pid', 'wid'];
    for (const o of objects) {
      assert.deepEqual(Object.keys(o), keys);
      assert.match(o['isotime'] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(Math.abs(Date.parse(o['isotime'] as string) - Date.now()) < 60000);
      assert.equal(typeof o['size'], 'number');
      assert.equal(typeof o['msecs'], 'number');
      assert.equal(o['pid'], pid);
      assert.equal(o['wid'], 1);
      assert.equal(o['addr'], '127.0.0.1');
      assert.equal(o['proto'], 'HTTP/1.1');
      assert.equal(o['uagent'], 'probe/1.0');
    }
    const [get, post, fail] = objects as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    assert.deepEqual([get['method'], get['uri'], get['status'], get['referer'], get['host']], ['GET', '/caf%C3%A9?q=%C3%BC', 200, 'https://r.test/déjà', 'logs.test']);
    assert.deepEqual([post['method'], post['uri'], post['status'], post['referer']], ['POST', '/post', 200, null]);
    assert.deepEqual([fail['method'], fail['uri'], fail['status']], ['GET', '/fail', 500]);
    assert.doesNotMatch(read(file), /"method"/, 'request lines only in the req-logger file');
    await stop(sup);
  });
});

describe("the app's own lines and the master's: date, worker id, where they go", () => {
  test('logdate and log-prefix: console.log and console.error lines carry the time and the worker id and pid', async () => {
    const dir = tmp();
    const file = path.join(dir, 'app.log');
    const { sup, port } = await startLogged(dir, [`logto = ${file}`, 'logdate = %%Y-%%m-%%d %%H:%%M:%%S', 'log-prefix = [worker %(wid) pid %(pid)]', 'disable-logging = true'], file);
    for (let i = 0; i < 6; i++) await request(port, `/say/${i}`);
    await request(port, '/fail');
    const text = await until(() => read(file), (t) => /failing \/fail/.test(t) && /app says \/say\/5/.test(t), 5000);
    const pids = new Map([...text.matchAll(/spawned tsgi worker (\d) \(pid: (\d+)/g)].map((m) => [m[1]!, m[2]!]));
    const date = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d';
    const says = text.split('\n').filter((l) => /app says|failing/.test(l));
    assert.equal(says.length, 7);
    for (const line of says) {
      const m = new RegExp(`^${date} - \\[worker (\\d) pid (\\d+)\\] (app says /say/\\d|failing /fail)$`).exec(line);
      assert.ok(m, line);
      assert.equal(pids.get(m[1]!), m[2], `${line}: the pid of worker ${m[1]}`);
    }
    for (const line of text.split('\n').filter(Boolean)) assert.match(line, new RegExp(`^${date} - \\[worker \\d pid \\d+\\] `), 'every line is dated');
    assert.match(text, new RegExp(`^${date} - \\[worker 0 pid ${sup.pid}\\] spawned tsgi worker 1`, 'm'), "the master's lines: worker 0, its pid");
    await stop(sup);
  });

  test("logdate alone: uWSGI's ctime date on the master's and the app's lines, none on request lines", async () => {
    const dir = tmp();
    const file = path.join(dir, 'app.log');
    const { sup, port } = await startLogged(dir, [`logto = ${file}`, 'logdate'], file, 1);
    await request(port, '/say/hi');
    const text = await until(() => read(file), (t) => /GET \/say\/hi/.test(t), 5000);
    const ctime = '[A-Z][a-z]{2} [A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\d{4}';
    assert.match(text, new RegExp(`^${ctime} - app says /say/hi$`, 'm'));
    assert.match(text, new RegExp(`^${ctime} - spawned tsgi worker 1`, 'm'));
    assert.match(text, /^\[pid: \d+\|app: 0\|req: \d+\/\d+\] .* GET \/say\/hi => /m);
    assert.doesNotMatch(text, new RegExp(`${ctime} - ${ctime} - `), 'one date per line, verbose lines included');
    await stop(sup);
  });

  test('logger and req-logger: request lines in one file, the master and the app in another, nothing on stderr', async () => {
    const dir = tmp();
    const server = path.join(dir, 'server.log');
    const requests = path.join(dir, 'requests.log');
    const { sup, port } = await startLogged(dir, [`logger = file:${server}`, `req-logger = file:${requests}`], server, 1);
    await request(port, '/say/split');
    await until(() => read(requests), (t) => /GET \/say\/split/.test(t), 5000);
    await stop(sup);
    const serverText = read(server);
    const requestText = read(requests);
    assert.match(serverText, /spawned tsgi worker 1/);
    assert.match(serverText, /app says \/say\/split/);
    assert.doesNotMatch(serverText, /GET \/say\/split => /);
    assert.deepEqual(
      requestText.split('\n').filter(Boolean).map((l) => / (GET \S+) => /.exec(l)?.[1]),
      ['GET /say/split'],
      'the request lines alone',
    );
    assert.doesNotMatch(sup.log, /spawned tsgi worker|app says/, 'nothing on stderr');
  });
});
