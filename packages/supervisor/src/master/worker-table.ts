import type { ChildProcess } from 'node:child_process';
import type { RecycleReason, WorkerCounters } from '../protocol.js';

/**
 * A worker process's life: `starting` (spawned, loading the app), `ready`
 * (listening: it counts as serving), `draining` (asked to stop accepting and
 * finish its requests), `ending` (told to exit now, or killed).
 */
export type WorkerState = 'starting' | 'ready' | 'draining' | 'ending';

/** One live worker process. Several may share a slot during a reload or a recycle. */
export interface WorkerRecord {
  slot: number;
  pid: number;
  child: ChildProcess;
  /** the config generation it was spawned with; a reload bumps the master's */
  generation: number;
  state: WorkerState;
  /** ms epoch */
  spawnedAt: number;
  readyAt: number;
  /** when it was asked to stop (the mercy period runs from here) */
  cursedAt: number;
  reason: RecycleReason | undefined;
  /** the last counters it reported, cumulative for this process */
  counters: WorkerCounters | undefined;
  lastReportAt: number;
  /** harakiri already fired for it */
  harakiried: boolean;
  /** set when the master wants it replaced (max-worker-lifetime): a successor is spawned first */
  replaceReason: RecycleReason | undefined;
  /** when it was last asked to shed keep-alive connections (rebalance.ts) */
  lastShedAt?: number;
}

/** What stays with a slot when its processes come and go (uWSGI's per-slot shared memory). */
export interface SlotRecord {
  id: number;
  /** wanted by the master: cheaper mode and SIGTTOU clear it */
  active: boolean;
  everSpawned: boolean;
  /** counters of the slot's dead processes, so slot totals survive respawns */
  base: { requests: number; exceptions: number; tx: number; runningTime: number; cores: number[] };
  avgRt: number;
  respawnCount: number;
  /** epoch s of the last spawn */
  lastSpawn: number;
  harakiriCount: number;
  /** consecutive fast deaths (crash loop) */
  fastFailures: number;
  /** ms epoch before which no respawn is tried */
  nextSpawnAt: number;
  lastReason: string;
}

export function newSlot(id: number): SlotRecord {
  return {
    id,
    active: true,
    everSpawned: false,
    base: { requests: 0, exceptions: 0, tx: 0, runningTime: 0, cores: [] },
    avgRt: 0,
    respawnCount: 0,
    lastSpawn: 0,
    harakiriCount: 0,
    fastFailures: 0,
    nextSpawnAt: 0,
    lastReason: '',
  };
}

/** Adds a dead process's final counters to its slot. */
export function buryCounters(slot: SlotRecord, c: WorkerCounters | undefined): void {
  if (!c) return;
  slot.base.requests += c.requests;
  slot.base.exceptions += c.exceptions;
  slot.base.tx += c.tx;
  slot.base.runningTime += c.runningTime;
  c.cores.forEach((core, i) => {
    slot.base.cores[i] = (slot.base.cores[i] ?? 0) + core.requests;
  });
  if (c.requests > 0) slot.avgRt = c.avgRt;
}

/** A slot's cumulative requests: its dead processes' plus its live ones'. */
export function slotRequests(slot: SlotRecord, live: WorkerRecord[]): number {
  let n = slot.base.requests;
  for (const w of live) if (w.slot === slot.id) n += w.counters?.requests ?? 0;
  return n;
}
