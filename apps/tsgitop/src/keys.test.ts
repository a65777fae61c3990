import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { actionForKey, KEY_MAP, keyName } from './keys.js';
import { applyAction, INITIAL_UI, type UiState } from './ui-state.js';

const CONTEXT = { servers: 3, pageRows: 10, totalRows: 64 };

function press(state: UiState, ...keys: string[]): UiState {
  return keys.reduce((current, key) => {
    const action = actionForKey(key);
    assert.ok(action, `no action for ${key}`);
    return applyAction(current, action, CONTEXT);
  }, state);
}

describe('key map', () => {
  it("keeps uwsgitop's keys: q and Ctrl-C quit, a cycles the core views, f toggles fast refresh", () => {
    assert.deepEqual(actionForKey('q'), { type: 'quit' });
    assert.deepEqual(actionForKey('C-c'), { type: 'quit' });
    assert.deepEqual([1, 2, 3].map((n) => press(INITIAL_UI, ...Array<string>(n).fill('a')).view), ['cores', 'nested', 'workers']);
    assert.equal(press(INITIAL_UI, 'f').fast, true);
    assert.equal(press(INITIAL_UI, 'f', 'f').fast, false);
  });

  it('s/S and the arrows step through the sort columns, wrapping; r reverses', () => {
    assert.equal(INITIAL_UI.sort, 'REQ');
    assert.equal(press(INITIAL_UI, 's').sort, 'RPS');
    assert.equal(press(INITIAL_UI, 'right', 'right').sort, 'EXC');
    assert.equal(press(INITIAL_UI, 'S').sort, 'PID');
    assert.equal(press(INITIAL_UI, 'left', 'left', 'left', 'left').sort, 'WS');
    assert.equal(press(INITIAL_UI, 'left', 'left', 'left', 'left', 'left').sort, 'ELU');
    assert.equal(press(INITIAL_UI, 'r').reverse, true);
  });

  it('Tab, Shift-Tab and the number keys switch servers; a number past the last is ignored', () => {
    assert.equal(press(INITIAL_UI, 'tab').server, 1);
    assert.equal(press(INITIAL_UI, 'S-tab').server, 2);
    assert.equal(press(INITIAL_UI, 'tab', 'tab', 'tab').server, 0);
    assert.equal(press(INITIAL_UI, '3').server, 2);
    assert.equal(press(INITIAL_UI, '2', '9').server, 1);
  });

  it('h and ? toggle the help, Esc closes it', () => {
    assert.equal(press(INITIAL_UI, 'h').help, true);
    assert.equal(press(INITIAL_UI, '?', '?').help, false);
    assert.equal(press(INITIAL_UI, 'h', 'escape').help, false);
  });

  it('scrolls within the table', () => {
    assert.equal(press(INITIAL_UI, 'down', 'j').scroll, 2);
    assert.equal(press(INITIAL_UI, 'up').scroll, 0);
    assert.equal(press(INITIAL_UI, 'pagedown').scroll, 10);
    assert.equal(press(INITIAL_UI, 'end').scroll, 54);
    assert.equal(press(INITIAL_UI, 'G', 'g').scroll, 0);
    assert.equal(press(INITIAL_UI, 'end', 's').scroll, 0);
  });

  it('c, m and Space', () => {
    assert.equal(press(INITIAL_UI, 'c').charts, false);
    assert.equal(press(INITIAL_UI, 'm').averages, true);
    assert.deepEqual(actionForKey('space'), { type: 'pollNow' });
  });

  it("reads blessed's names for capitals", () => {
    assert.equal(keyName('S-s'), 'S');
    assert.equal(keyName('S-tab'), 'S-tab');
    assert.equal(keyName('C-c'), 'C-c');
    assert.equal(actionForKey('x'), undefined);
  });

  it('binds no key twice', () => {
    const keys = KEY_MAP.flatMap((binding) => binding.keys);
    assert.equal(new Set(keys).size, keys.length);
  });
});
