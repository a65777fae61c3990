import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerBoot } from '../protocol.js';
import type { BoundSocket } from './sockets.js';

const WORKER_MAIN = fileURLToPath(new URL('../worker/main.js', import.meta.url));

export interface SpawnOptions {
  boot: Omit<WorkerBoot, 'sockets'>;
  sockets: BoundSocket[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** the log descriptor for the worker's stdout and stderr, or undefined to inherit the master's */
  logFd: number | undefined;
}

/** Spawns the process a worker is made of. */
export type Spawner = (opts: SpawnOptions) => ChildProcess;

/**
 * Forks a worker: a fresh Node process running the worker entry, with the
 * listening sockets as inherited descriptors 4, 5, … (fd 3 is the IPC channel)
 * and its own session, so that terminal signals reach only the master, which
 * decides what each worker gets.
 */
export const spawnWorker: Spawner = ({ boot, sockets, cwd, env, logFd }) => {
  const full: WorkerBoot = {
    ...boot,
    sockets: sockets.map((s, i) => ({ fd: 4 + i, name: s.name, proto: s.proto })),
  };
  const out = logFd ?? 'inherit';
  return spawn(process.execPath, [...process.execArgv, WORKER_MAIN], {
    cwd,
    env: { ...env, TSGI_WORKER: JSON.stringify(full) },
    stdio: ['ignore', out, out, 'ipc', ...sockets.map((s) => s.fd)],
    detached: true,
    serialization: 'json',
  });
};
