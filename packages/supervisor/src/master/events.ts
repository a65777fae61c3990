import type { WorkerMessage } from '../protocol.js';
import type { TouchOption } from './controls.js';
import type { ProcessSample } from '../os/proc.js';
import type { BoundSocket } from './sockets.js';
import type { SpoolerEvent } from '../spooler/pool.js';
import type { WorkerRecord } from './worker-table.js';

/**
 * What wakes the loop. Signal listeners, the fifo, timers, child processes
 * and every asynchronous completion only enqueue one of these; the loop's
 * dispatch step is the one place that acts on them.
 */
export type MasterEvent =
  | { type: 'signal'; signal: NodeJS.Signals }
  /** a master-fifo letter, as written */
  | { type: 'fifo'; letter: string }
  /** cheap mode: a connection arrived while no worker runs */
  | { type: 'doorbell' }
  | { type: 'message'; worker: WorkerRecord; msg: WorkerMessage }
  | { type: 'exit'; worker: WorkerRecord; code: number | null; signal: NodeJS.Signals | null }
  /** the once-a-second readings (readings.ts) */
  | { type: 'readings'; touched: { file: string; asks: TouchOption }[]; samples?: Map<number, ProcessSample>; queues?: Map<string, number>; error?: string }
  /** a reload's new sockets are bound (or could not be) */
  | { type: 'bound'; sockets: [string, BoundSocket][]; error?: string }
  | { type: 'spooler'; event: SpoolerEvent }
  /** an upgrade's new master: ready, gone, or the stats served again after it failed */
  | { type: 'upgrade'; what: 'ready' }
  | { type: 'upgrade'; what: 'exit'; detail: string }
  | { type: 'upgrade'; what: 'stats'; server: { close(): void } };

/**
 * The loop's inbox: `push` from anywhere, `drain` and `wait` from the loop
 * only. `wait` resolves at the first event or after the timeout, whichever
 * comes first.
 */
export class EventQueue {
  private events: MasterEvent[] = [];
  private wake: (() => void) | undefined;

  push(ev: MasterEvent): void {
    this.events.push(ev);
    this.wake?.();
  }

  /** Every queued event, oldest first; the queue is empty afterwards. */
  drain(): MasterEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  get size(): number {
    return this.events.length;
  }

  wait(ms: number): Promise<void> {
    if (this.events.length > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }
}
