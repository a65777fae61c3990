import type { TsgiConfig } from '@tsgi/config';
import type { ChildLogs } from '../log/log-master.js';
import type { Logger } from '../log/logger.js';
import type { ProcessSample } from '../os/proc.js';
import type { CheapMode } from '../cheap/cheap-mode.js';
import type { MasterEvent } from './events.js';
import type { Readings, StartReadings } from './readings.js';
import type { HttpRouter } from '../router/router.js';
import type { Scaling } from './scaling.js';
import type { SocketBinder } from './setup.js';
import type { BoundSocket } from './sockets.js';
import type { SpoolerPool } from '../spooler/pool.js';
import type { StateMachine } from './state.js';
import type { Successor } from './upgrade.js';
import type { MasterView, StatsSink } from './view.js';
import type { Clock, WorkerPool } from './worker-pool.js';

/** Re-reads the configuration (SIGHUP); errors are logged and the old config kept. */
export type ConfigReader = () => { config?: TsgiConfig; errors: string[]; warnings: string[] };

/**
 * The master's parts, as its policy modules (setup, controls, reload, scaling)
 * see them. Only the loop's steps call into those modules, so every change
 * to these parts still happens inside a turn of the one loop.
 */
export interface MasterParts {
  readonly log: Logger;
  readonly clock: Clock;
  readonly cwd: string;
  readonly readConfig: ConfigReader;
  readonly binder: SocketBinder;
  readonly stats: StatsSink | undefined;
  readonly readings: StartReadings | false;
  readonly state: StateMachine;
  readonly pool: WorkerPool;
  readonly scaling: Scaling;
  readonly spoolers: SpoolerPool;
  readonly cheap: CheapMode;
  /** bound sockets by configured name; kept across reloads */
  readonly sockets: Map<string, BoundSocket>;
  /** what set-up opened and tear-down closes */
  readonly opened: { close(): void }[];
  cfg: TsgiConfig;
  /** the log master that reads the children's output; undefined: they inherit stderr */
  readonly logs: ChildLogs | undefined;
  router: HttpRouter | undefined;
  /** the stats server(s), once started; closed while an upgrade's new master takes the address */
  statsServer: { close(): void } | undefined;
  /** an upgrade's new master (upgrade.ts) */
  successor: Successor | undefined;
  /** the once-a-second readings, once started */
  reader: Readings | undefined;
  samples: Map<number, ProcessSample>;
  queues: Map<string, number>;
  reloads: number;
  exitCode: number;
  enqueue(ev: MasterEvent): void;
  view(): MasterView;
}
