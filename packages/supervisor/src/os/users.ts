import { spawnSync } from 'node:child_process';

/** A passwd or group entry as the name service (getent) answers it. */
export interface IdEntry {
  name: string;
  id: number;
  /** a user's primary group; undefined for a group */
  gid?: number;
}

/**
 * Looks a user up through `getent passwd`, so that NSS sources (LDAP, sssd)
 * answer as they do for uWSGI's getpwnam(); Node has no getpwnam of its own.
 * Undefined when there is no such user (a bare numeric uid may have none).
 */
export function lookupUser(nameOrId: string): IdEntry | undefined {
  const fields = getent('passwd', nameOrId);
  if (!fields || fields.length < 4) return undefined;
  return { name: fields[0]!, id: Number(fields[2]), gid: Number(fields[3]) };
}

/** Looks a group up through `getent group`; undefined when there is none. */
export function lookupGroup(nameOrId: string): IdEntry | undefined {
  const fields = getent('group', nameOrId);
  if (!fields || fields.length < 3) return undefined;
  return { name: fields[0]!, id: Number(fields[2]) };
}

function getent(db: 'passwd' | 'group', key: string): string[] | undefined {
  const r = spawnSync('getent', [db, key], { encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0 || !r.stdout) return undefined;
  return r.stdout.split('\n')[0]!.split(':');
}
