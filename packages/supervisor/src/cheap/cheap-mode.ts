import type net from 'node:net';
import type { MasterMessage } from '../protocol.js';
import type { BoundSocket } from '../master/sockets.js';
import { startWaker, type Waker } from './waker.js';
import type { WorkerRecord } from '../master/worker-table.js';

/**
 * Cheap mode (`idle`, `cheap`, fifo `C`): every worker stopped, a waker
 * process holding the doorbell. The first connection ends it; what the waker
 * accepted meanwhile is handed, unread, to the first worker ready.
 */
export class CheapMode {
  active = false;
  private waker: Waker | undefined;
  private pending: net.Socket[] = [];

  constructor(private readonly onRing: () => void) {}

  enter(): void {
    this.active = true;
  }

  /** Once no worker serves, start the waker (one at a time). */
  tend(sockets: BoundSocket[], liveWorkers: number): void {
    // with only an http router there is nothing to watch: the router itself rings
    if (!this.active || this.waker || liveWorkers > 0 || sockets.length === 0) return;
    const waker = startWaker(sockets, (socket) => {
      this.pending.push(socket);
      if (this.active) this.onRing();
    });
    waker.child.on('exit', () => {
      if (this.waker === waker) this.waker = undefined;
    });
    this.waker = waker;
  }

  /** The doorbell rang: cheap mode is over (the caller wants workers again). */
  leave(): boolean {
    if (!this.active) return false;
    this.active = false;
    return true;
  }

  /** A worker is ready: it gets what the waker accepted, and the waker goes. */
  handOver(w: WorkerRecord): void {
    if (this.active) return;
    this.waker?.stop();
    for (const socket of this.pending.splice(0)) {
      if (w.child.connected) w.child.send({ t: 'conn' } satisfies MasterMessage, socket, { keepOpen: false });
      else socket.destroy();
    }
  }

  close(): void {
    this.waker?.child.kill('SIGKILL');
    for (const socket of this.pending.splice(0)) socket.destroy();
  }
}
