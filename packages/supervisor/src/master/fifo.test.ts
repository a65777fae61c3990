import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openMasterFifo } from './fifo.js';

test('master-fifo replaces only a fifo: a regular file or a symlink at the path is left alone', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsgi-fifo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'data');
  writeFileSync(file, 'keep me\n');
  assert.throws(() => openMasterFifo(file, () => undefined), { code: 'TSGI_FIFO_FAILED' });
  assert.equal(readFileSync(file, 'utf8'), 'keep me\n');
  const link = path.join(dir, 'link');
  symlinkSync(file, link);
  assert.throws(() => openMasterFifo(link, () => undefined), { code: 'TSGI_FIFO_FAILED', message: /a symlink/ });
  assert.ok(lstatSync(link).isSymbolicLink());

  const fifo = path.join(dir, 'fifo');
  openMasterFifo(fifo, () => undefined).close();
  // a fifo a previous run left (close() removed it: make one again by hand) is replaced
  const again = openMasterFifo(fifo, () => undefined);
  assert.ok(lstatSync(fifo).isFIFO());
  again.close();
});
