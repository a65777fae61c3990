import type net from 'node:net';
import type { MasterMessage } from '../protocol.js';
import type { BoundSocket } from '../master/sockets.js';
import { startWaker, type Waker } from './waker.js';
import type { WorkerRecord } from '../master/worker-table.js';

/** How long a connection accepted in cheap mode may wait for the first worker. */
export const CHEAP_WAIT_MS = 30000;

/**
 * Cheap mode's doorbell (`idle`, `cheap`, fifo `C`): while the master is
 * cheap and no worker runs, a waker process holds the sockets. Each connection
 * rings; what the waker accepted is handed, unread, to the first worker ready.
 * Whether the master is cheap is the master's state, not this object's: it
 * tends the waker only while cheap, and hands over only once it is not.
 */
export class CheapMode {
  private waker: Waker | undefined;
  private pending: { socket: net.Socket; proto: BoundSocket['proto']; at: number }[] = [];

  constructor(
    private readonly onRing: () => void,
    private readonly start: typeof startWaker = startWaker,
    /** how many connections may wait for the first worker (`listen`); past it the newest is closed */
    private readonly maxWaiting = 100,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** While cheap: once no worker serves, start the waker (one at a time). */
  tend(sockets: BoundSocket[], liveWorkers: number): void {
    // with only an http router there is nothing to watch: the router itself rings
    if (this.runningWaker() || liveWorkers > 0 || sockets.length === 0) return;
    this.waker = this.start(sockets, (socket, proto) => {
      if (this.pending.length >= this.maxWaiting) return void socket.destroy();
      // the worker must know: a uwsgi request parsed as HTTP would get a 400
      this.pending.push({ socket, proto, at: Date.now() });
      this.onRing();
    }, this.log);
  }

  /**
   * The waker's mercy, enforced by the master's murder step: a waker told to
   * stop that still runs at its deadline is SIGKILLed, since the workers
   * accept from the same sockets now.
   */
  murder(now: number): void {
    // a connection that waited too long for a worker (an app that never loads) is closed, not kept as a descriptor
    while (this.pending.length > 0 && now - this.pending[0]!.at > CHEAP_WAIT_MS) this.pending.shift()!.socket.destroy();
    const waker = this.runningWaker();
    if (!waker || waker.killAt === 0 || now < waker.killAt) return;
    waker.killAt = 0;
    waker.child.kill('SIGKILL');
  }

  /** No longer cheap, a worker is ready: it gets what the waker accepted, and the waker goes. */
  handOver(w: WorkerRecord, now: number): void {
    this.runningWaker()?.stop(now);
    for (const { socket, proto } of this.pending.splice(0)) {
      if (w.child.connected) w.child.send({ t: 'conn', proto } satisfies MasterMessage, socket, { keepOpen: false });
      else socket.destroy();
    }
  }

  /** The master is exiting: the waker goes at once, and what it handed over is closed. */
  close(): void {
    this.waker?.child.kill('SIGKILL');
    for (const { socket } of this.pending.splice(0)) socket.destroy();
  }

  /** The current waker, forgotten once its process has exited (read in the loop, not in an exit listener). */
  private runningWaker(): Waker | undefined {
    const c = this.waker?.child;
    // gone: exited, killed, or never started at all (no pid)
    if (c && (c.exitCode !== null || c.signalCode !== null || c.pid === undefined)) this.waker = undefined;
    return this.waker;
  }
}
