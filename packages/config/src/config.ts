/**
 * The typed configuration record, one field per option of the table (options.ts), and its
 * defaults. The interface is written out by hand: a mapped type over the table would be
 * unreadable in editors, and a test (options.test.ts) checks the two stay in step.
 */
import { OPTIONS, fieldName, type OptionSpec } from './options.js';
import { availableCpus } from './placeholders.js';

/** The configuration of one tsgi instance, after parsing, defaults and normalisation. */
export interface TsgiConfig {
  // Application
  /** Module path as given, optionally `path:export`; resolve with resolveAppSpec(). */
  app: string | undefined;
  callable: string | undefined;
  chdir: string | undefined;
  /** `KEY=VALUE` entries, in order. */
  env: string[];
  /** `NAME=VALUE` placeholders for `%(NAME)` in ini values; used while loading only. */
  setPlaceholder: string[];
  argv: string | undefined;
  /** `node-args` values as written; splitNodeArgs() turns them into argv words. */
  nodeArgs: string[];
  needApp: boolean;
  lazyApps: boolean;
  lazy: boolean;

  // Sockets
  httpSocket: string[];
  socket: string[];
  http: string[];
  /** The `http` router picks a worker by client address instead of by load. */
  httpSticky: boolean;
  protocol: 'uwsgi' | 'http';
  listen: number;
  /** File mode of unix sockets (0o660), or undefined for the default. */
  chmodSocket: number | undefined;
  /** `user[:group]` to own unix app sockets, or undefined to leave them root's. */
  chownSocket: string | undefined;
  /** Seconds, may be fractional: limit for a request head to arrive. */
  socketTimeout: number;
  /** Seconds; 0 = off: limit for the whole request, body included. */
  bodyReadTimeout: number;
  /** Seconds; 0 = no keep-alive. */
  httpKeepalive: number;
  /** Connections per worker; 0 = no cap. */
  maxConn: number;
  /** Bytes: the largest request head (Node's maxHeaderSize). */
  bufferSize: number;
  /** Bytes; 0 = no limit: the largest request body. */
  limitPost: number;

  // Master and workers
  processes: number;
  /** Always true: tsgi always runs a master. */
  master: boolean;
  threads: number;
  autoProcname: boolean;
  procnamePrefix: string | undefined;
  procnamePrefixSpaced: string | undefined;
  procnameMaster: string | undefined;
  pidfile: string | undefined;
  vacuum: boolean;
  /** nice values; undefined leaves the inherited one */
  prio: number | undefined;
  workerPrio: number | undefined;
  uid: string | undefined;
  gid: string | undefined;
  /** file-creation mask (0o027), or undefined to keep the inherited one */
  umask: number | undefined;
  daemonize: string | undefined;

  // Logging
  logto: string | undefined;
  disableLogging: boolean;
  /** uWSGI's conditional request logging: these requests are logged even with disableLogging. */
  log4xx: boolean;
  log5xx: boolean;
  /** Milliseconds; 0 = off. */
  logSlow: number;
  /** Bytes of body; 0 = off. */
  logBig: number;
  logZero: boolean;
  logMicros: boolean;
  logXForwardedFor: boolean;
  /** uWSGI's request-log template (logging.ts parses it); undefined: the default line. */
  logformat: string | undefined;
  /** `true`, a list of variable names, or `false`/undefined (parseJsonKeys). */
  logJson: string | undefined;
  /** `true` (ctime), a strftime format, or `false`/undefined (parseLogDate). */
  logdate: string | undefined;
  logPrefix: string | undefined;
  /** Bytes; 0 = never rotate. */
  logMaxsize: number;
  logBackupname: string | undefined;
  logReopen: boolean;
  touchLogreopen: string[];
  touchLogrotate: string[];
  /** `file:PATH`, `stdio`, ... (parseLogTarget), in order. */
  logger: string[];
  reqLogger: string[];
  /** Always true in effect: the master writes every line. */
  logMaster: boolean;
  logfileChmod: number | undefined;
  /** Always true in effect when uid or gid is set. */
  logfileChown: boolean;

  // Reloading and shutdown
  dieOnTerm: boolean;
  touchReload: string[];
  touchWorkersReload: string[];
  touchChainReload: string[];
  masterFifo: string[];
  /** Seconds. */
  workerReloadMercy: number;
  /** Seconds; 0 = off: caps workerReloadMercy for the retirements of a reload or a shutdown. */
  reloadMercy: number;
  /** `probes`: an address for /readyz and /livez alone */
  probes?: string;
  /** seconds between readiness going 503 and the drain, on a graceful shutdown */
  shutdownDelay: number;
  /** Seconds: how long a draining worker's upgraded connections (WebSockets) get before it closes them. */
  websocketDrain: number;
  /** Successors starting at once beside the workers they replace; 0: half the CPUs, at least 1. */
  reloadSurge: number;

  // Keeping workers healthy (seconds, requests, MiB; 0 means off)
  harakiri: number;
  harakiriVerbose: boolean;
  maxRequests: number;
  maxRequestsDelta: number;
  minWorkerLifetime: number;
  maxWorkerLifetime: number;
  maxWorkerLifetimeDelta: number;
  reloadOnRss: number;
  reloadOnAs: number;
  evilReloadOnRss: number;
  evilReloadOnAs: number;
  /** seconds a worker may take to load the app and get ready; 0: no limit */
  workerStartTimeout: number;
  forkbombDelay: number;
  respawnBackoffMax: number;
  /** hot workers hand keep-alive connections over to cold ones */
  rebalance: boolean;
  memoryReport: boolean;
  /** What an uncaught app error does to its worker. */
  onAppError: 'retire' | 'keep' | 'exit';

  // Adaptive workers
  cheaper: number;
  /** Workers started at boot; loadConfig sets it to `cheaper` when not given. */
  cheaperInitial: number;
  cheaperStep: number;
  cheaperOverload: number;
  cheaperAlgo: 'spare' | 'backlog' | 'busyness';
  cheaperBusynessMax: number;
  cheaperBusynessMin: number;
  cheaperBusynessMultiplier: number;
  cheaperBusynessPenalty: number;
  cheaperBusynessBacklogAlert: number;
  cheaperBusynessBacklogStep: number;
  idle: number;
  cheap: boolean;
  dieOnIdle: boolean;

  // Stats
  stats: string | undefined;
  statsHttp: boolean;
  statsMinified: boolean;
  /** Seconds, may be fractional. */
  statsPush: number;
  statsNoCores: boolean;
  /** File mode of a unix stats socket; undefined: 0o600. */
  statsChmod: number | undefined;
  statsHttpCors: string | undefined;
  statsHttpAllowHost: string[];
  statsHttpDashboard: boolean;
  /** The dashboard's actions: off when undefined. A secret: never shown in stats or logs. */
  statsHttpActionsToken: string | undefined;

  // Spooler (planned)
  spooler: string[];
  spoolerProcesses: number;
  spoolerFrequency: number;
  spoolerImport: string | undefined;
  spoolerQuiet: boolean;
  spoolerMaxTasks: number;
  spoolerHarakiri: number;
}

/** A value a TsgiConfig field can hold. */
export type ConfigValue = string | number | boolean | string[] | undefined;

/** The default value of one option; `cpus` fills dynamic defaults (`processes`). */
export function defaultValue(spec: OptionSpec, cpus: number): ConfigValue {
  if (spec.repeatable === true) return [];
  if (spec.dynamicDefault === 'cpus') return cpus;
  return spec.default;
}

/**
 * The configuration with every option at its default. `processes` defaults to the CPUs
 * this process may use (affinity and cgroup quota), as `%k`.
 */
export function defaultConfig(cpus: number = availableCpus()): TsgiConfig {
  const record: Record<string, ConfigValue> = {};
  for (const spec of OPTIONS) record[fieldName(spec.name)] = defaultValue(spec, cpus);
  return record as unknown as TsgiConfig;
}

/** Read the field of an option from a config, for table-driven code (help, renderIni). */
export function getOptionValue(config: TsgiConfig, spec: OptionSpec): ConfigValue {
  return (config as unknown as Record<string, ConfigValue>)[fieldName(spec.name)];
}

/** Set the field of an option in a config being built. */
export function setOptionValue(config: TsgiConfig, spec: OptionSpec, value: ConfigValue): void {
  (config as unknown as Record<string, ConfigValue>)[fieldName(spec.name)] = value;
}
