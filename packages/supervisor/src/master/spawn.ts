import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { accessSync, constants } from 'node:fs';
import type { ChildLogs } from '../log/log-master.js';
import type { WorkerBoot } from '../protocol.js';
import type { BoundSocket } from './sockets.js';

const WORKER_MAIN = fileURLToPath(new URL('../worker/main.js', import.meta.url));

export interface SpawnOptions {
  boot: Omit<WorkerBoot, 'sockets'>;
  sockets: BoundSocket[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** the log master that reads the worker's stdout, stderr and request lines; undefined: it inherits the master's stderr */
  logs: ChildLogs | undefined;
  /** Node options for the worker (`node-args`), after the master's own */
  nodeArgs?: readonly string[];
}

/** Spawns the process a worker is made of. */
export type Spawner = (opts: SpawnOptions) => ChildProcess;

/**
 * Forks a worker: a fresh Node process running the worker entry, with the
 * listening sockets as inherited descriptors 4, 5, … (fd 3 is the IPC channel)
 * and its own session, so that terminal signals reach only the master, which
 * decides what each worker gets. With a log master, stdout and stderr are pipes the
 * master reads, and the request-log files follow the sockets as descriptors.
 * `node-args` come after the master's own Node options, so a preload
 * (`--require dd-trace/init`, `--import tsx`) runs before the worker runtime and the app.
 */
export const spawnWorker: Spawner = ({ boot, sockets, cwd, env, logs, nodeArgs = [] }) => {
  const setpriv = parentDeathWrapper();
  const targets = logs?.requestTargets() ?? [];
  const full: WorkerBoot = {
    ...boot,
    sockets: sockets.map((s, i) => ({ fd: 4 + i, name: s.name, proto: s.proto })),
    ...(setpriv ? { parentDeathSignal: true } : {}),
    ...(logs ? { requestLogs: targets.map((t, i) => ({ ...t, fd: 4 + sockets.length + i })) } : {}),
  };
  const out = logs ? 'pipe' : 'inherit';
  const node = [process.execPath, ...process.execArgv, ...nodeArgs, WORKER_MAIN];
  // setpriv sets the kernel's parent-death signal, then execs node in the same process (same pid)
  const [file, ...args] = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...node] : node;
  const child = spawn(file!, args, {
    cwd,
    env: { ...env, TSGI_WORKER: JSON.stringify(full) },
    stdio: ['ignore', out, out, 'ipc', ...sockets.map((s) => s.fd), ...targets.map((t) => t.fd)],
    detached: true,
    serialization: 'json',
  });
  logs?.adopt(child, { wid: boot.id, writesRequests: true });
  return child;
};

let wrapper: string | null | undefined;

/**
 * util-linux's `setpriv`, when the machine has it: a worker started through it
 * gets SIGKILL from the kernel the moment its master dies, even by SIGKILL,
 * even while the worker is stopped (SIGTSTP's pause) or spinning in a busy
 * loop, with nothing running in the worker to watch. Without it the worker
 * falls back to a watchdog thread (worker/watchdog.ts).
 */
export function parentDeathWrapper(): string | undefined {
  if (wrapper === undefined) {
    wrapper = null;
    for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
      try {
        accessSync(`${dir}/setpriv`, constants.X_OK);
        wrapper = `${dir}/setpriv`;
        break;
      } catch {
        // not in this directory
      }
    }
  }
  return wrapper ?? undefined;
}
