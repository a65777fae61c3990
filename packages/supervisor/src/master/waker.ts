import { spawn, type ChildProcess } from 'node:child_process';
import type net from 'node:net';
import type { BoundSocket } from './sockets.js';

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
  /** stop accepting, hand over what is in transit, and exit */
  stop(): void;
}

const WAKER_SOURCE = `
const net = require('node:net');
const fds = JSON.parse(process.env.TSGI_WAKER_FDS);
let pending = 0, stopping = false;
const servers = fds.map((fd) => net.createServer({ pauseOnConnect: true }, (socket) => {
  pending++;
  process.send({ t: 'conn' }, socket, { keepOpen: false }, () => { pending--; maybeExit(); });
}).listen({ fd }));
function maybeExit() { if (stopping && pending === 0) process.exit(0); }
process.on('message', (m) => { if (m && m.t === 'stop') { stopping = true; for (const s of servers) s.close(); maybeExit(); } });
process.on('disconnect', () => process.exit(0));
const master = Number(process.env.TSGI_MASTER_PID);
if (process.ppid !== master || !process.connected) process.exit(0);
setInterval(() => { if (process.ppid !== master) process.exit(0); }, 500).unref();
`;

export function startWaker(sockets: BoundSocket[], onConnection: (socket: net.Socket) => void): Waker {
  const child = spawn(process.execPath, ['-e', WAKER_SOURCE], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc', ...sockets.map((s) => s.fd)],
    env: { ...process.env, TSGI_WAKER_FDS: JSON.stringify(sockets.map((_, i) => 4 + i)), TSGI_MASTER_PID: String(process.pid) },
    detached: true,
  });
  child.on('message', (m: { t?: string }, handle: unknown) => {
    if (m?.t !== 'conn' || !handle) return;
    const socket = handle as net.Socket;
    // Node starts reading a received socket at once; the request bytes must stay in the
    // kernel for the worker that will get this socket, so reading stops in this same tick.
    (socket as unknown as { _handle?: { readStop?: () => void } })._handle?.readStop?.();
    socket.pause();
    onConnection(socket);
  });
  return {
    child,
    stop: () => {
      if (child.connected) child.send({ t: 'stop' });
      // it must not linger: the workers accept from now on
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    },
  };
}
