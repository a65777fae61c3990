import type { StatsCore, StatsDocument, StatsSocket, StatsSpooler, StatsWorker, TsgiDrainingWorker } from '@tsgi/stats-protocol';
import { readsBusy } from '../busy.js';
import { PUBLIC_VARS, type SlotFigures, type WorkerCounters } from '../protocol.js';
import type { ProcessSample } from '../os/proc.js';
import { STATS_VERSION, VERSION } from '../version.js';

/** What the stats read of a slot (uWSGI's per-slot figures, across the slot's processes). */
export type SlotView = SlotFigures;

/** What the stats read of one worker process. */
export interface WorkerView {
  slot: number;
  pid: number;
  generation: number;
  state: 'starting' | 'ready' | 'draining' | 'ending';
  /** why it is draining or ending */
  reason: string;
  /** ms epoch its retirement began */
  since: number;
  counters: WorkerCounters | undefined;
}

/** Everything the stats document is made from; the master fills it, collectStats reads it. */
export interface StatsView {
  pid: number;
  uid: number;
  gid: number;
  cwd: string;
  phase: string;
  /** SIGTSTP: idle workers show `pause` */
  paused?: boolean;
  startedAt: number;
  reloads: number;
  threads: number;
  chdir: string;
  /** rss/vsz are reported only with memory-report or a memory option, as uWSGI does */
  memoryReport: boolean;
  /** `stats-no-cores`: leave `cores` out, as uWSGI does */
  noCores?: boolean;
  slots: readonly SlotView[];
  workers: readonly WorkerView[];
  sockets: readonly { name: string; proto: string; queue: number; maxQueue: number }[];
  samples: ReadonlyMap<number, ProcessSample>;
  /** `spooler`: listed after the workers, as uWSGI does; absent without spoolers */
  spoolers?: StatsSpooler[];
}

/** uWSGI 2.0 always lists these locks; tsgi has none of them held, ever. */
const LOCKS = ['user 0', 'signal', 'filemon', 'timer', 'rbtimer', 'cron', 'rpc', 'snmp'];

/**
 * Builds the stats document: uWSGI 2.0's schema and units, one entry per slot
 * whatever its state, counters cumulative per slot across respawns, and
 * tsgi's additions under new keys. Pure: state in, document out.
 */
export function collectStats(v: StatsView, now: number): StatsDocument {
  const sockets: StatsSocket[] = v.sockets.map((s) => ({
    name: s.name,
    proto: s.proto,
    queue: s.queue,
    max_queue: s.maxQueue,
    shared: 0,
    can_offload: 0,
  }));
  const listenQueue = sockets.reduce((m, s) => Math.max(m, s.queue), 0);
  const draining: TsgiDrainingWorker[] = v.workers
    .filter((w) => w.state === 'draining' || w.state === 'ending')
    .map((w) => ({
      id: w.slot,
      pid: w.pid,
      reason: w.reason,
      since: Math.floor(w.since / 1000),
      in_flight: w.counters?.inFlight ?? 0,
    }));
  return {
    version: STATS_VERSION,
    listen_queue: listenQueue,
    listen_queue_errors: 0,
    signal_queue: 0,
    load: listenQueue,
    pid: v.pid,
    uid: v.uid,
    gid: v.gid,
    cwd: v.cwd,
    locks: LOCKS.map((name) => ({ [name]: 0 })),
    sockets,
    workers: v.slots.map((slot) => {
      const w = collectSlot(v, slot, now);
      if (v.noCores) delete (w as Partial<StatsWorker>).cores;
      return w;
    }),
    ...(v.spoolers && v.spoolers.length > 0 ? { spoolers: v.spoolers } : {}),
    tsgi: {
      version: VERSION,
      started_at: Math.floor(v.startedAt / 1000),
      reloads: v.reloads,
      phase: v.phase,
      draining,
    },
  };
}

/** The process serving a slot now: its newest live worker, if any. */
function currentWorker(v: StatsView, slotId: number): WorkerView | undefined {
  let best: WorkerView | undefined;
  for (const w of v.workers) {
    if (w.slot !== slotId || (w.state !== 'starting' && w.state !== 'ready')) continue;
    if (!best || w.generation > best.generation) best = w;
  }
  return best;
}

function collectSlot(v: StatsView, slot: SlotView, now: number): StatsWorker {
  const inSlot = v.workers.filter((w) => w.slot === slot.id);
  const cur = currentWorker(v, slot.id);
  const c = cur?.counters;
  let requests = slot.base.requests;
  let exceptions = slot.base.exceptions;
  let tx = slot.base.tx;
  let runningTime = slot.base.runningTime;
  let responses5xx = slot.base.responses5xx ?? 0;
  for (const w of inSlot) {
    responses5xx += w.counters?.responses5xx ?? 0;
    requests += w.counters?.requests ?? 0;
    exceptions += w.counters?.exceptions ?? 0;
    tx += w.counters?.tx ?? 0;
    runningTime += w.counters?.runningTime ?? 0;
  }
  const sample = cur ? v.samples.get(cur.pid) : undefined;
  const inFlight = inSlot.reduce((n, w) => n + (w.counters?.inFlight ?? 0), 0);
  // uWSGI's precedence: cheap > pause > busy > idle; a stopped worker with a request in hand is still busy with it
  const status = !cur ? 'cheap' : v.paused && (c?.inFlight ?? 0) === 0 ? 'pause' : readsBusy(c) ? 'busy' : 'idle';
  return {
    // uWSGI quirk kept: a slot never spawned reports id 0
    id: slot.everSpawned ? slot.id : 0,
    pid: cur?.pid ?? 0,
    accepting: cur && cur.state === 'ready' && (c?.accepting ?? true) ? 1 : 0,
    requests,
    delta_requests: c?.requests ?? 0,
    exceptions,
    // the master's kills, and the requests live workers ended themselves at the limit
    harakiri_count: slot.harakiriCount + inSlot.reduce((n, w) => n + (w.counters?.harakiris ?? 0), 0),
    signals: 0,
    signal_queue: 0,
    status,
    rss: v.memoryReport ? (sample?.rss ?? 0) : 0,
    vsz: v.memoryReport ? (sample?.vsz ?? 0) : 0,
    running_time: runningTime,
    last_spawn: slot.lastSpawn,
    respawn_count: slot.respawnCount,
    tx,
    avg_rt: c && c.requests > 0 ? c.avgRt : slot.avgRt,
    apps: [
      {
        id: 0,
        modifier1: 0,
        mountpoint: '',
        startup_time: 0,
        requests,
        exceptions,
        chdir: v.chdir,
      },
    ],
    cores: collectCores(v, slot, inSlot, cur),
    elu: round3(c?.elu ?? 0),
    cpu: round3(sample?.cpu ?? 0),
    in_flight: inFlight,
    draining: inSlot.some((w) => w.state === 'draining' || w.state === 'ending') ? 1 : 0,
    recycle_reason: slot.lastReason,
    backoff: !cur && slot.nextSpawnAt > now ? round3((slot.nextSpawnAt - now) / 1000) : 0,
    ready: cur?.state === 'ready' ? 1 : 0,
    upgraded: inSlot.reduce((n, w) => n + (w.counters?.upgraded ?? 0), 0),
    responses_5xx: responses5xx,
  };
}

function collectCores(v: StatsView, slot: SlotView, inSlot: WorkerView[], cur: WorkerView | undefined): StatsCore[] {
  const n = Math.max(1, v.threads);
  const cores: StatsCore[] = [];
  for (let i = 0; i < n; i++) {
    let requests = slot.base.cores[i] ?? 0;
    for (const w of inSlot) requests += w.counters?.cores[i]?.requests ?? 0;
    const live = cur?.counters?.cores[i];
    const busy = live?.inRequest === 1;
    cores.push({
      id: i,
      requests,
      static_requests: 0,
      routed_requests: 0,
      offloaded_requests: 0,
      write_errors: 0,
      read_errors: 0,
      in_request: busy ? 1 : 0,
      vars: busy ? publicVars(live.vars) : [],
      req_info: busy ? { request_start: Math.floor(live.start / 1000) } : {},
    });
  }
  return cores;
}

/**
 * A core's `KEY=value` vars reduced to PUBLIC_VARS, keeping uWSGI's closing "" so that
 * readers that stop at it still do.
 */
export function publicVars(vars: readonly string[]): string[] {
  const kept: string[] = [];
  for (const v of vars) {
    if (typeof v !== 'string' || v === '') continue;
    const eq = v.indexOf('=');
    if (eq > 0 && PUBLIC_VARS.has(v.slice(0, eq))) kept.push(v);
  }
  kept.push('');
  return kept;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
