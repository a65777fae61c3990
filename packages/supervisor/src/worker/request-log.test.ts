import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestLog } from './request-log.js';

/** the fields of a request and its response that the log line reads */
function exchange(url: string, status = 200): [IncomingMessage, ServerResponse] {
  const req = {
    method: 'GET',
    url,
    httpVersion: '1.1',
    rawHeaders: ['Host', '127.0.0.1:8080'],
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  const head = `HTTP/1.1 ${status} OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n`;
  const res = { statusCode: status, _header: head } as unknown as ServerResponse;
  return [req, res];
}

function collect(): { log: RequestLog; writes: Buffer[] } {
  const writes: Buffer[] = [];
  return { log: new RequestLog(4242, (b) => writes.push(Buffer.from(b))), writes };
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
});

test('the URL is logged with the bytes the client sent', () => {
  const { log, writes } = collect();
  // the HTTP parser decodes the request target as latin1: UTF-8 "café" arrives as "cafÃ©"
  const [req, res] = exchange(Buffer.from('/café', 'utf8').toString('latin1'));
  log.add(req, res, 1, 1, 66, 0, 0);
  log.flush();
  assert.match(writes[0]!.toString('utf8'), / GET \/café => /);
});

test('a batch is written once it reaches 64 KiB, a huge line included, and nothing is lost or cut', () => {
  const { log, writes } = collect();
  const [req, res] = exchange('/' + 'a'.repeat(1000));
  for (let i = 0; i < 100; i++) log.add(req, res, i, i, 66, 0, 0);
  assert.equal(writes.length, 1, '100 lines of ~1.2 KB reach 64 KiB once');
  const [bigReq, bigRes] = exchange('/' + 'b'.repeat(100_000));
  log.add(bigReq, bigRes, 101, 101, 66, 0, 0);
  assert.equal(writes.length, 2, 'the pending lines and the huge one go out at once');
  assert.match(writes[1]!.toString('latin1'), /GET \/b{100000} => .*\n$/);
  log.flush();
  assert.equal(writes.length, 2, 'nothing was left');
  const all = Buffer.concat(writes).toString('latin1').split('\n').filter(Boolean);
  assert.equal(all.length, 101, 'no line lost or cut');
  assert.ok(all.every((l) => l.startsWith('[pid: 4242|app: 0|req: ') && l.endsWith('(1 switches on core 0)')));
});
