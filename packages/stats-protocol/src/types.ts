/**
 * The stats document, key for key as uWSGI 2.0 emits it (`core/master_utils.c
 * uwsgi_master_generate_stats()`), plus tsgi's additions.
 *
 * Property order in these interfaces is the emission order; `shape.ts` holds the same
 * order as data (the encoder and decoder use it) and the compiler checks the two agree.
 *
 * Units follow uWSGI: memory in bytes, `running_time` and `avg_rt` in microseconds, every
 * timestamp in epoch seconds. uWSGI prints every number as an integer; the only
 * non-integers are tsgi's `elu` and `cpu`.
 *
 * tsgi never changes the meaning of a uWSGI key; its additions are new keys placed after
 * all of uWSGI's keys of the same object, so positional readers and uwsgitop keep working.
 * They are optional here because uWSGI's own documents do not carry them.
 */

/** One `locks[]` entry: a single key, `{ "<lock name>": <pid holding it, 0 if free> }`. */
export type StatsLock = Record<string, number>;

/** `daemons[]` (only with `attach-daemon`). uWSGI always reports `respawns: 0` (a bug). */
export interface StatsDaemon {
  cmd: string;
  pid: number;
  respawns: number;
}

/** `caches[]` (only with caches). */
export interface StatsCache {
  name: string;
  hash: string;
  hashsize: number;
  keysize: number;
  max_items: number;
  blocks: number;
  blocksize: number;
  items: number;
  hits: number;
  miss: number;
  full: number;
  last_modified_at: number;
}

/** One `metrics` value; `type` is 0 counter, 1 gauge, 2 absolute, 3 alias. */
export interface StatsMetric {
  type: number;
  oid: string;
  value: number;
}

/** `sockets[]`: one per bound socket. */
export interface StatsSocket {
  /** The address as configured, e.g. `"127.0.0.1:9090"`. */
  name: string;
  /** `"uwsgi"`, `"http"`, ... */
  proto: string;
  /** Current accept-queue length. */
  queue: number;
  /** The backlog limit. */
  max_queue: number;
  shared: number;
  can_offload: number;
}

/** `workers[].apps[]`. */
export interface StatsApp {
  id: number;
  modifier1: number;
  /** `""` for the default app. */
  mountpoint: string;
  /** Seconds the app took to load. */
  startup_time: number;
  /** Incremented at request start, so it can be one ahead of the worker's `requests`. */
  requests: number;
  exceptions: number;
  chdir: string;
}

/** `cores[].req_info`: `{}` when idle. */
export interface StatsReqInfo {
  /** Epoch seconds; present only while the core is in a request. */
  request_start?: number;
}

/** `workers[].cores[]`: one per thread/async slot (absent with `stats-no-cores`). */
export interface StatsCore {
  id: number;
  requests: number;
  static_requests: number;
  routed_requests: number;
  offloaded_requests: number;
  write_errors: number;
  read_errors: number;
  /** 0/1 */
  in_request: number;
  /** While in a request: `"KEY=value"` strings terminated by `""`; `[]` when idle. */
  vars: string[];
  req_info: StatsReqInfo;
}

/**
 * `workers[].status`. `sig<N>` while running a signal handler. Open-ended so documents
 * from other servers still type-check; the named values get autocompletion.
 */
export type StatsWorkerStatus = 'idle' | 'busy' | 'cheap' | 'pause' | `sig${number}` | (string & {});

/** Why tsgi is retiring (or last retired) a worker; `""` if none. Open-ended. */
export type TsgiRecycleReason =
  | ''
  | 'scale-down'
  | 'max-requests'
  | 'rss'
  | 'as'
  | 'harakiri'
  | 'lifetime'
  | 'reload'
  | 'shutdown'
  | 'crash'
  | (string & {});

/** The worker keys uWSGI 2.0 emits, in its order. */
export interface UwsgiStatsWorker {
  /** Slot id, 1-based; 0 for a slot that was never spawned (uWSGI quirk). */
  id: number;
  /** 0 when not running. */
  pid: number;
  accepting: number;
  /** Cumulative per slot across respawns. */
  requests: number;
  /** Since the last (re)spawn. */
  delta_requests: number;
  exceptions: number;
  harakiri_count: number;
  signals: number;
  signal_queue: number;
  status: StatsWorkerStatus;
  /** Bytes (0 without memory reporting). */
  rss: number;
  /** Bytes. */
  vsz: number;
  /** Microseconds spent in requests (not uptime). */
  running_time: number;
  /** Epoch seconds; 0 if never spawned. */
  last_spawn: number;
  respawn_count: number;
  /** Bytes sent. */
  tx: number;
  /** Microseconds, uWSGI's (avg + rt) / 2 running average. */
  avg_rt: number;
  apps: StatsApp[];
  /** Absent on the wire with `stats-no-cores`; the decoder fills `[]`. */
  cores: StatsCore[];
}

/** tsgi's per-worker additions, emitted after `cores`, in this order. */
export interface TsgiWorkerFields {
  /** Event-loop utilisation over the last interval, 0..1. */
  elu: number;
  /** CPU percent over the last interval (100 = one core). */
  cpu: number;
  /** Requests in progress. */
  in_flight: number;
  /** 0/1: retiring, waiting for in-flight requests. */
  draining: number;
  /** `""` if the worker is not being (and was not last) retired. */
  recycle_reason: TsgiRecycleReason;
  /** Seconds until the next respawn attempt of a crash-looping slot; 0 normally. */
  backoff: number;
  /** 0/1: the app is loaded and the worker accepts requests. */
  ready: number;
  /** Open upgraded connections (WebSockets) of the slot's processes, draining ones included. */
  upgraded: number;
  /** Responses with a 5xx status sent by the slot's processes (the app's, and tsgi's own 500/503/504), across respawns. */
  responses_5xx: number;
}

/** A `workers[]` entry as decoded: uWSGI's keys, and tsgi's when the server is tsgi. */
export interface StatsWorker extends UwsgiStatsWorker, Partial<TsgiWorkerFields> {}

/** `spoolers[]` (only with spoolers). */
export interface StatsSpooler {
  dir: string;
  pid: number;
  /** Tasks run since this spooler process started. */
  tasks: number;
  respawns: number;
  /** 1 while a task runs. */
  running: number;
}

/** `crons[]` (only with cron tasks); schedule fields are signed, -1 = any. */
export interface StatsCron {
  minute: number;
  hour: number;
  day: number;
  month: number;
  week: number;
  command: string;
  unique: number;
  /** SSL builds only. */
  legion?: string;
  /** -1 when not running. */
  pid: number;
  started_at: number;
}

/** `legions[].members[]`. */
export interface StatsLegionMember {
  name: string;
  uuid: string;
  valor: number;
  checksum: number;
  last_seen: number;
}

/** `legions[]` (SSL builds with legions). */
export interface StatsLegion {
  legion: string;
  addr: string;
  uuid: string;
  valor: number;
  checksum: number;
  quorum: number;
  i_am_the_lord: number;
  lord_valor: number;
  lord_uuid: string;
  nodes: string[];
  members: StatsLegionMember[];
}

/** The master's phase, as tsgi reports it in `tsgi.phase`. */
export type TsgiPhase = 'starting' | 'running' | 'reloading' | 'cheap' | 'stopping' | (string & {});

/** `tsgi.draining[]`: a retired worker still finishing its requests. */
export interface TsgiDrainingWorker {
  /** Slot id the worker held. */
  id: number;
  pid: number;
  reason: TsgiRecycleReason;
  /** Epoch seconds when draining began. */
  since: number;
  in_flight: number;
}

/** The top-level `tsgi` object: present only in tsgi's documents, always the last key. */
export interface TsgiStats {
  /** tsgi's own version (the top-level `version` is the uWSGI-compatible string). */
  version: string;
  /** Epoch seconds when the master started; survives reloads. */
  started_at: number;
  /** Completed reloads since start. */
  reloads: number;
  phase: TsgiPhase;
  draining: TsgiDrainingWorker[];
}

/** The whole document, as uWSGI 2.0 or tsgi sends it. */
export interface StatsDocument {
  /** e.g. `"2.0.21-debian"`, or `"0.1.0-tsgi"`. Always a string. */
  version: string;
  /** Linux only in uWSGI; the decoder fills 0. */
  listen_queue: number;
  /** Linux only in uWSGI (and always 0 there); the decoder fills 0. */
  listen_queue_errors: number;
  signal_queue: number;
  /** Same value as `listen_queue`. */
  load: number;
  /** Master pid. */
  pid: number;
  uid: number;
  gid: number;
  cwd: string;
  daemons?: StatsDaemon[];
  locks: StatsLock[];
  caches?: StatsCache[];
  metrics?: Record<string, StatsMetric>;
  sockets: StatsSocket[];
  /** One entry per configured slot, running or not. */
  workers: StatsWorker[];
  spoolers?: StatsSpooler[];
  crons?: StatsCron[];
  legions?: StatsLegion[];
  /** tsgi only; after every uWSGI key. */
  tsgi?: TsgiStats;
}
