/**
 * Seeded, time-bounded fuzzers against a real `supervise`: mutated, truncated and reset HTTP
 * requests on an http-socket, and uwsgi packets on a socket. Whatever arrives, the worker
 * must not die, log a stack trace, answer 5xx or hang; valid requests in between are served.
 * TSGI_FUZZ_SEED reproduces a run (the seed is in every failure message).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { countMatches, freePort, killAll, request, startApp, type Started } from './harness.js';
import { int, mulberry32, pick, type Rng } from './random.js';
import { encodeUwsgiPacket } from '../../packages/supervisor/dist/worker/uwsgi.js';

after(killAll);

const SEED = Number(process.env['TSGI_FUZZ_SEED'] ?? 0x7591);
/** per fuzzer; the suite's budget is ~15 s each, start-up included */
const RUN_MS = 8000;
const CLIENTS = 6;
/** no single exchange may take this long: nothing may wait for a timeout */
const EXCHANGE_MS = 3000;


const NASTY = ['\r', '\n', '\r\n', '\0', ' ', ':', '\t', '\x7f', '\xff', '%00', '\r\n\r\n', 'Transfer-Encoding: chunked\r\n', '0\r\n\r\n'];

/** A few bytes of `buf` changed, inserted, deleted or cut off. */
function mutate(r: Rng, input: Buffer): Buffer {
  let b = Buffer.from(input);
  const n = 1 + int(r, 4);
  for (let i = 0; i < n; i++) {
    const at = int(r, b.length + 1);
    switch (int(r, 5)) {
      case 0:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = int(r, 256);
        break;
      case 1:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(pick(r, NASTY), 'latin1'), b.subarray(at)]);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + int(r, 8)))]);
        break;
      case 3:
        b = b.subarray(0, at);
        break;
      case 4:
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(r, 16) }, () => int(r, 256))), b.subarray(at)]);
        break;
    }
  }
  return b;
}

interface Outcome {
  status: number | undefined;
  /** the server closed (or reset) the connection */
  closed: boolean;
  timedOut: boolean;
}

/** Sends `bytes` and half-closes (or resets after `resetAfterMs`), then reads until the server closes. */
function exchange(port: number, bytes: Buffer, resetAfterMs: number | undefined): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = '';
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(bytes);
      if (resetAfterMs === undefined) s.end();
      else setTimeout(() => s.resetAndDestroy(), resetAfterMs);
    });
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('error', () => undefined);
    const bound = setTimeout(() => {
      s.destroy();
      resolve({ status: statusOf(data), closed: false, timedOut: true });
    }, EXCHANGE_MS);
    s.on('close', () => {
      clearTimeout(bound);
      resolve({ status: statusOf(data), closed: true, timedOut: false });
    });
  });
}

/** The status of the first response in `data`, if one began. */
function statusOf(data: string): number | undefined {
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(data);
  return m ? Number(m[1]) : undefined;
}

interface FuzzReport {
  cases: number;
  valid: number;
  problems: string[];
}

/**
 * `CLIENTS` loops until RUN_MS: each case is a valid input (must get 200), or a mutated one
 * (any answer but 5xx, or a close), sent whole and half-closed, or reset mid-way.
 */
async function fuzz(port: number, seed: number, valid: (r: Rng) => Buffer): Promise<FuzzReport> {
  const report: FuzzReport = { cases: 0, valid: 0, problems: [] };
  const until = Date.now() + RUN_MS;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const r = mulberry32(seed + client);
      while (Date.now() < until && report.problems.length < 5) {
        const base = valid(r);
        const isValid = int(r, 5) === 0;
        const input = isValid ? base : mutate(r, base);
        const resetAfter = !isValid && int(r, 4) === 0 ? int(r, 20) : undefined;
        const o = await exchange(port, input, resetAfter);
        report.cases++;
        const what = `seed ${seed} client ${client} case ${report.cases}: ${JSON.stringify(input.toString('latin1').slice(0, 200))}`;
        if (o.timedOut) report.problems.push(`no answer nor close within ${EXCHANGE_MS} ms: ${what}`);
        else if (isValid) {
          report.valid++;
          if (o.status !== 200) report.problems.push(`valid input got ${o.status ?? 'no answer'}: ${what}`);
        } else if (o.status !== undefined && o.status >= 500) report.problems.push(`malformed input got ${o.status}: ${what}`);
      }
    }),
  );
  return report;
}

const PATHS = ['/', '/a?b=c', '/x/y/z', '/%20', '/?q=' + 'x'.repeat(50)];

function validHttp(r: Rng): Buffer {
  const body = int(r, 3) === 0 ? 'k=v&x=' + 'y'.repeat(int(r, 40)) : '';
  const method = body ? 'POST' : pick(r, ['GET', 'HEAD', 'DELETE', 'OPTIONS']);
  const headers = [`Host: 127.0.0.1`, `User-Agent: fuzz/${int(r, 100)}`, 'Accept: */*', 'Connection: close'];
  if (body) headers.push('Content-Type: application/x-www-form-urlencoded', `Content-Length: ${body.length}`);
  return Buffer.from(`${method} ${pick(r, PATHS)} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

function validUwsgi(r: Rng): Buffer {
  const body = int(r, 3) === 0 ? 'k=v&x=' + 'y'.repeat(int(r, 40)) : '';
  const uri = pick(r, PATHS);
  const q = uri.indexOf('?');
  const vars: Record<string, string> = {
    REQUEST_METHOD: body ? 'POST' : pick(r, ['GET', 'HEAD', 'DELETE']),
    REQUEST_URI: uri,
    PATH_INFO: q === -1 ? uri : uri.slice(0, q),
    QUERY_STRING: q === -1 ? '' : uri.slice(q + 1),
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: '127.0.0.1',
    HTTP_HOST: '127.0.0.1',
    HTTP_USER_AGENT: `fuzz/${int(r, 100)}`,
  };
  if (body) Object.assign(vars, { CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: String(body.length) });
  return Buffer.concat([encodeUwsgiPacket(vars), Buffer.from(body, 'latin1')]);
}

/** The log must show no worker death and no stack trace; the worker is the one that started. */
async function assertUnharmed(s: Started, pid: number | undefined, port: number, uwsgiPort: number): Promise<void> {
  assert.equal((await request(port, '/')).status, 200);
  assert.equal((await exchange(uwsgiPort, validUwsgi(mulberry32(1)), undefined)).status, 200);
  assert.equal(countMatches(s.sup.log, /DAMN|died|HARAKIRI/g), 0, s.sup.log.slice(-3000));
  assert.doesNotMatch(s.sup.log, /\n\s+at /, 'a stack trace in the log');
  assert.equal(s.sup.workerPids().get(1), pid, 'the worker is the one that started');
}

describe('fuzz', () => {
  test(`HTTP requests, mutated, truncated and reset (seed ${SEED})`, async (t) => {
    const uwsgiPort = await freePort();
    const s = await startApp({ processes: 1, ini: `socket = 127.0.0.1:${uwsgiPort}\n` });
    const pid = s.sup.workerPids().get(1);
    const report = await fuzz(s.port, SEED, validHttp);
    t.diagnostic(`${report.cases} cases, ${report.valid} valid`);
    assert.deepEqual(report.problems, []);
    assert.ok(report.cases > 200 && report.valid > 20, `only ${report.cases} cases, ${report.valid} valid`);
    await assertUnharmed(s, pid, s.port, uwsgiPort);
    await s.sup.kill();
  });

  test(`uwsgi packets, mutated, truncated and reset (seed ${SEED})`, async (t) => {
    const uwsgiPort = await freePort();
    const s = await startApp({ processes: 1, ini: `socket = 127.0.0.1:${uwsgiPort}\n` });
    const pid = s.sup.workerPids().get(1);
    const report = await fuzz(uwsgiPort, SEED + 1000, validUwsgi);
    t.diagnostic(`${report.cases} cases, ${report.valid} valid`);
    assert.deepEqual(report.problems, []);
    assert.ok(report.cases > 200 && report.valid > 20, `only ${report.cases} cases, ${report.valid} valid`);
    await assertUnharmed(s, pid, s.port, uwsgiPort);
    await s.sup.kill();
  });
});
