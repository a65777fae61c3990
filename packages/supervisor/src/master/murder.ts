import type { TsgiConfig } from '@tsgi/config';
import { retirementMercyMs, type RecycleReason } from '../protocol.js';
import type { ProcessSample } from '../os/proc.js';
import { evilReloadDue, harakiriDue, lifetimeDue, memoryRecycleDue } from './health.js';
import { END_MERCY_MS } from './worker-pool.js';
import type { WorkerRecord } from './worker-table.js';

/** A kill the murder step must do, and why. */
export type Murder =
  /** `worker-reload-mercy` (`reload-mercy` for a reload or shutdown): a draining worker took too long to finish */
  | { kind: 'no-mercy'; worker: WorkerRecord }
  /** a worker told to end at once is still there after END_MERCY_MS */
  | { kind: 'end-mercy'; worker: WorkerRecord }
  /** `worker-start-timeout`: never got ready (a hung import, a top-level await that never settles) */
  | { kind: 'start-timeout'; worker: WorkerRecord }
  /** `harakiri`: stuck in a request, or its event loop is blocked */
  | { kind: 'harakiri'; worker: WorkerRecord }
  /** `evil-reload-on-rss/as`: over the hard memory limit */
  | { kind: 'evil'; worker: WorkerRecord; reason: 'rss' | 'as'; what: string };

/** A graceful recycle the recycle step must start (successor first), with its log line. */
export interface Recycle {
  worker: WorkerRecord;
  reason: RecycleReason;
  line: string;
}

type MurderConfig = Pick<TsgiConfig, 'workerReloadMercy' | 'reloadMercy' | 'workerStartTimeout' | 'harakiri' | 'evilReloadOnRss' | 'evilReloadOnAs'>;

/**
 * The murder step's decisions, pure: which workers get SIGKILL now. At most one
 * per worker, in this order: mercy expired, start timeout, harakiri, evil memory. Nothing is
 * decided for a paused master's harakiri (a stopped worker cannot report).
 */
export function planMurder(
  workers: readonly WorkerRecord[],
  samples: ReadonlyMap<number, ProcessSample>,
  c: MurderConfig,
  now: number,
  paused: boolean,
): Murder[] {
  const out: Murder[] = [];
  for (const w of workers) {
    const s = w.state;
    if (s.kind === 'draining' && now - s.since > retirementMercyMs(s.reason, c.workerReloadMercy * 1000, c.reloadMercy * 1000)) out.push({ kind: 'no-mercy', worker: w });
    else if (s.kind === 'ending' && now - s.since > END_MERCY_MS) out.push({ kind: 'end-mercy', worker: w });
    else if (s.kind === 'starting' && c.workerStartTimeout > 0 && now - w.spawnedAt > c.workerStartTimeout * 1000) out.push({ kind: 'start-timeout', worker: w });
    else if (!paused && harakiriDue(w, c.harakiri, now)) out.push({ kind: 'harakiri', worker: w });
    else if (s.kind === 'ready' || s.kind === 'draining') {
      const evil = evilReloadDue(samples.get(w.pid), c);
      if (evil) out.push({ kind: 'evil', worker: w, ...evil });
    }
  }
  return out;
}

type RecycleConfig = Pick<TsgiConfig, 'reloadOnRss' | 'reloadOnAs' | 'minWorkerLifetime' | 'maxWorkerLifetime' | 'maxWorkerLifetimeDelta'>;

/**
 * The recycle step's decisions, pure: ready workers over the soft memory limit
 * (`reload-on-rss/as`, the master's reading) or past `max-worker-lifetime` get
 * a successor first and are retired once it is ready.
 */
export function planRecycle(workers: readonly WorkerRecord[], samples: ReadonlyMap<number, ProcessSample>, c: RecycleConfig, now: number): Recycle[] {
  const out: Recycle[] = [];
  for (const w of workers) {
    const soft = memoryRecycleDue(w, samples.get(w.pid), c, now);
    if (soft) {
      const line = `worker ${w.slot} (pid: ${w.pid}) ${soft.what}: starting its successor (reload-on-${soft.reason})`;
      out.push({ worker: w, reason: soft.reason, line });
    } else if (lifetimeDue(w, c, now)) {
      const line = `worker ${w.slot} lifetime reached, it was running for ${Math.floor((now - w.spawnedAt) / 1000)} second(s)`;
      out.push({ worker: w, reason: 'lifetime', line });
    }
  }
  return out;
}
