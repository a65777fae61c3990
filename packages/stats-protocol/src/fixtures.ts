/**
 * Shared by this package's tests (not exported from the package). Fixtures are found from
 * this file's URL, so tests run the same from a fresh clone as in the workspace.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StatsDocument, StatsWorker } from './types.js';

/** `packages/stats-protocol/`, from `dist/fixtures.js`. */
export const packageRoot = fileURLToPath(new URL('../', import.meta.url));

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../test-fixtures/${name}`, import.meta.url));
}

/** A fixture's exact text (the uWSGI sample has no trailing newline; keep it that way). */
export function readFixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** The raw dump of a real uWSGI 2.0.21 (4 slots: cheaped, idle, busy, never spawned). */
export function uwsgiSampleText(): string {
  return readFixture('uwsgi-stats-sample.json');
}

export function uwsgiSample(): StatsDocument {
  return JSON.parse(uwsgiSampleText()) as StatsDocument;
}

/** The sample as tsgi would send it: its additions filled in, a spooler and a draining worker. */
export function tsgiDocument(): StatsDocument {
  const base = uwsgiSample();
  const workers: StatsWorker[] = base.workers.map((worker) => ({
    ...worker,
    elu: worker.status === 'busy' ? 0.8125 : 0.0625,
    cpu: worker.pid === 0 ? 0 : 12.5,
    in_flight: worker.status === 'busy' ? 1 : 0,
    draining: 0,
    recycle_reason: worker.id === 1 ? 'scale-down' : '',
    backoff: 0,
    ready: worker.pid === 0 ? 0 : 1,
  }));
  return {
    ...base,
    version: '0.1.0-tsgi',
    workers,
    spoolers: [{ dir: '/srv/app/spool', pid: 9510, tasks: 3, respawns: 1, running: 0 }],
    tsgi: {
      version: '0.1.0',
      started_at: 1795303700,
      reloads: 1,
      phase: 'running',
      draining: [{ id: 2, pid: 9401, reason: 'max-requests', since: 1795303750, in_flight: 1 }],
    },
  };
}

/** Rejects if `promise` has not settled within `ms`: no test waits unbounded. */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
