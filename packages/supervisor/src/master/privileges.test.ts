import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropMismatches, type DropTarget } from './privileges.js';

const target: DropTarget = { uid: 65534, user: 'nobody', gid: 65534, allowedGroups: [65534] };
const held = { uid: 65534, euid: 65534, gid: 65534, egid: 65534, groups: [65534] };

test('dropMismatches: none when every id is the target', () => {
  assert.deepEqual(dropMismatches(target, held), []);
});

test("dropMismatches: a root group left behind, a kept gid or euid are each named", () => {
  assert.deepEqual(dropMismatches(target, { ...held, groups: [65534, 0, 4] }), ['supplementary groups 0 4 are still held']);
  assert.deepEqual(dropMismatches(target, { ...held, gid: 0, egid: 0 }), ['gid is 0, not 65534', 'egid is 0, not 65534']);
  assert.deepEqual(dropMismatches(target, { ...held, euid: 0 }), ['euid is 0, not 65534']);
});

test('dropMismatches: gid alone leaves the uid unchecked', () => {
  assert.deepEqual(dropMismatches({ ...target, uid: undefined, user: undefined }, { ...held, uid: 0, euid: 0 }), []);
});
