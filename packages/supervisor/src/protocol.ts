/**
 * The contract between the master and its workers: what the master hands a
 * worker at spawn, the messages they exchange over the IPC channel, and the
 * reserved exit codes (docs/conventions.md, "Reserved worker exit codes").
 * Both sides import only this file from each
 * other, so the worker stays small.
 */

/** Reserved worker exit codes, after uWSGI's (uwsgi.h). */
export const EXIT = {
  /** drained and exited on request (graceful stop, recycle, reload) */
  RELOAD: 17,
  /** the app module could not be loaded, exports nothing callable, or its setup(server) failed */
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
  /** `logformat`, parsed: literal text and uWSGI's variables; absent: uWSGI's default line */
  format?: Array<{ text: string } | { name: string }>;
  /** `log-json`: one JSON object per line with these variables as keys (takes the place of the line) */
  json?: string[];
  /** `logdate`'s strftime format, for %(ftime) */
  ftime?: string;
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
  /** `websocket-drain`: on drain, upgraded connections get this long to end before the worker closes them (1001) */
  websocketDrainMs?: number;
  /** `worker-reload-mercy`: the app's close() must settle within this, or the worker exits without it */
  mercyMs?: number;
  /** `reload-mercy`: caps mercyMs for the drains of a reload or a shutdown; 0 = no cap */
  reloadMercyMs?: number;
  /** `buffer-size`: the largest request head, in bytes (a larger one is answered 431); absent: Node's 16 KiB */
  maxHeadBytes?: number;
  /** `limit-post`: the largest request body, in bytes (a larger one is answered 413); 0 or absent: no limit */
  maxBodyBytes?: number;
}

/** The limits of a worker whose boot carries none (the options' defaults, harakiri off). */
export const DEFAULT_LIMITS: WorkerLimits = {
  headMs: 4000,
  bodyMs: 300_000,
  keepAliveMs: 5000,
  maxConnections: 4096,
  harakiriMs: 0,
  onAppError: 'retire',
  websocketDrainMs: 5000,
  mercyMs: 60_000,
};

/** A worker's limits from the options (for WorkerBoot.limits). */
export function workerLimits(c: {
  socketTimeout: number;
  bodyReadTimeout: number;
  httpKeepalive: number;
  maxConn: number;
  harakiri: number;
  onAppError: WorkerLimits['onAppError'];
  websocketDrain?: number;
  workerReloadMercy?: number;
  reloadMercy?: number;
  bufferSize?: number;
  limitPost?: number;
}): WorkerLimits {
  return {
    headMs: Math.round(c.socketTimeout * 1000),
    bodyMs: Math.round(c.bodyReadTimeout * 1000),
    keepAliveMs: Math.round(c.httpKeepalive * 1000),
    maxConnections: c.maxConn,
    harakiriMs: c.harakiri * 1000,
    onAppError: c.onAppError,
    websocketDrainMs: Math.round((c.websocketDrain ?? 5) * 1000),
    mercyMs: Math.round((c.workerReloadMercy ?? 60) * 1000),
    reloadMercyMs: Math.round((c.reloadMercy ?? 0) * 1000),
    ...(c.bufferSize === undefined ? {} : { maxHeadBytes: c.bufferSize }),
    maxBodyBytes: c.limitPost ?? 0,
  };
}

/** The retirements `reload-mercy` bounds: those of a reload (graceful, chain, workers only) and of a graceful shutdown. */
const RELOAD_REASONS: ReadonlySet<RecycleReason> = new Set(['reload', 'chain-reload', 'shutdown']);

/**
 * How long a worker retired for `reason` may drain before it is killed: worker-reload-mercy,
 * or reload-mercy when that is set, shorter, and the retirement is a reload's or a shutdown's.
 * The master kills by it; the worker bounds the app's close() by it.
 */
export function retirementMercyMs(reason: RecycleReason, mercyMs: number, reloadMercyMs: number): number {
  return reloadMercyMs > 0 && RELOAD_REASONS.has(reason) ? Math.min(mercyMs, reloadMercyMs) : mercyMs;
}

/** Everything a worker needs, passed in the TSGI_WORKER environment variable. */
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
  /** the kernel kills this worker when its master dies (setpriv --pdeathsig): no watchdog thread needed */
  parentDeathSignal?: boolean;
  /** where request-log lines go, written by the worker itself; absent: stderr */
  requestLogs?: RequestLogTarget[];
  /** the master runs the `http` router: it will hand this worker connections, which want load reports back */
  routed?: boolean;
}

/**
 * A file (or the master's stderr) a worker writes its request lines to, as an inherited
 * descriptor: the line is the busiest thing in the log, and a hop through the master
 * would wake it for every batch. The master rotates and reopens the files and tells the
 * workers (`reopen-log`), which open them again by `path`.
 */
export interface RequestLogTarget {
  fd: number;
  /** a file, opened again by this path on `reopen-log` */
  path?: string;
  /** not a regular file (a pipe, a socket, a terminal): written in pieces of at most PIPE_BUF, whole lines, so that two workers' lines never mix */
  pipe?: boolean;
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
  /**
   * share of the last report interval with at least one request in flight, 0..1 (a
   * request still running at the report counts up to it; upgraded connections never
   * count); absent: 0
   */
  busy?: number;
  accepting: boolean;
  draining: boolean;
  /** open client connections (keep-alive ones included) */
  connections?: number;
  /** requests the worker ended itself at the harakiri deadline (its loop was free); absent: 0 */
  harakiris?: number;
  /**
   * open upgraded connections (WebSockets): not requests in flight, and not in `connections`
   * (they are never shed nor make the worker busy); absent: 0
   */
  upgraded?: number;
  /** responses with a 5xx status (the app's, and the worker's own 500/503/504); absent: 0 */
  responses5xx?: number;
}

/** Why a worker left, in logs and stats (`recycle_reason`). */
export const RECYCLE_REASONS = [
  'max-requests',
  'rss',
  'as',
  'lifetime',
  'harakiri',
  // never got ready within worker-start-timeout
  'start-timeout',
  'reload',
  'brutal-reload',
  'chain-reload',
  'scale-down',
  'shutdown',
  'cheap',
  // an uncaught exception or unhandled rejection in app code (on-app-error = retire)
  'exception',
] as const;

export type RecycleReason = (typeof RECYCLE_REASONS)[number];

export type WorkerMessage =
  | { t: 'ready'; startupMs: number }
  | { t: 'report'; c: WorkerCounters }
  | { t: 'recycle'; reason: RecycleReason; detail: string }
  /** near max-requests (worker/succession.ts): start my successor; retire me once it is ready */
  | { t: 'successor'; reason: RecycleReason; detail: string }
  | { t: 'status'; text: string }
  /** the app spooled a task in `dir` (spool()): wake its spoolers */
  | { t: 'spooled'; dir: string }
  /**
   * to the `http` router, from a worker it hands connections to, at most once per turn of the
   * worker's loop when a request ended (or began on a kept-alive connection), and at least every
   * LOAD_HEARTBEAT_MS while busy: `taken`, the routed connections adopted so far (Node's
   * acknowledgement of each handle told the router of them already: the ones acknowledged
   * since are busy on top of this figure); `busy`, its requests in flight plus the adopted
   * connections whose first request has not begun
   */
  | { t: 'load'; taken: number; busy: number };

export type MasterMessage =
  | { t: 'drain'; reason: RecycleReason }
  /** rebalancing: end this many keep-alive connections after their next response */
  | { t: 'shed'; count: number }
  | { t: 'status' }
  /** the master rotated or reopened the log files: open the request-log files again by their paths */
  | { t: 'reopen-log' }
  /**
   * a connection accepted by the master (cheap mode, the `http` router), passed as the
   * message's handle (a socket, or the router's bare handle); `proto` is the protocol of the listener that accepted it (absent: http);
   * `routed` when the `http` router sent it, which then wants `load` messages back
   */
  | { t: 'conn'; proto?: InheritedSocket['proto']; routed?: true };

/** How often a worker taking routed connections tells the router its load while busy, at the least. */
export const LOAD_HEARTBEAT_MS = 5;

/** Longest text a worker may send in one message (a status report, a spool directory). */
const MAX_TEXT = 65536;
/** At most this many per-core entries in a report, and vars per core. */
const MAX_CORES = 1024;
const MAX_VARS = 256;

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isText = (x: unknown, max = MAX_TEXT): x is string => typeof x === 'string' && x.length <= max;
const isReason = (x: unknown): x is RecycleReason => typeof x === 'string' && (RECYCLE_REASONS as readonly string[]).includes(x);

function isCore(x: unknown): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  return (
    isCount(c['requests']) &&
    (c['inRequest'] === 0 || c['inRequest'] === 1) &&
    isCount(c['start']) &&
    Array.isArray(c['vars']) &&
    c['vars'].length <= MAX_VARS &&
    c['vars'].every((v) => isText(v, 8192))
  );
}

function isCounters(x: unknown): x is WorkerCounters {
  if (typeof x !== 'object' || x === null) return false;
  const c = x as Record<string, unknown>;
  return (
    ['requests', 'exceptions', 'tx', 'runningTime', 'avgRt', 'inFlight', 'oldestStart'].every((k) => isCount(c[k])) &&
    isCount(c['elu']) &&
    (c['elu'] as number) <= 1 &&
    (c['busy'] === undefined || (isCount(c['busy']) && c['busy'] <= 1)) &&
    typeof c['accepting'] === 'boolean' &&
    typeof c['draining'] === 'boolean' &&
    (c['connections'] === undefined || isCount(c['connections'])) &&
    (c['harakiris'] === undefined || isCount(c['harakiris'])) &&
    (c['upgraded'] === undefined || isCount(c['upgraded'])) &&
    (c['responses5xx'] === undefined || isCount(c['responses5xx'])) &&
    Array.isArray(c['cores']) &&
    c['cores'].length <= MAX_CORES &&
    c['cores'].every(isCore)
  );
}

/**
 * Every IPC message of tsgi's own carries this key set to 1: an app that uses
 * process.send for its own ends (a cluster library, a metrics shipper) can
 * never be taken for the worker, whatever its `t`.
 */
export const IPC_MARK = 'tsgi';

/** A message as it goes on the wire: marked as tsgi's. */
export function marked<T extends object>(m: T): T & { [IPC_MARK]: 1 } {
  return { ...m, [IPC_MARK]: 1 as const };
}

/** Whether a message carries tsgi's mark. */
export function isMarked(m: unknown): boolean {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>)[IPC_MARK] === 1;
}

const WORKER_MESSAGE_TYPES: readonly string[] = ['ready', 'report', 'recycle', 'successor', 'status', 'spooled', 'load'];

/** Whether a message claims to be one of the worker's own (marked, its `t` one of ours). */
export function isTsgiMessageType(m: unknown): boolean {
  return isMarked(m) && WORKER_MESSAGE_TYPES.includes((m as { t?: unknown }).t as string);
}

/**
 * A worker's IPC message checked field by field, or undefined. Workers run the
 * app's code with the IPC channel open, so anything may arrive there (a library
 * using process.send for its own ends): the master acts only on messages whose
 * every field it will read has the type and range it expects.
 */
export function parseWorkerMessage(m: unknown): WorkerMessage | undefined {
  if (!isMarked(m)) return undefined;
  const o = m as Record<string, unknown>;
  switch (o['t']) {
    case 'ready':
      return isCount(o['startupMs']) ? { t: 'ready', startupMs: o['startupMs'] } : undefined;
    case 'report':
      return isCounters(o['c']) ? { t: 'report', c: o['c'] } : undefined;
    case 'recycle':
    case 'successor':
      return isReason(o['reason']) && isText(o['detail'], 1000) ? { t: o['t'], reason: o['reason'], detail: o['detail'] } : undefined;
    case 'status':
      return isText(o['text']) ? { t: 'status', text: o['text'] } : undefined;
    case 'spooled':
      return isText(o['dir'], 4096) ? { t: 'spooled', dir: o['dir'] } : undefined;
    case 'load':
      return Number.isSafeInteger(o['taken']) && isCount(o['taken']) && Number.isSafeInteger(o['busy']) && isCount(o['busy'])
        ? { t: 'load', taken: o['taken'], busy: o['busy'] }
        : undefined;
    default:
      return undefined;
  }
}

/**
 * The request vars the stats may show: what makes `cores[].vars` useful (what is being
 * served, to whom, through which host) and nothing that authenticates anyone. Anyone who can
 * reach a stats server reads them, so headers are allowed by name rather than denied:
 * cookies, `Authorization`, API keys and tokens never leave the worker, however a client
 * or a proxy spells them (the stats filter again: app code in a worker may send anything).
 */
export const PUBLIC_VARS: ReadonlySet<string> = new Set([
  'REQUEST_METHOD',
  'REQUEST_URI',
  'PATH_INFO',
  'QUERY_STRING',
  'SCRIPT_NAME',
  'SERVER_PROTOCOL',
  'SERVER_NAME',
  'SERVER_PORT',
  'REMOTE_ADDR',
  'REMOTE_PORT',
  'HTTPS',
  'UWSGI_SCHEME',
  'CONTENT_TYPE',
  'CONTENT_LENGTH',
  'HTTP_HOST',
  'HTTP_USER_AGENT',
  'HTTP_ACCEPT',
  'HTTP_ACCEPT_ENCODING',
  'HTTP_ACCEPT_LANGUAGE',
  'HTTP_CONNECTION',
  'HTTP_CONTENT_TYPE',
  'HTTP_CONTENT_LENGTH',
  'HTTP_X_FORWARDED_FOR',
  'HTTP_X_FORWARDED_PROTO',
  'HTTP_X_FORWARDED_HOST',
  'HTTP_X_REAL_IP',
]);

/**
 * What a worker slot keeps across its processes (uWSGI's per-slot shared memory), as
 * both the master's slot table and the stats read it.
 */
export interface SlotFigures {
  id: number;
  everSpawned: boolean;
  /** counters of the slot's dead processes, so slot totals survive respawns */
  base: { requests: number; exceptions: number; tx: number; runningTime: number; cores: number[]; responses5xx?: number };
  avgRt: number;
  respawnCount: number;
  /** epoch s of the last spawn */
  lastSpawn: number;
  harakiriCount: number;
  /** ms epoch before which no respawn is tried */
  nextSpawnAt: number;
  /** why its last process went (a recycle reason, `crash`, `app-load-failed`), or '' */
  lastReason: string;
}
