import type { TsgiConfig } from '@tsgi/config';
import type { StatsSpooler } from '@tsgi/stats-protocol';
import type { Logger } from '../log/logger.js';
import type { ProcessSample } from '../os/proc.js';
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
  reloads: number;
  config: Readonly<TsgiConfig>;
  slots: readonly SlotRecord[];
  workers: readonly WorkerRecord[];
  sockets: readonly SocketView[];
  samples: ReadonlyMap<number, ProcessSample>;
  spoolers: StatsSpooler[];
}

/**
 * The master's window onto the stats code, passed in at construction so that
 * the master does not depend on how the document is built or served.
 */
export interface StatsSink {
  /** SIGUSR1 / fifo `s`: the summary lines for the log */
  summary(view: MasterView): string[];
  /** `stats`: starts the stats server(s), which read `view()` per request */
  serve(c: TsgiConfig, view: () => MasterView, logger: Logger): Promise<{ close(): void }>;
}
