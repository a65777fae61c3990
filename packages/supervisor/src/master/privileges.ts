import { spawnSync } from 'node:child_process';
import type { Logger } from '../log/logger.js';
import { SupervisorError } from '../errors.js';
import { lookupGroup, lookupUser } from '../os/users.js';
import type { FileOwner } from './pidfile.js';

/** The ids `uid`/`gid` resolve to, and the supplementary groups the drop may leave. */
export interface DropTarget {
  /** undefined: `gid` only, the uid is kept */
  uid: number | undefined;
  /** the user's name, for initgroups(); undefined for a numeric uid without a passwd entry */
  user: string | undefined;
  gid: number;
  /** every group the process may hold afterwards: gid and the user's own groups */
  allowedGroups: number[];
}

/**
 * Resolves `uid`/`gid` as uWSGI does, with one difference that matters under root:
 * `uid` alone means that user's primary group, never the gid 0 the master started with.
 * Undefined when neither is set.
 */
export function resolveDropTarget(uid: string | undefined, gid: string | undefined): DropTarget | undefined {
  if (!uid && !gid) return undefined;
  const numeric = (v: string): boolean => /^\d+$/.test(v);
  const user = uid ? lookupUser(uid) : undefined;
  if (uid && !user && !numeric(uid)) throw new SupervisorError('TSGI_PRIVILEGES', `cannot set uid to ${uid}: no such user`);
  let groupId: number | undefined;
  if (gid) {
    const group = lookupGroup(gid);
    if (!group && !numeric(gid)) throw new SupervisorError('TSGI_PRIVILEGES', `cannot set gid to ${gid}: no such group`);
    groupId = group?.id ?? Number(gid);
  } else {
    groupId = user?.gid;
    if (groupId === undefined) {
      throw new SupervisorError('TSGI_PRIVILEGES', `uid ${uid} has no passwd entry, so it has no primary group: set gid too`);
    }
  }
  const uidNumber = user?.id ?? (uid ? Number(uid) : undefined);
  const allowed = new Set([groupId, ...(user ? userGroups(user.name) : [])]);
  return { uid: uidNumber, user: user?.name, gid: groupId, allowedGroups: [...allowed] };
}

/** The groups `id -G` lists for a user (getgrouplist), which is what initgroups() may grant. */
function userGroups(name: string): number[] {
  const r = spawnSync('id', ['-G', name], { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) return [];
  return r.stdout.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** process.initgroups exists on POSIX (Node's types leave it out). */
function initgroups(user: string, gid: number): void {
  (process as unknown as { initgroups(user: string, extra: number): void }).initgroups(user, gid);
}

/** What the process holds, as the kernel reports it. */
export interface HeldIds {
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  groups: number[];
}

/** The ids this process holds now. */
export function heldIds(): HeldIds {
  return { uid: process.getuid!(), euid: process.geteuid!(), gid: process.getgid!(), egid: process.getegid!(), groups: process.getgroups!() };
}

/**
 * Every way the held ids differ from the target, in words; empty when the drop
 * took. A supplementary group outside the user's own (root's 0, `disk`, `adm` …)
 * is a mismatch: it is what a compromised app would use against root's files.
 */
export function dropMismatches(t: DropTarget, held: HeldIds): string[] {
  const out: string[] = [];
  if (t.uid !== undefined) {
    if (held.uid !== t.uid) out.push(`uid is ${held.uid}, not ${t.uid}`);
    if (held.euid !== t.uid) out.push(`euid is ${held.euid}, not ${t.uid}`);
  }
  if (held.gid !== t.gid) out.push(`gid is ${held.gid}, not ${t.gid}`);
  if (held.egid !== t.gid) out.push(`egid is ${held.egid}, not ${t.gid}`);
  const extra = held.groups.filter((g) => !t.allowedGroups.includes(g));
  if (extra.length > 0) out.push(`supplementary groups ${extra.join(' ')} are still held`);
  return out;
}

/**
 * `uid`/`gid`: give up root after binding, in uWSGI's order: the supplementary
 * groups first (initgroups, or only gid for a uid without a passwd entry), then
 * setgid, then setuid, since each later step removes the right to do the earlier
 * ones. The master then checks what it holds and refuses to go on otherwise;
 * workers and spoolers are spawned afterwards and inherit exactly these ids.
 */
export function dropPrivileges(logger: Logger, t: DropTarget | undefined, held: () => HeldIds = heldIds): void {
  if (!t) return;
  const step = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      throw new SupervisorError('TSGI_PRIVILEGES', `cannot ${what}: ${(err as Error).message}`);
    }
    logger.log(`${what}`);
  };
  if (t.user !== undefined && t.uid !== undefined) step(`initgroups(${t.user}, ${t.gid})`, () => initgroups(t.user!, t.gid));
  else step(`setgroups([${t.gid}])`, () => process.setgroups!([t.gid]));
  step(`setgid(${t.gid})`, () => process.setgid!(t.gid));
  if (t.uid !== undefined) step(`setuid(${t.uid})`, () => process.setuid!(t.uid!));
  const wrong = dropMismatches(t, held());
  if (wrong.length > 0) {
    throw new SupervisorError('TSGI_PRIVILEGES_UNVERIFIED', `privileges were not dropped as configured: ${wrong.join('; ')}`);
  }
}

/**
 * Who owns the files made before the drop: the user dropped to, so that the dropped
 * master can still replace or remove them. Undefined when nothing is dropped.
 */
export function fileOwner(target: DropTarget | undefined): FileOwner | undefined {
  return target ? { uid: target.uid ?? process.getuid!(), gid: target.gid } : undefined;
}
