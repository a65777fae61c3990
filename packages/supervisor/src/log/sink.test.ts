import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileSink } from './sink.js';

const dir = (): string => mkdtempSync(path.join(tmpdir(), 'tsgi-sink-'));
const lineOf = (i: number): string => `request ${String(i).padStart(6, '0')} ${'x'.repeat(80)}\n`;

/** Every request line in the files of `d`, with the notes rotation writes left out. */
function requestLines(d: string): string[] {
  return readdirSync(d).flatMap((f) => readFileSync(path.join(d, f), 'latin1').split('\n').filter((l) => l.startsWith('request ')));
}

test("log-maxsize: the file is renamed to FILE.<unix time> (.1, .2 within a second) and started anew; no line lost, cut or doubled", () => {
  const d = dir();
  const file = path.join(d, 'app.log');
  let now = 1_800_000_000_000;
  const notes: string[] = [];
  const sink = new FileSink(file, { maxsize: 5000, now: () => now, note: (l) => notes.push(l) });
  for (let i = 0; i < 300; i++) {
    // a batch of three lines, as a worker sends them
    sink.write(Buffer.from(lineOf(3 * i) + lineOf(3 * i + 1) + lineOf(3 * i + 2)));
    if (i === 150) now += 1000;
  }
  sink.close();
  const files = readdirSync(d).sort();
  assert.ok(files.length > 10, `it rotated repeatedly (${files.join(' ')})`);
  assert.ok(files.includes('app.log.1800000000') && files.includes('app.log.1800000000.1') && files.includes('app.log.1800000001'), files.join(' '));
  const lines = requestLines(d).sort();
  assert.equal(lines.length, 900);
  assert.deepEqual(lines, Array.from({ length: 900 }, (_, i) => lineOf(i).slice(0, -1)));
  for (const f of files) assert.ok(statSync(path.join(d, f)).size < 5000 + 3 * 100 + 200, `${f} stays near the limit`);
  assert.match(readFileSync(path.join(d, 'app.log.1800000000'), 'utf8'), /- logsize: \d+, triggering rotation to .*app\.log\.1800000000\.\.\.\n$/);
  assert.deepEqual(notes, []);
});

test('log-backupname: one old file, overwritten at each rotation, as in uWSGI', () => {
  const d = dir();
  const file = path.join(d, 'app.log');
  const sink = new FileSink(file, { maxsize: 1000, backupname: path.join(d, 'app.old'), now: Date.now, note: () => undefined });
  for (let i = 0; i < 50; i++) sink.write(Buffer.from(lineOf(i)));
  sink.close();
  assert.deepEqual(readdirSync(d).sort(), ['app.log', 'app.old']);
});

test('reopen: after logrotate renamed the file, the next line goes to a new one at the path', () => {
  const d = dir();
  const file = path.join(d, 'app.log');
  const sink = new FileSink(file, { maxsize: 0, now: () => 1_800_000_000_000, note: () => undefined });
  sink.write(Buffer.from(lineOf(1)));
  renameSync(file, `${file}.1`);
  sink.write(Buffer.from(lineOf(2)));
  sink.reopen();
  sink.write(Buffer.from(lineOf(3)));
  sink.close();
  assert.equal(readFileSync(`${file}.1`, 'latin1'), `${lineOf(1)}${lineOf(2)}[1800000000] logsize: ${2 * lineOf(1).length}, triggering log-reopen...\n`);
  assert.equal(readFileSync(file, 'latin1'), `[1800000000] ${file} reopened.\n${lineOf(3)}`);
});

test('a rotation that cannot rename says so once, keeps every line and tries again a second later', () => {
  const d = dir();
  const file = path.join(d, 'app.log');
  let now = 1_800_000_000_000;
  const notes: string[] = [];
  const sink = new FileSink(file, { maxsize: 500, backupname: path.join(d, 'missing', 'app.old'), now: () => now, note: (l) => notes.push(l) });
  for (let i = 0; i < 20; i++) sink.write(Buffer.from(lineOf(i)));
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /unable to rotate log .*app\.log: rename\(\): ENOENT/);
  now += 1000;
  sink.write(Buffer.from(lineOf(20)));
  assert.equal(notes.length, 2, 'tried again a second later');
  sink.close();
  assert.equal(requestLines(d).length, 21);
});
