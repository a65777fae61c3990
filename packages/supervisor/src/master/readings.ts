import { touched, type TouchOption } from './controls.js';
import type { MasterEvent } from './events.js';
import type { MasterParts } from './parts.js';
import { rebalance } from './rebalance.js';
import { sampleProcesses, socketQueues } from './sampler.js';
import type { BoundSocket } from './sockets.js';
import type { TouchWatcher } from './touch.js';

/** What the readings look at; read afresh at every reading. */
export interface ReadingSources {
  pids(): number[];
  sockets(): ReadonlyMap<string, BoundSocket>;
  touches: TouchWatcher<TouchOption> | undefined;
}

/** The readings under way: `soon` asks for one now (new workers), `close` ends them. */
export interface Readings {
  soon(): void;
  close(): void;
}

/** Starts the once-a-second readings. */
export type StartReadings = (src: ReadingSources, enqueue: (ev: MasterEvent) => void) => Readings;

/** How often uWSGI's master looks at its workers, touch files and sockets. */
export const READING_INTERVAL_MS = 1000;

/**
 * What uWSGI's master does once per cycle, as a producer of events: the
 * touch files (sync), the sockets' accept queues and the workers' CPU and
 * memory (async) become one `readings` event. A reading asked for while one
 * is under way runs right after it, never beside it, and a failed one never
 * stops the next (the master's loop never waits on it and never sees a flag).
 */
export const startReadings: StartReadings = (src, enqueue) => {
  let busy = false;
  /** asked for while one was under way: one more right after it */
  let again = false;
  const read = async (): Promise<void> => {
    if (busy) return void (again = true);
    busy = true;
    again = false;
    try {
      const touched = src.touches?.check() ?? [];
      const [queues, samples] = await Promise.all([socketQueues(src.sockets()), sampleProcesses(src.pids())]);
      enqueue({ type: 'readings', touched, queues, samples });
    } catch (err) {
      enqueue({ type: 'readings', touched: [], error: (err as Error).message });
    } finally {
      busy = false;
      if (again) setImmediate(() => void read());
    }
  };
  const timer = setInterval(() => void read(), READING_INTERVAL_MS);
  timer.unref();
  void read();
  return { soon: () => setImmediate(() => void read()), close: () => clearInterval(timer) };
};

/** The once-a-second readings, in the loop: figures for stats and policies, touch files (a reload), `rebalance`. */
export function applyReadings(p: MasterParts, ev: Extract<MasterEvent, { type: 'readings' }>, now: number): void {
  if (ev.samples) p.samples = ev.samples;
  if (ev.queues) p.queues = ev.queues;
  if (ev.error) p.log.log(`*** cannot read the workers' or sockets' figures: ${ev.error} ***`);
  for (const t of ev.touched) touched(p, t.file, t.asks);
  if (p.cfg.rebalance) rebalance(p, now);
}
