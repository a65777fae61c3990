import { spawn, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BoundSocket } from '../master/sockets.js';

const WAKER_MAIN = fileURLToPath(new URL('./waker-main.js', import.meta.url));

/** How long a waker told to stop may take to hand over what it holds before it is SIGKILLed. */
export const WAKER_MERCY_MS = 3000;

/** The waker to the master: a connection, its socket passed as the IPC handle; `index` is the listener's, in the order given. */
export type WakerMessage = { t: 'conn'; index: number };
/** The master to the waker: stop accepting, hand over what is in transit, exit. */
export type WakerCommand = { t: 'stop' };

/**
 * Cheap mode's doorbell (`idle`, `cheap`). With no worker running, a
 * small process inherits the listening sockets and accepts, with
 * `pauseOnConnect`, whatever arrives; each connection, unread, is handed to
 * the master, which wakes the workers and passes it on to the first one
 * ready. So the first request after an idle period is served, not dropped.
 * (The master itself never accepts: it could not stop again without closing
 * its own copy of the socket.)
 */
export interface Waker {
  child: ChildProcess;
  /** epoch ms after which a waker told to stop is SIGKILLed (CheapMode.murder); 0 until stop */
  killAt: number;
  /** stop accepting, hand over what is in transit, and exit by killAt */
  stop(now: number): void;
}

/** Starts the waker process (waker-main.ts) on `sockets`; each connection it hands over goes to `onConnection`. */
export function startWaker(
  sockets: BoundSocket[],
  onConnection: (socket: net.Socket, proto: BoundSocket['proto']) => void,
  log: (line: string) => void = () => undefined,
): Waker {
  const child = spawn(process.execPath, [WAKER_MAIN], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc', ...sockets.map((s) => s.fd)],
    env: { ...process.env, TSGI_WAKER_FDS: JSON.stringify(sockets.map((_, i) => 4 + i)), TSGI_MASTER_PID: String(process.pid) },
    detached: true,
  });
  // a waker that cannot start (EMFILE, EAGAIN) is logged; CheapMode starts another at its next turn
  child.on('error', (err) => log(`cannot run the cheap-mode waker: ${err.message}`));
  child.on('message', (m: WakerMessage | undefined, handle: unknown) => {
    if (m?.t !== 'conn' || !handle) return;
    const socket = handle as net.Socket;
    // Node starts reading a received socket at once; the request bytes must stay in the
    // kernel for the worker that will get this socket, so reading stops in this same tick.
    (socket as unknown as { _handle?: { readStop?: () => void } })._handle?.readStop?.();
    socket.pause();
    onConnection(socket, sockets[m.index]?.proto ?? 'http');
  });
  const waker: Waker = {
    child,
    killAt: 0,
    stop: (now) => {
      if (child.connected) child.send({ t: 'stop' } satisfies WakerCommand);
      // it must not linger: the workers accept from now on
      if (waker.killAt === 0) waker.killAt = now + WAKER_MERCY_MS;
    },
  };
  return waker;
}
