#!/usr/bin/env node
// What one request-log line costs a worker: tsgi's RequestLog (lines joined and written
// once per 64 KiB or 50 ms) against the same line written with one write() per request,
// as an unbuffered logger does, both to /dev/null, in the same run. Prints ns per line,
// medians over interleaved rounds, and the ratio. Build first (npx tsc -b).
import fs from 'node:fs';
import { RequestLog } from '../packages/supervisor/dist/worker/request-log.js';
import { median } from './lib/common.mjs';

const ROUNDS = 7;
const LINES = 300_000;
const fd = fs.openSync('/dev/null', 'w');
// what a hello-world exchange through node:http looks like to the log
const req = { method: 'GET', url: '/', httpVersion: '1.1', rawHeaders: ['Host', '127.0.0.1:8080', 'User-Agent', 'wrk'], socket: { remoteAddress: '127.0.0.1' } };
const res = {
  statusCode: 200,
  _header: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: Sun, 22 Nov 2026 08:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 12\r\n\r\n',
};

// every request logged (disable-logging off), in milliseconds, the peer address
const RULES = { all: true, status4xx: false, status5xx: false, slowMs: 0, bigBytes: 0, zero: false, micros: false, xForwardedFor: false };
let written = 0;
const writeOut = (bytes) => (written += fs.writeSync(fd, bytes));
const batched = new RequestLog(4242, RULES, writeOut);
// the same formatting, flushed after every line: one write syscall per request
const perLine = new RequestLog(4242, RULES, writeOut);
const contenders = {
  'RequestLog (batched)': (i) => batched.add(req, res, i, i, 141, 0.4, 0),
  'one write per line': (i) => {
    perLine.add(req, res, i, i, 141, 0.4, 0);
    perLine.flush();
  },
};

const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? Object.entries(contenders) : Object.entries(contenders).reverse();
  for (const [name, add] of order) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < LINES; i++) add(i);
    batched.flush();
    results[name].push(Number(process.hrtime.bigint() - t0) / LINES);
  }
}
// a line is ~180 bytes: a run that wrote much less measured nothing
const expected = ROUNDS * LINES * 2 * 150;
if (written < expected) throw new Error(`only ${written} bytes were written (expected more than ${expected}): the log wrote nothing`);
const base = median(results['one write per line']);
console.log(`request log: ns per line, ${ROUNDS} interleaved rounds of ${LINES.toLocaleString('en')} lines to /dev/null; node ${process.version}`);
for (const [name, xs] of Object.entries(results)) {
  console.log(`  ${name.padEnd(22)} median ${median(xs).toFixed(0).padStart(5)} ns  (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})  ratio ${(median(xs) / base).toFixed(2)}`);
}
process.exit(0);
