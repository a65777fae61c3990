import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineAssembler, MAX_PENDING_LINE } from './lines.js';

function assembler(prefix?: () => string): { lines: LineAssembler; out: string[] } {
  const out: string[] = [];
  return { lines: new LineAssembler((b) => out.push(b.toString()), prefix), out };
}

test('whole lines go out at once; an unfinished one waits for its end', () => {
  const { lines, out } = assembler();
  lines.push(Buffer.from('one\ntwo\nthr'));
  assert.deepEqual(out, ['one\ntwo\n']);
  lines.push(Buffer.from('ee'));
  assert.deepEqual(out, ['one\ntwo\n'], 'still no newline');
  lines.push(Buffer.from('\nfour\n'));
  assert.deepEqual(out, ['one\ntwo\n', 'three\nfour\n']);
  lines.push(Buffer.from('tail without newline'));
  lines.end();
  assert.deepEqual(out.at(-1), 'tail without newline\n', 'the end of the stream ends the line');
  lines.end();
  assert.equal(out.length, 3, 'nothing twice');
});

test('with a prefix, every line gets it, the piece after a long wait included', () => {
  let n = 0;
  const { lines, out } = assembler(() => `[${++n}] `);
  lines.push(Buffer.from('a\nb'));
  lines.push(Buffer.from('c\nd\n'));
  assert.deepEqual(out, ['[1] a\n', '[2] bc\n[2] d\n']);
});

test('a line longer than the limit is written in pieces rather than held', () => {
  const { lines, out } = assembler();
  lines.push(Buffer.alloc(MAX_PENDING_LINE - 1, 'x'));
  assert.equal(out.length, 0);
  lines.push(Buffer.from('yy'));
  assert.equal(out.length, 1);
  assert.equal(out[0]!.length, MAX_PENDING_LINE + 2);
  assert.ok(out[0]!.endsWith('yy\n'));
});
