import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { documentedControls, fifoControl, FIFO_CONTROLS, MASTER_SIGNALS, renderControlsTable, signalControl, type Control } from './controls.js';
import { README, readmeControls } from '../docs-cli.js';

test('SIGTERM is a brutal reload, or a graceful shutdown with die-on-term', () => {
  assert.equal(signalControl('SIGTERM', false), 'brutal-reload');
  assert.equal(signalControl('SIGTERM', true), 'graceful-stop');
  assert.equal(signalControl('SIGHUP', true), 'reload');
  assert.equal(signalControl('SIGPIPE', false), undefined);
});

test('fifo letters are uWSGI’s; an unknown letter or an inherited property name does nothing', () => {
  assert.equal(fifoControl('r'), 'reload');
  assert.equal(fifoControl('Q'), 'stop');
  assert.equal(fifoControl('x'), undefined);
  assert.equal(fifoControl('constructor'), undefined);
});

test('every verb can be asked for and is documented once', () => {
  const reachable = new Set<Control>([...Object.values(FIFO_CONTROLS), ...MASTER_SIGNALS.map((s) => signalControl(s, false)!)]);
  const documented = documentedControls();
  assert.deepEqual([...new Set(documented)].sort(), [...reachable].sort());
  assert.equal(new Set(documented).size, documented.length);
});

test('the README signal table is generated from the controls (regenerate: pnpm docs)', () => {
  const text = readFileSync(README, 'utf8');
  assert.equal(readmeControls(text), renderControlsTable(), 'README.md signal table differs: run `pnpm docs`');
});
