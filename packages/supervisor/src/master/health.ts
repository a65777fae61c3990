import type { TsgiConfig } from '@tsgi/config';
import type { ProcessSample } from '../os/proc.js';
import { QUIET_REPORT_MS } from '../protocol.js';
import { replaceReason, type WorkerRecord } from './worker-table.js';

const MB = 1024 * 1024;

/**
 * `harakiri`, the master's side: a ready worker silent longer than the limit
 * (a blocked event loop cannot report, and every request on it is stuck) is
 * killed. A request that is merely old, on a loop that turns, is the worker's
 * to end (504) at the limit, alone; only one still in flight at twice the
 * limit (the worker could not end it) costs its worker.
 */
export function harakiriDue(w: WorkerRecord, harakiriSeconds: number, now: number): boolean {
  if (harakiriSeconds <= 0 || (w.state.kind !== 'ready' && w.state.kind !== 'draining')) return false;
  const limit = harakiriSeconds * 1000;
  const oldest = w.counters?.oldestStart ?? 0;
  // a quiet worker reports every QUIET_REPORT_MS: silence means a blocked loop only past two of them
  // (harakiri = 1 then fires between 1 and 2 s, as uWSGI's once-a-second check does)
  const silence = Math.max(limit, 2 * QUIET_REPORT_MS);
  return (oldest > 0 && now - oldest > 2 * limit) || (w.readyAt > 0 && now - w.lastReportAt > silence);
}

/** uWSGI's harakiri report: what the worker was doing, one line per busy core. */
export function harakiriReport(w: WorkerRecord): string[] {
  const lines: string[] = [];
  for (const core of w.counters?.cores ?? []) {
    if (!core.inRequest) continue;
    const v = new Map(core.vars.filter(Boolean).map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)] as const));
    lines.push(
      `HARAKIRI [core 0] ${v.get('REMOTE_ADDR') ?? '-'} - ${v.get('REQUEST_METHOD') ?? ''} ${v.get('REQUEST_URI') ?? ''} since ${Math.floor(core.start / 1000)}`,
    );
  }
  return lines;
}

/** `evil-reload-on-rss/as`: the master's own reading is over the limit; the text goes in the log. */
export function evilReloadDue(
  sample: ProcessSample | undefined,
  c: Pick<TsgiConfig, 'evilReloadOnRss' | 'evilReloadOnAs'>,
): { reason: 'rss' | 'as'; what: string } | undefined {
  if (!sample) return undefined;
  if (c.evilReloadOnRss > 0 && sample.rss > c.evilReloadOnRss * MB) return { reason: 'rss', what: `RSS: ${sample.rss}` };
  if (c.evilReloadOnAs > 0 && sample.vsz > c.evilReloadOnAs * MB) return { reason: 'as', what: `ADDRESS SPACE: ${sample.vsz}` };
  return undefined;
}

/**
 * `reload-on-rss/as`, the master's side: its once-a-second reading over the limit
 * recycles the worker gracefully, successor first, even when no request comes to
 * make the worker check itself (a leak in a timer, a long request). Gated by
 * min-worker-lifetime like the worker's own check.
 */
export function memoryRecycleDue(
  w: WorkerRecord,
  sample: ProcessSample | undefined,
  c: Pick<TsgiConfig, 'reloadOnRss' | 'reloadOnAs' | 'minWorkerLifetime'>,
  now: number,
): { reason: 'rss' | 'as'; what: string } | undefined {
  if (!sample || w.state.kind !== 'ready' || replaceReason(w) || now - w.spawnedAt < c.minWorkerLifetime * 1000) return undefined;
  if (c.reloadOnRss > 0 && sample.rss > c.reloadOnRss * MB) return { reason: 'rss', what: `rss ${sample.rss} > ${c.reloadOnRss * MB}` };
  if (c.reloadOnAs > 0 && sample.vsz > c.reloadOnAs * MB) return { reason: 'as', what: `address space ${sample.vsz} > ${c.reloadOnAs * MB}` };
  return undefined;
}

/** `max-worker-lifetime` (+ `-delta` per slot, so workers do not all go at once). */
export function lifetimeDue(w: WorkerRecord, c: Pick<TsgiConfig, 'maxWorkerLifetime' | 'maxWorkerLifetimeDelta'>, now: number): boolean {
  if (c.maxWorkerLifetime <= 0 || w.state.kind !== 'ready' || replaceReason(w)) return false;
  return now - w.spawnedAt > (c.maxWorkerLifetime + (w.slot - 1) * c.maxWorkerLifetimeDelta) * 1000;
}
