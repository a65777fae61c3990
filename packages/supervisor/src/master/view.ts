import type { TsgiConfig } from '@tsgi/config';
import type { StatsSpooler } from '@tsgi/stats-protocol';
import type { Logger } from '../log/logger.js';
import type { ProcessSample } from '../os/proc.js';
import type { MasterParts } from './parts.js';
import type { MasterState } from './state.js';
import type { SlotRecord, WorkerRecord } from './worker-table.js';

/** One socket as the stats show it. */
export interface SocketView {
  name: string;
  proto: string;
  queue: number;
  maxQueue: number;
}

/**
 * What the master lets others read of itself (the stats, SIGUSR1's summary,
 * tests): a snapshot of its tables, never a handle to change them.
 */
export interface MasterView {
  pid: number;
  uid: number;
  gid: number;
  cwd: string;
  state: Readonly<MasterState>;
  generation: number;
  startedAt: number;
  /** ms epoch of the loop's last turn: a master whose loop stopped turning is not live */
  tickedAt: number;
  reloads: number;
  config: Readonly<TsgiConfig>;
  slots: readonly SlotRecord[];
  workers: readonly WorkerRecord[];
  sockets: readonly SocketView[];
  samples: ReadonlyMap<number, ProcessSample>;
  spoolers: StatsSpooler[];
  /** an upgrade's new master took over: this one only drains */
  handedOver: boolean;
}

/**
 * The master's window onto the stats code, passed in at construction so that
 * the master does not depend on how the document is built or served.
 */
export interface StatsSink {
  /** SIGUSR1 / fifo `s`: the summary lines for the log */
  summary(view: MasterView): string[];
  /**
   * `stats`: starts the stats server(s), which read `view()` per request; `control` asks
   * the master for a verb as a master-fifo letter would (the dashboard's actions)
   */
  serve(c: TsgiConfig, view: () => MasterView, logger: Logger, control?: (letter: string) => void): Promise<{ close(): void }>;
  /** `probes`: /readyz and /livez alone, on their own address */
  probes?(address: string, view: () => MasterView, logger: Logger): Promise<{ close(): void }>;
}

/** The master's view from its parts: every socket with its accept queue, the router's waiting connections as its queue. */
export function masterView(p: MasterParts, startedAt: number, tickedAt: number): MasterView {
  const c = p.cfg;
  return {
    pid: process.pid,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    cwd: p.cwd,
    state: p.state.state,
    generation: p.pool.generation,
    startedAt,
    tickedAt,
    reloads: p.reloads,
    config: c,
    slots: p.pool.slots,
    workers: p.pool.workers,
    sockets: [
      ...[...p.sockets].map(([name, s]) => ({ name, proto: s.proto, queue: p.queues.get(name) ?? 0, maxQueue: s.backlog })),
      // the router accepts at once: its queue is what waits for a worker
      ...c.http.map((name) => ({ name, proto: 'http-router', queue: p.router?.waiting ?? 0, maxQueue: c.listen })),
    ],
    samples: p.samples,
    spoolers: p.spoolers.stats(),
    handedOver: p.successor?.ready === true,
  };
}
