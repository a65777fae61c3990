/**
 * Least privilege as root (docs/security.md, "the app user against root"): what the
 * master and its workers hold after `uid`/`gid`. Every test here needs root and is
 * skipped with a message otherwise.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { killAll, startApp } from './harness.js';
import { dropTestsSkip } from './harness.js';

after(killAll);

const ROOT_ONLY = dropTestsSkip('drops privileges to nobody/nogroup');

/** The ids of `/proc/<pid>/status`: real uid/gid, effective, and the supplementary groups. */
function procIds(pid: number): { uid: string[]; gid: string[]; groups: string[] } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): string[] => (status.match(new RegExp(`^${name}:[ \\t]*(.*)$`, 'm'))?.[1] ?? '').trim().split(/\s+/).filter(Boolean);
  return { uid: field('Uid'), gid: field('Gid'), groups: field('Groups') };
}

function idOf(db: 'passwd' | 'group', name: string): string {
  return spawnSync('getent', [db, name], { encoding: 'utf8' }).stdout.split(':')[2]!;
}

describe('privilege drop', { skip: ROOT_ONLY }, () => {
  const nobody = idOf('passwd', 'nobody');
  const nogroup = idOf('group', 'nogroup');
  const nobodyGroups = spawnSync('id', ['-G', 'nobody'], { encoding: 'utf8' }).stdout.trim().split(/\s+/);

  test('uid = nobody, gid = nogroup: master and worker hold only those ids, no root group', async () => {
    // a root shell in a container often holds root, adm, disk … : supervise inherits these from its parent
    process.setgroups!([0, 4, 42]);
    const { sup } = await startApp({ processes: 1, ini: 'uid = nobody\ngid = nogroup\n' });
    for (const pid of [sup.pid, ...sup.workerPids().values()]) {
      const ids = procIds(pid);
      assert.deepEqual(ids.uid, [nobody, nobody, nobody, nobody], `Uid of ${pid}`);
      assert.deepEqual(ids.gid, [nogroup, nogroup, nogroup, nogroup], `Gid of ${pid}`);
      assert.ok(ids.groups.length > 0, `Groups of ${pid} is set`);
      for (const g of ids.groups) assert.ok(g === nogroup || nobodyGroups.includes(g), `group ${g} of ${pid} is not nobody's (Groups: ${ids.groups.join(' ')})`);
    }
    assert.match(sup.log, /initgroups\(nobody, \d+\)/);
    await sup.kill();
  });

  test("uid = nobody alone: the gid is nobody's primary group, never root's 0", async () => {
    const primary = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim();
    const { sup } = await startApp({ processes: 1, ini: 'uid = nobody\n' });
    for (const pid of [sup.pid, ...sup.workerPids().values()]) {
      const ids = procIds(pid);
      assert.deepEqual(ids.gid, [primary, primary, primary, primary], `Gid of ${pid}`);
      assert.ok(!ids.groups.includes('0'), `Groups of ${pid}: ${ids.groups.join(' ')}`);
    }
    await sup.kill();
  });
});
