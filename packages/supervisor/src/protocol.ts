/**
 * The contract between the master and its workers: what the master hands a
 * worker at spawn, the messages they exchange over the IPC channel, and the
 * reserved exit codes (STYLE 5). Both sides import only this file from each
 * other, so the worker stays small.
 */

/** Reserved worker exit codes, after uWSGI's (uwsgi.h). */
export const EXIT = {
  /** drained and exited on request (graceful stop, recycle, reload) */
  RELOAD: 17,
  /** the app module could not be loaded or exports nothing callable */
  FAILED_APP: 22,
  /** asked to end at once (SIGTERM/SIGINT: brutal reload, shutdown) */
  END: 30,
  /** an uncaught app error with `on-app-error = exit` (uWSGI's reload-on-exception code) */
  EXCEPTION: 5,
} as const;

/** One listening socket handed to a worker as an inherited file descriptor. */
export interface InheritedSocket {
  fd: number;
  name: string;
  /** `http-socket` (and `socket` with protocol = http) speak HTTP; `socket` speaks uwsgi */
  proto: 'http' | 'uwsgi';
}

/** Everything a worker needs, passed in the TSGI_WORKER environment variable. */
/**
 * A quiet worker (nothing in flight, no counter moved, event-loop use unchanged) skips
 * reports and sends one this often, as a heartbeat: 16 idle workers reporting every
 * 250 ms cost their master ~2 % of a core for nothing new.
 */
export const QUIET_REPORT_MS = 1000;

/**
 * The request log: every request (`disable-logging` off), or only uWSGI's
 * conditional ones (`log-4xx`, `log-5xx`, `log-slow`, `log-big`, `log-zero`).
 */
export interface RequestLogRules {
  all: boolean;
  status4xx: boolean;
  status5xx: boolean;
  /** ms; 0 = off */
  slowMs: number;
  /** body bytes; 0 = off */
  bigBytes: number;
  zero: boolean;
  /** times in µs ("micros") instead of ms */
  micros: boolean;
  /** the X-Forwarded-For header, when present, instead of the peer address */
  xForwardedFor: boolean;
}

/**
 * How a worker bounds what clients and the app can hold: times in ms, 0 = off.
 * Built by workerLimits(); a boot without it gets DEFAULT_LIMITS.
 */
export interface WorkerLimits {
  /** `socket-timeout`: a request head (HTTP headers, uwsgi packet) must arrive within this */
  headMs: number;
  /** `body-read-timeout`: the whole request, body included, must arrive within this */
  bodyMs: number;
  /** `http-keepalive`: an idle keep-alive connection is closed after this; 0 = no keep-alive */
  keepAliveMs: number;
  /** `max-conn`: open client connections per worker; 0 = no cap */
  maxConnections: number;
  /** `harakiri`: a request older than this is ended by the worker itself (504 if nothing was sent) */
  harakiriMs: number;
  /** `on-app-error`: what an uncaught exception or unhandled rejection does to the worker */
  onAppError: 'retire' | 'keep' | 'exit';
}

/** The limits of a worker whose boot carries none (the options' defaults, harakiri off). */
export const DEFAULT_LIMITS: WorkerLimits = {
  headMs: 4000,
  bodyMs: 300_000,
  keepAliveMs: 5000,
  maxConnections: 4096,
  harakiriMs: 0,
  onAppError: 'retire',
};

/** A worker's limits from the options (for WorkerBoot.limits). */
export function workerLimits(c: {
  socketTimeout: number;
  bodyReadTimeout: number;
  httpKeepalive: number;
  maxConn: number;
  harakiri: number;
  onAppError: WorkerLimits['onAppError'];
}): WorkerLimits {
  return {
    headMs: Math.round(c.socketTimeout * 1000),
    bodyMs: Math.round(c.bodyReadTimeout * 1000),
    keepAliveMs: Math.round(c.httpKeepalive * 1000),
    maxConnections: c.maxConn,
    harakiriMs: c.harakiri * 1000,
    onAppError: c.onAppError,
  };
}

export interface WorkerBoot {
  id: number;
  /** the master's pid: a worker whose parent is not this process is an orphan and exits */
  masterPid: number;
  generation: number;
  appFile: string;
  exportName?: string;
  argv: string[];
  sockets: InheritedSocket[];
  /** which requests get a request log line */
  log: RequestLogRules;
  threads: number;
  /** `max-requests` for this slot, delta applied; 0 = off */
  maxRequests: number;
  /** seconds; gates max-requests and reload-on-rss/as */
  minWorkerLifetime: number;
  /** bytes; 0 = off */
  reloadOnRss: number;
  reloadOnAs: number;
  /** how often counters are reported to the master */
  reportIntervalMs: number;
  procname?: string;
  /** `worker-prio`: the nice value the worker sets itself before loading the app */
  priority?: number;
  /** the slot's cumulative request count at spawn, for the log's `req: a/b` */
  slotRequests: number;
  /** timeouts and caps (workerLimits()); absent: DEFAULT_LIMITS */
  limits?: WorkerLimits;
}

/** Cumulative counters of one worker process since it was spawned. */
export interface WorkerCounters {
  requests: number;
  exceptions: number;
  /** header + body bytes written */
  tx: number;
  /** µs spent in requests */
  runningTime: number;
  /** µs, uWSGI's (avg + rt) / 2 */
  avgRt: number;
  inFlight: number;
  /** epoch ms of the oldest request in flight, 0 when idle */
  oldestStart: number;
  /** per core: requests done and whether one is in flight */
  cores: { requests: number; inRequest: number; start: number; vars: string[] }[];
  /** event-loop utilisation over the last report interval, 0..1 */
  elu: number;
  accepting: boolean;
  draining: boolean;
  /** open client connections (keep-alive ones included) */
  connections?: number;
  /** requests the worker ended itself at the harakiri deadline (its loop was free); absent: 0 */
  harakiris?: number;
}

export type RecycleReason =
  | 'max-requests'
  | 'rss'
  | 'as'
  | 'lifetime'
  | 'harakiri'
  | 'reload'
  | 'brutal-reload'
  | 'chain-reload'
  | 'scale-down'
  | 'shutdown'
  | 'cheap'
  /** an uncaught exception or unhandled rejection in app code (on-app-error = retire) */
  | 'exception';

export type WorkerMessage =
  | { t: 'ready'; startupMs: number }
  | { t: 'report'; c: WorkerCounters }
  | { t: 'recycle'; reason: RecycleReason; detail: string }
  /** near max-requests (worker/succession.ts): start my successor; retire me once it is ready */
  | { t: 'successor'; reason: RecycleReason; detail: string }
  | { t: 'status'; text: string }
  /** the app spooled a task in `dir` (spool()): wake its spoolers */
  | { t: 'spooled'; dir: string };

export type MasterMessage =
  | { t: 'drain'; reason: RecycleReason }
  /** rebalancing: end this many keep-alive connections after their next response */
  | { t: 'shed'; count: number }
  | { t: 'status' }
  /**
   * a connection accepted by the master (cheap mode, the `http` router), passed as the
   * message's handle; `proto` is the protocol of the listener that accepted it (absent: http)
   */
  | { t: 'conn'; proto?: InheritedSocket['proto'] };

export function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { t?: unknown }).t === 'string';
}
