import type { Logger } from '../log/logger.js';
import { osBinder, type SocketBinder } from './setup.js';
import { adoptSocket, type BoundSocket } from './sockets.js';
import { ENV_INHERIT } from './upgrade.js';

/** The first descriptor systemd passes (SD_LISTEN_FDS_START). */
const FIRST_FD = 3;

/**
 * systemd socket activation (`LISTEN_FDS`, `LISTEN_PID`, `LISTEN_FDNAMES`): the
 * sockets are bound and listening before the master starts, so a restart
 * never refuses a connection and the master needs no privilege to bind :80.
 * Each configured `http-socket` / `socket` takes the inherited descriptor whose
 * name (`FileDescriptorName=` in the .socket unit) is its address as written,
 * else the next one in order; a socket with none left is bound as usual.
 * Undefined when nothing was passed to this process.
 */
export function activationBinder(env: NodeJS.ProcessEnv, pid: number, log: Logger): SocketBinder | undefined {
  const free = inherited(env, pid);
  if (!free) return undefined;
  // an upgrade names every socket exactly; systemd's may be unnamed and go in order
  const byOrder = env[ENV_INHERIT] === undefined;
  const count = free.length;
  const adopted = new Set<BoundSocket>();
  log.log(`${byOrder ? 'socket activation' : 'upgrade'}: ${count} socket(s) inherited (${free.map((f) => `fd ${f.fd}${f.name ? ` "${f.name}"` : ''}`).join(', ')})`);
  return {
    bind: async (name, proto, backlog, mode) => {
      let i = free.findIndex((f) => f.name === name);
      if (i < 0 && byOrder && free.length > 0) i = 0;
      if (i < 0) return osBinder.bind(name, proto, backlog, mode);
      const [f] = free.splice(i, 1);
      const s = adoptSocket(f!.fd, name, proto, backlog);
      adopted.add(s);
      return s;
    },
    // systemd put them in LISTEN already; only what was bound here needs the listen helper
    listen: (sockets) => osBinder.listen(sockets.filter((s) => !adopted.has(s))),
  };
}

/** The descriptors passed to this process: an upgrade's (TSGI_INHERIT_FDS) or systemd's (LISTEN_FDS for this pid). */
function inherited(env: NodeJS.ProcessEnv, pid: number): { fd: number; name: string }[] | undefined {
  const upgrade = env[ENV_INHERIT];
  if (upgrade !== undefined) {
    try {
      const list = JSON.parse(upgrade) as { fd: number; name: string }[];
      if (Array.isArray(list) && list.every((x) => Number.isInteger(x.fd) && typeof x.name === 'string')) return list.length > 0 ? list : undefined;
    } catch {
      // not ours to trust: bind as usual
    }
    return undefined;
  }
  const count = Number(env['LISTEN_FDS'] ?? 0);
  if (!Number.isInteger(count) || count <= 0 || Number(env['LISTEN_PID']) !== pid) return undefined;
  const names = (env['LISTEN_FDNAMES'] ?? '').split(':');
  return Array.from({ length: count }, (_, i) => ({ fd: FIRST_FD + i, name: names[i] ?? '' }));
}
