import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestLogRules } from '../protocol.js';
import { mkdtempSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RequestLog, RequestLogFiles, logsAnything, pipePieces } from './request-log.js';

const ALL: RequestLogRules = { all: true, status4xx: false, status5xx: false, slowMs: 0, bigBytes: 0, zero: false, micros: false, xForwardedFor: false };
const NONE: RequestLogRules = { ...ALL, all: false };

/** the fields of a request and its response that the log line reads */
function exchange(url: string, status = 200, headers: Record<string, string> = {}): [IncomingMessage, ServerResponse] {
  const req = {
    method: 'GET',
    url,
    httpVersion: '1.1',
    rawHeaders: ['Host', '127.0.0.1:8080', ...Object.entries(headers).flat()],
    headers,
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  const head = `HTTP/1.1 ${status} OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n`;
  const res = { statusCode: status, _header: head } as unknown as ServerResponse;
  return [req, res];
}

function collect(rules = ALL, wid = 1): { log: RequestLog; writes: Buffer[]; text: () => string } {
  const writes: Buffer[] = [];
  // the batch buffer is reused: a writer copies what it keeps
  const log = new RequestLog(4242, rules, (b) => writes.push(Buffer.from(b)), wid);
  return { log, writes, text: () => (log.flush(), Buffer.concat(writes).toString('latin1')) };
}

/** collect() for a logformat or log-json: RequestLog.open compiles its line. */
async function collectOpened(rules: RequestLogRules, wid = 1): Promise<{ log: RequestLog; writes: Buffer[]; text: () => string }> {
  const writes: Buffer[] = [];
  const log = await RequestLog.open(4242, rules, (b) => writes.push(Buffer.from(b)), wid);
  return { log, writes, text: () => (log.flush(), Buffer.concat(writes).toString('latin1')) };
}

test("one line per request in uWSGI's format, written in one batch", (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { log, writes } = collect();
  for (let i = 1; i <= 3; i++) {
    const [req, res] = exchange(`/item/${i}`);
    log.add(req, res, i, 10 + i, 66, 1.7, 0);
  }
  assert.equal(writes.length, 0, 'nothing is written per request');
  t.mock.timers.tick(50);
  assert.equal(writes.length, 1, 'the batch goes out in one write after 50 ms');
  const lines = writes[0]!.toString('utf8').split('\n');
  assert.equal(lines.length, 4, 'three lines and the final newline');
  assert.match(
    lines[2]!,
    /^\[pid: 4242\|app: 0\|req: 3\/13\] 127\.0\.0\.1 \(\) \{1 vars in 18 bytes\} \[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] GET \/item\/3 => generated 2 bytes in 1 msecs \(HTTP\/1\.1 200\) 2 headers in 64 bytes \(1 switches on core 0\)$/,
  );
  log.flush();
  assert.equal(writes.length, 1, 'an empty flush writes nothing');
  const [req, res] = exchange('/later');
  log.add(req, res, 4, 14, 66, 1, 0);
  t.mock.timers.tick(49);
  assert.equal(writes.length, 1);
  t.mock.timers.tick(1);
  assert.equal(writes.length, 2, 'the timer is armed again by the next line');
  assert.match(writes[1]!.toString('latin1'), /GET \/later => /);
});

test('the URL is logged with the bytes the client sent', () => {
  const { log, writes } = collect();
  // the HTTP parser decodes the request target as latin1: UTF-8 "café" arrives as "cafÃ©"
  const [req, res] = exchange(Buffer.from('/café', 'utf8').toString('latin1'));
  log.add(req, res, 1, 1, 66, 0, 0);
  log.flush();
  assert.match(writes[0]!.toString('utf8'), / GET \/café => /);
});

test('a batch is written once the next line would pass 64 KiB; a huge line goes out alone; nothing is lost or cut', () => {
  const { log, writes } = collect();
  const [req, res] = exchange('/' + 'a'.repeat(1000));
  for (let i = 0; i < 100; i++) log.add(req, res, i, i, 66, 0, 0);
  assert.equal(writes.length, 1, '100 lines of ~1.2 KB fill 64 KiB once');
  assert.ok(writes[0]!.length <= 64 * 1024 && writes[0]!.length > 60 * 1024, `a full batch (${writes[0]!.length} bytes)`);
  const [bigReq, bigRes] = exchange('/' + 'b'.repeat(100_000));
  log.add(bigReq, bigRes, 101, 101, 66, 0, 0);
  assert.equal(writes.length, 3, 'the pending lines, then the huge one alone');
  assert.match(writes[2]!.toString('latin1'), /^\[pid: 4242\|app: 0\|req: 101\/101\] .* GET \/b{100000} => .*\n$/);
  log.flush();
  assert.equal(writes.length, 3, 'nothing was left');
  for (const w of writes) assert.equal(w.at(-1), 0x0a, 'every write ends a line');
  const all = Buffer.concat(writes).toString('latin1').split('\n').filter(Boolean);
  assert.equal(all.length, 101, 'no line lost or cut');
  assert.ok(all.every((l) => l.startsWith('[pid: 4242|app: 0|req: ') && l.endsWith('(1 switches on core 0)')));
});

test('a logformat or log-json without its compiled line is refused, not logged as the default line', () => {
  assert.throws(() => collect({ ...ALL, json: ['uri'] }), /RequestLog\.open/);
  assert.throws(() => collect({ ...ALL, format: [{ name: 'uri' }] }), /RequestLog\.open/);
});

test('logformat and log-json take the place of the default line', async () => {
  const fmt = await collectOpened({ ...ALL, format: [{ name: 'method' }, { text: ' ' }, { name: 'uri' }, { text: ' ' }, { name: 'status' }, { text: ' wid=' }, { name: 'wid' }, { text: ' ' }, { name: 'referer' }] }, 3);
  const [req, res] = exchange('/x?y=1', 404);
  fmt.log.add(req, res, 1, 1, 66, 1.5, 0);
  assert.equal(fmt.text(), 'GET /x?y=1 404 wid=3 -\n');
  const json = await collectOpened({ ...ALL, json: ['uri', 'status', 'size', 'rsize', 'pid', 'wid', 'referer'] }, 3);
  json.log.add(req, res, 1, 1, 66, 1.5, 0);
  assert.deepEqual(JSON.parse(json.text()), { uri: '/x?y=1', status: 404, size: 66, rsize: 2, pid: 4242, wid: 3, referer: null });
  // a line longer than a batch goes out alone, whole
  const big = await collectOpened({ ...ALL, json: ['uri', 'status'] });
  const [small, smallRes] = exchange('/small');
  big.log.add(small, smallRes, 1, 1, 66, 1, 0);
  const [huge, hugeRes] = exchange('/' + 'h'.repeat(70_000));
  big.log.add(huge, hugeRes, 2, 2, 66, 1, 0);
  assert.equal(big.writes.length, 2, 'the pending line, then the huge one');
  assert.deepEqual(JSON.parse(big.writes[1]!.toString('latin1')), { uri: '/' + 'h'.repeat(70_000), status: 200 });
});

test("disable-logging with uWSGI's conditions: only the 4xx, 5xx, slow, big or empty responses asked for", () => {
  // a 64-byte head (exchange()): tx = 64 + body bytes
  const cases: ReadonlyArray<readonly [string, Partial<RequestLogRules>, number, number, number, boolean]> = [
    ['nothing asked', {}, 500, 66, 5000, false],
    ['log-5xx, a 500', { status5xx: true }, 500, 66, 1, true],
    ['log-5xx, a 404', { status5xx: true }, 404, 66, 1, false],
    ['log-4xx, a 404', { status4xx: true }, 404, 66, 1, true],
    ['log-4xx, a 200', { status4xx: true }, 200, 66, 1, false],
    ['log-slow 100, 100 ms', { slowMs: 100 }, 200, 66, 100, true],
    ['log-slow 100, 99.9 ms', { slowMs: 100 }, 200, 66, 99.9, false],
    ['log-big 1000, 1000 bytes', { bigBytes: 1000 }, 200, 1064, 1, true],
    ['log-big 1000, 999 bytes', { bigBytes: 1000 }, 200, 1063, 1, false],
    ['log-zero, no body', { zero: true }, 204, 64, 1, true],
    ['log-zero, a body', { zero: true }, 200, 65, 1, false],
  ];
  for (const [name, rules, status, tx, ms, logged] of cases) {
    const { log, text } = collect({ ...NONE, ...rules });
    const [req, res] = exchange('/x', status);
    log.add(req, res, 1, 1, tx, ms, 0);
    assert.equal(text().includes(' GET /x => '), logged, name);
  }
  assert.equal(logsAnything(NONE), false, 'no request log at all: the worker creates none');
  assert.equal(logsAnything({ ...NONE, slowMs: 1 }), true);
});

test('log-micros and log-x-forwarded-for', () => {
  const { log, text } = collect({ ...ALL, micros: true, xForwardedFor: true });
  const [req, res] = exchange('/a', 200, { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' });
  log.add(req, res, 1, 1, 66, 2.3456, 0);
  const [direct, directRes] = exchange('/b');
  log.add(direct, directRes, 2, 2, 66, 0.25, 0);
  const [first, second] = text().split('\n');
  assert.match(first!, /\] 203\.0\.113\.7, 10\.0\.0\.1 \(\) \{.* GET \/a => generated 2 bytes in 2345 micros /);
  assert.match(second!, /\] 127\.0\.0\.1 \(\) \{.* GET \/b => generated 2 bytes in 250 micros /, 'no header: the peer address');
});

test('request-log files: written by the worker, opened again by path when the master moved them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsgi-reqlog-'));
  const file = path.join(dir, 'req.log');
  const fd = openSync(file, 'a');
  const warnings: string[] = [];
  const files = new RequestLogFiles([{ fd, path: file }], (l) => warnings.push(l));
  files.write(Buffer.from('one\n'));
  renameSync(file, `${file}.1`); // the master's rotation: rename, then a new file at the path
  files.write(Buffer.from('two\n'));
  writeFileSync(file, '');
  files.reopen();
  files.write(Buffer.from('three\n'));
  assert.equal(readFileSync(`${file}.1`, 'utf8'), 'one\ntwo\n');
  assert.equal(readFileSync(file, 'utf8'), 'three\n');
  renameSync(file, `${file}.2`);
  files.reopen();
  files.write(Buffer.from('four\n'));
  assert.match(warnings.join(), /cannot open the request log .*req\.log again: ENOENT; still writing to the previous file/);
  assert.equal(readFileSync(`${file}.2`, 'utf8'), 'three\nfour\n', 'nothing lost when the new file is not there');
  writeFileSync(file, '');
  await new Promise((r) => setTimeout(r, 1100));
  files.write(Buffer.from('five\n'));
  assert.equal(readFileSync(file, 'utf8'), 'five\n', 'tried again a second later');
});

test('to a pipe, a batch goes out in pieces of whole lines of at most PIPE_BUF bytes; a longer line alone', () => {
  const line = (n: number): string => 'x'.repeat(n - 1) + '\n';
  const batch = Buffer.from(line(100).repeat(100) + line(5000) + line(10));
  const pieces = pipePieces(batch);
  assert.equal(pieces.reduce((n, [a, b]) => n + b - a, 0), batch.length, 'every byte, once');
  for (const [a, b] of pieces) {
    assert.equal(batch[b - 1], 0x0a, 'each piece ends a line');
    assert.ok(b - a <= 4096 || b - a === 5000, `${b - a} bytes`);
  }
  assert.deepEqual(pieces.map(([a, b]) => b - a), [4000, 4000, 2000, 5000, 10]);
  assert.deepEqual(pipePieces(Buffer.from('no newline at all')), [[0, 17]]);
});

test('the default line written as bytes is the line uwsgiLine spells out, whatever its fields', () => {
  const cases: Array<[string, number, number, number, Partial<RequestLogRules>, Record<string, string>]> = [
    ['/', 1, 1, 0.2, {}, {}],
    ['/a/much/longer/path?with=a&query=string&and=more', 123456, 9876543210, 1234.5, {}, {}],
    [Buffer.from('/caf\u00e9', 'utf8').toString('latin1'), 2 ** 31, 2 ** 31 + 5, 0, { micros: true }, {}],
    ['/x', 5, 6, 7, { xForwardedFor: true }, { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' }],
    ['/' + 'u'.repeat(70_000), 1, 2, 3, {}, {}],
  ];
  for (const [url, a, b, ms, rules, headers] of cases) {
    const { log, text } = collect({ ...ALL, ...rules });
    const [req, res] = exchange(url, 200, headers);
    log.add(req, res, a, b, 1234, ms, 3);
    const spelt = (log as unknown as { uwsgiLine(...args: unknown[]): string }).uwsgiLine(req, res, (res as unknown as { _header: string })._header, 1234 - 64, a, b, ms, 3);
    assert.equal(text(), spelt, url.slice(0, 40));
  }
});
