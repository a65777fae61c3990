import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultConfig } from '@tsgi/config';
import { renderControlsTable, touchFiles } from './controls.js';
import { TouchWatcher } from './touch.js';

test('touch files: mtime growth, creation and deletion trigger, each with what its option asks', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tsgi-touch-'));
  const reload = path.join(dir, 'reload');
  const chain = path.join(dir, 'chain');
  writeFileSync(reload, '');
  utimesSync(reload, 1000, 1000);
  const watcher = new TouchWatcher<string>([
    [reload, 'touch-reload'],
    [chain, 'touch-chain-reload'],
    [reload, 'touch-workers-reload'],
  ]);
  assert.deepEqual(watcher.missing(), [chain]);
  assert.deepEqual(watcher.check(), []);
  utimesSync(reload, 2000, 2000);
  assert.deepEqual(watcher.check(), [
    { file: reload, asks: 'touch-reload' },
    { file: reload, asks: 'touch-workers-reload' },
  ]);
  writeFileSync(chain, '');
  assert.deepEqual(watcher.check(), [{ file: chain, asks: 'touch-chain-reload' }]);
  utimesSync(reload, 1500, 1500);
  assert.deepEqual(watcher.check(), [], 'an mtime going back is no touch');
  rmSync(chain);
  assert.deepEqual(watcher.check(), [{ file: chain, asks: 'touch-chain-reload' }]);
});

test('touchFiles: every touch option of the config, resolved against the working directory', () => {
  const c = { ...defaultConfig(2), touchReload: ['r'], touchChainReload: ['/abs/c', 'c2'], touchWorkersReload: ['w'] };
  assert.deepEqual(touchFiles(c, '/srv'), [
    ['/srv/r', 'touch-reload'],
    ['/srv/w', 'touch-workers-reload'],
    ['/abs/c', 'touch-chain-reload'],
    ['/srv/c2', 'touch-chain-reload'],
  ]);
  const table = renderControlsTable();
  assert.match(table, /`touch-chain-reload`, fifo `c` \| chain reload/);
  assert.match(table, /fifo `w` \/ `W`/);
  assert.match(table, /`touch-workers-reload`/);
});
