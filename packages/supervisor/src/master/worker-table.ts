import type { ChildProcess } from 'node:child_process';
import type { RecycleReason, SlotFigures, WorkerCounters } from '../protocol.js';

/**
 * A worker process's life, each state with the data that only it has:
 * `starting` (spawned, loading the app); `ready` (listening: it counts as
 * serving; `replace` set when the master wants a successor first); `draining`
 * (asked to stop accepting and finish its requests); `ending` (told to exit
 * now); `killed` (SIGKILLed by a policy — harakiri, evil memory — and reaped as
 * a death, so its slot is respawned at once). Draining, ending and killed
 * carry the one reason of the retirement and when it began (the mercy runs
 * from there).
 */
export type WorkerState =
  | { kind: 'starting' }
  | { kind: 'ready'; replace?: RecycleReason }
  | { kind: 'draining'; reason: RecycleReason; since: number }
  | { kind: 'ending'; reason: RecycleReason; since: number }
  | { kind: 'killed'; reason: RecycleReason; since: number };

export type WorkerStateKind = WorkerState['kind'];

/** Why a slot's last process went: a recycle reason, or a death the master did not ask for. */
export type SlotReason = RecycleReason | 'crash' | 'app-load-failed' | '';

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
  /** ms epoch of its `ready` message; 0 while it never got ready */
  readyAt: number;
  /** the last counters it reported, cumulative for this process */
  counters: WorkerCounters | undefined;
  lastReportAt: number;
  /** when it was last asked to shed keep-alive connections (rebalance.ts) */
  lastShedAt?: number;
}

/** Starting or ready: the process serves, or will. */
export function isLive(w: WorkerRecord): boolean {
  return w.state.kind === 'starting' || w.state.kind === 'ready';
}

/** Draining, ending or killed: the reason and start of its retirement. */
export function retirement(w: WorkerRecord): { reason: RecycleReason; since: number } | undefined {
  return w.state.kind === 'draining' || w.state.kind === 'ending' || w.state.kind === 'killed' ? w.state : undefined;
}

/** The reason the master wants this ready worker replaced (successor first), if any. */
export function replaceReason(w: WorkerRecord): RecycleReason | undefined {
  return w.state.kind === 'ready' ? w.state.replace : undefined;
}

/** What stays with a slot when its processes come and go: the shared figures, and what only the master needs. */
export interface SlotRecord extends SlotFigures {
  /** wanted by the master: cheaper mode and SIGTTOU clear it */
  active: boolean;
  /** consecutive boot failures (crash loop) */
  fastFailures: number;
  lastReason: SlotReason;
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
  slot.base.responses5xx = (slot.base.responses5xx ?? 0) + (c.responses5xx ?? 0);
  // requests the worker ended itself at the harakiri deadline count as uWSGI's harakiri_count
  slot.harakiriCount += c.harakiris ?? 0;
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
