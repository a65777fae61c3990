/**
 * Cheap mode's doorbell process (waker.ts). It inherits the listening sockets
 * (their descriptors in TSGI_WAKER_FDS) and accepts, paused, whatever arrives;
 * each connection goes, unread, to the master over IPC. On `stop` it closes its
 * servers and exits 0 once every connection in transit is handed over. It
 * exits 0 as well when its master (TSGI_MASTER_PID) is gone.
 */
import net from 'node:net';
import type { WakerCommand, WakerMessage } from './waker.js';

const fds = JSON.parse(process.env['TSGI_WAKER_FDS'] ?? '[]') as number[];
const master = Number(process.env['TSGI_MASTER_PID']);
if (process.ppid !== master || !process.connected) process.exit(0);

let pending = 0;
let stopping = false;
const servers = fds.map((fd, index) =>
  net
    .createServer({ pauseOnConnect: true }, (socket) => {
      pending++;
      process.send!({ t: 'conn', index } satisfies WakerMessage, socket, { keepOpen: false }, () => {
        pending--;
        maybeExit();
      });
    })
    .listen({ fd }),
);

function maybeExit(): void {
  if (stopping && pending === 0) process.exit(0);
}

process.on('message', (m: WakerCommand | undefined) => {
  if (m?.t !== 'stop') return;
  stopping = true;
  for (const s of servers) s.close();
  maybeExit();
});
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  if (process.ppid !== master) process.exit(0);
}, 500).unref();
