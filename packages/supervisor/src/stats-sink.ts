import type { TsgiConfig } from '@tsgi/config';
import type { StatsDocument } from '@tsgi/stats-protocol';
import type { Logger } from './log/logger.js';
import type { MasterView, StatsSink } from './master/view.js';
import type { WorkerRecord } from './master/worker-table.js';
import { collectStats, type WorkerView } from './stats/collect.js';
import type { Probe } from './stats/servers.js';
import { statsSummary } from './stats/summary.js';

/**
 * The stats document from the master's view: the one place that knows both
 * the master's records and the stats' inputs, so that neither imports the other.
 */
export function statsDocument(v: MasterView, now: number): StatsDocument {
  const c = v.config;
  const s = v.state;
  return collectStats(
    {
      pid: v.pid,
      uid: v.uid,
      gid: v.gid,
      cwd: v.cwd,
      phase: s.phase === 'running' && s.cheap ? 'cheap' : s.phase,
      paused: s.phase === 'running' && s.paused,
      startedAt: v.startedAt,
      reloads: v.reloads,
      threads: c.threads,
      chdir: c.chdir ?? '',
      noCores: c.statsNoCores,
      memoryReport: c.memoryReport || c.reloadOnRss > 0 || c.reloadOnAs > 0 || c.evilReloadOnRss > 0 || c.evilReloadOnAs > 0,
      slots: v.slots,
      workers: v.workers.map(workerView),
      sockets: v.sockets,
      samples: v.samples,
      spoolers: v.spoolers,
    },
    now,
  );
}

/** The loop turns at least once a second; this long without a turn means it stopped. */
export const LIVE_SILENCE_MS = 5000;

/**
 * `/readyz`: ready while at least one worker is ready and the master is neither
 * stopping nor in its shutdown delay. `/livez`: live while the master's loop turns.
 */
export function probe(v: MasterView, now: number): Probe {
  const s = v.state;
  const readyWorkers = v.workers.filter((w) => w.state.kind === 'ready').length;
  const stopping = s.phase === 'stopping' || s.phase === 'stopped';
  const live = v.tickedAt > 0 && now - v.tickedAt < LIVE_SILENCE_MS;
  const why = stopping
    ? `shutting down${s.phase === 'stopping' && s.drainAt !== undefined ? ' (shutdown-delay)' : ''}`
    : `${readyWorkers} worker(s) ready, phase ${s.phase}, loop turned ${Math.max(0, now - v.tickedAt)} ms ago`;
  return { ready: !stopping && readyWorkers > 0, live, why };
}

/** A worker killed by a policy shows as it was until it is reaped, as uWSGI's does. */
function workerView(w: WorkerRecord): WorkerView {
  const s = w.state;
  const state = s.kind === 'killed' ? 'ready' : s.kind;
  const leaving = s.kind === 'draining' || s.kind === 'ending';
  return { slot: w.slot, pid: w.pid, generation: w.generation, state, reason: leaving ? s.reason : '', since: leaving ? s.since : 0, counters: w.counters };
}

/**
 * The servers' code (and the encoder, node:http and ws it brings), loaded by the first
 * server started: a master without `stats` or `probes` never carries it.
 */
const servers = (): Promise<typeof import('./stats/servers.js')> => import('./stats/servers.js');

/** The stats the `supervise` command gives its master: uWSGI's document, summary and servers. */
export const statsSink: StatsSink = {
  summary: (v) => statsSummary(statsDocument(v, Date.now())),
  probes: async (address, view, logger) => (await servers()).startProbeServer(address, () => probe(view(), Date.now()), logger),
  serve: async (c: TsgiConfig, view: () => MasterView, logger: Logger, control?: (letter: string) => void) =>
    (await servers()).startStatsServer({
      address: c.stats!,
      http: c.statsHttp,
      minified: c.statsMinified,
      pushSeconds: c.statsPush,
      chmod: c.statsChmod,
      cors: c.statsHttpCors,
      allowHosts: c.statsHttpAllowHost,
      logger,
      snapshot: () => statsDocument(view(), Date.now()),
      probe: () => probe(view(), Date.now()),
      ...(c.statsHttpDashboard ? { dashboard: { actionsToken: c.statsHttpActionsToken, pushSeconds: c.statsPush, control, logger } } : {}),
    }),
};
