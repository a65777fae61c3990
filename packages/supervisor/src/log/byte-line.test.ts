import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLine } from './byte-line.js';

test('numbers, text and bytes land as String() and latin1 would write them', () => {
  const line = new ByteLine(Buffer.alloc(512));
  const numbers = [0, 7, 10, 99, 100, 65535, 2147483647, 2147483648, 2 ** 40, 9007199254740991, 1.5];
  for (const n of numbers) {
    line.number(n);
    line.bytes(Buffer.from(' '));
  }
  line.text('short');
  line.text(' a longer text than sixteen characters, caf\u00e9 ');
  line.text('\u00ff\u00e9');
  const expected = numbers.map((n) => `${String(n)} `).join('') + 'short a longer text than sixteen characters, caf\u00e9 \u00ff\u00e9';
  assert.equal(line.buffer.toString('latin1', 0, line.at), expected);
  assert.equal(line.at, Buffer.byteLength(expected, 'latin1'));
});
