import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { listenQueues, parseListenRows, readMemory, socketInode } from './proc.js';

test('LISTEN rows give the accept queue by inode, and the first other row ends the listening part', () => {
  const rows = [
    '   0: 0100007F:8949 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 6181 2 0000 100 0 0 10 0',
    '   1: 0100007F:894A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6182 2 0000 100 0 0 10 0',
    '',
  ].join('\n');
  const all = new Map<number, number>();
  assert.equal(parseListenRows(rows, all), false, 'all rows were LISTEN: read on');
  assert.deepEqual([...all], [[6181, 3], [6182, 0]]);
  const asked = new Map<number, number>();
  const more = '   2: 0100007F:8949 0100007F:D2C4 01 00000000:00000000 00:00000000 00000000     0        0 6199 1 0000 20 4 30 10 -1\n';
  assert.equal(parseListenRows(rows + more, asked, new Set([6181])), true, 'an ESTABLISHED row: the listening part is over');
  assert.deepEqual([...asked], [[6181, 3]]);
});

test('listenQueues finds a real listening socket of this process by its inode', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const inode = socketInode(fd);
    assert.ok(inode > 0);
    const queues = await listenQueues(new Set([inode]));
    assert.equal(queues.get(inode), 0);
    assert.equal((await listenQueues(new Set([2 ** 40]))).size, 0, 'an inode that is not listening is absent');
  } finally {
    server.close();
  }
});

test('readMemory reads this process and reports a gone one as undefined', () => {
  const m = readMemory(process.pid)!;
  assert.ok(m.rss > 1024 * 1024 && m.vsz > m.rss);
  assert.equal(readMemory(2 ** 22 + 12345), undefined);
});
