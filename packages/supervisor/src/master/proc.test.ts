import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListenRows, readMemory } from './proc.js';

test('LISTEN rows give the accept queue by inode; other states are skipped', () => {
  const text = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:8949 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 6181 2 0000 100 0 0 10 0',
    '   1: 0100007F:8949 0100007F:D2C4 01 00000000:00000000 00:00000000 00000000     0        0 6199 1 0000 20 4 30 10 -1',
  ].join('\n');
  assert.deepEqual([...parseListenRows(text)], [[6181, 3]]);
});

test('readMemory reads this process and reports a gone one as undefined', () => {
  const m = readMemory(process.pid)!;
  assert.ok(m.rss > 1024 * 1024 && m.vsz > m.rss);
  assert.equal(readMemory(2 ** 22 + 12345), undefined);
});
