/**
 * The option table: the one declaration of every tsgi option. The ini reader, the command
 * line, `--help`, `--show-config` and docs/options.md are all driven from it, so an option
 * exists in exactly one place (docs/conventions.md, "One option table").
 *
 * Names, defaults and units follow uWSGI 2.0 unless the doc line says otherwise.
 */
import { checkJsonKeys, checkLogFormat, checkLogPrefix, checkLogTarget } from './logging.js';

/** How a value is read and validated; see values.ts for each parser. */
export type OptionType =
  | 'int' // non-negative integer
  | 'number' // non-negative, may be fractional (seconds)
  | 'bool'
  | 'string'
  | 'path'
  | 'address' // host:port, :port, [v6]:port or a unix socket path
  | 'megabytes' // integer MiB, kept in MiB
  | 'priority' // a nice value, -20 (served first) to 19
  | 'enum'
  | 'mode' // octal file mode such as 660
  | 'keyvalue'; // KEY=VALUE

/** Sections of `--help` and docs/options.md, in display order. */
export const OPTION_GROUPS = {
  app: 'Application',
  sockets: 'Sockets',
  processes: 'Master and workers',
  logging: 'Logging',
  reload: 'Reloading and shutdown',
  health: 'Keeping workers healthy',
  cheaper: 'Adaptive workers (cheaper mode and idle)',
  stats: 'Stats',
  spooler: 'Spooler',
} as const;

export type OptionGroup = keyof typeof OPTION_GROUPS;

/** `active` options work; `planned` ones are accepted, warned about and ignored. */
export type OptionStatus = 'active' | 'planned';

/** One option of the table. */
export interface OptionSpec {
  /** The uWSGI name, as written in ini files and after `--` on the command line. */
  readonly name: string;
  /** Other long names accepted everywhere (`workers` for `processes`). */
  readonly aliases?: readonly string[];
  /** Single-letter command-line flag, as uWSGI's (`p` for `-p`). */
  readonly short?: string;
  readonly type: OptionType;
  /** Allowed values of an `enum` option. */
  readonly values?: readonly string[];
  /** Value when the option is not set; repeatable options default to an empty list. */
  readonly default?: number | boolean | string;
  /** Default computed at load time, shown in docs as this text. */
  readonly dynamicDefault?: 'cpus';
  /** Inclusive bounds for numeric options, checked after parsing. */
  readonly min?: number;
  readonly max?: number;
  readonly unit?: 'seconds' | 'milliseconds' | 'bytes' | 'MiB' | 'percent' | 'requests' | 'workers' | 'connections';
  /** Every occurrence is kept, in order (uWSGI's list options). */
  readonly repeatable?: boolean;
  readonly status: OptionStatus;
  readonly group: OptionGroup;
  /** One line of meaning, for `--help` and the docs. */
  readonly doc: string;
  /** What a bare key (`logdate` alone) or an empty value means, for an option that is not a boolean. */
  readonly bare?: string;
  /**
   * The value is a template of its own (`logformat`): a `%(name)` that names nothing in the
   * ini files is kept as written, for the template to read, as uWSGI keeps it.
   */
  readonly template?: boolean;
  /** A further check of the value once read: why it is refused, or undefined. */
  readonly check?: (value: string) => string | undefined;
}

const A = 'active';
const P = 'planned';

/** Every option, grouped as they appear in `--help`. */
export const OPTIONS: readonly OptionSpec[] = [
  // Application
  { name: 'app', type: 'path', status: A, group: 'app', doc: 'module to load in each worker; `./server.js:name` picks a named export' },
  { name: 'callable', type: 'string', status: A, group: 'app', doc: 'export of the app module to serve (default: the default export)' },
  { name: 'chdir', type: 'path', status: A, group: 'app', doc: 'directory to change to before loading the app' },
  { name: 'env', type: 'keyvalue', repeatable: true, status: A, group: 'app', doc: 'KEY=VALUE set in the environment of the workers' },
  { name: 'set-placeholder', aliases: ['set-ph'], type: 'keyvalue', repeatable: true, status: A, group: 'app', doc: 'NAME=VALUE that ini values can use as %(NAME), as in uWSGI (an unknown key used as %(key) is one too)' },
  { name: 'argv', aliases: ['pyargv'], type: 'string', status: A, group: 'app', doc: 'arguments the app sees in process.argv after the script (uWSGI pyargv)' },
  { name: 'node-args', type: 'string', repeatable: true, status: A, group: 'app', doc: 'Node options for every worker and spooler process, after the master\'s own: `--import tsx` (a .ts app), `--require dd-trace/init` (an APM agent loaded before the app), `--max-old-space-size=512`; split on spaces, quotes group (PM2\'s node_args)' },
  { name: 'need-app', type: 'bool', default: false, status: A, group: 'app', doc: 'exit non-zero when the app cannot be loaded instead of respawning' },
  { name: 'lazy-apps', type: 'bool', default: false, status: A, group: 'app', doc: 'accepted for uWSGI files; workers always load the app after fork' },
  { name: 'lazy', type: 'bool', default: false, status: A, group: 'app', doc: 'accepted for uWSGI files; workers always load the app after fork' },

  // Sockets
  { name: 'http-socket', type: 'address', repeatable: true, status: A, group: 'sockets', doc: 'socket on which the workers speak HTTP: host:port, :port or a unix socket path' },
  { name: 'socket', short: 's', type: 'address', repeatable: true, status: A, group: 'sockets', doc: 'socket speaking the uwsgi binary protocol (nginx uwsgi_pass)' },
  { name: 'http', type: 'address', repeatable: true, status: A, group: 'sockets', doc: 'HTTP router in the master: accepts and hands each connection to the least busy worker' },
  { name: 'http-sticky', type: 'bool', default: false, status: A, group: 'sockets', doc: 'the `http` router hands every connection from one client address to the same worker (rendezvous hashing onto the worker slots) instead of the least busy one: for socket.io/engine.io long-polling and SockJS; behind a proxy all clients share its address (tsgi)' },
  { name: 'protocol', type: 'enum', values: ['uwsgi', 'http'], default: 'uwsgi', status: A, group: 'sockets', doc: 'protocol spoken on `socket` sockets' },
  { name: 'listen', short: 'l', type: 'int', default: 100, min: 1, status: A, group: 'sockets', doc: 'listen backlog of every socket (capped by net.core.somaxconn)' },
  { name: 'chmod-socket', type: 'mode', status: A, group: 'sockets', doc: 'file mode of unix sockets, octal; a bare `chmod-socket` means 666' },
  { name: 'chown-socket', type: 'string', status: A, group: 'sockets', doc: 'owner of unix app sockets, `user[:group]` (names or numbers), set before the socket file appears at its path; without a group the group is kept' },
  { name: 'socket-timeout', short: 'z', type: 'number', default: 4, min: 0.1, unit: 'seconds', status: A, group: 'sockets', doc: 'a request head (HTTP headers, uwsgi vars packet) must arrive within this (408, or a close for uwsgi), and a body being read must not stall longer (408)' },
  { name: 'body-read-timeout', type: 'number', default: 300, unit: 'seconds', status: A, group: 'sockets', doc: 'the whole request, body included, must arrive within this; else 408 and the connection is closed (tsgi; 0: off)' },
  { name: 'http-keepalive', type: 'number', default: 5, unit: 'seconds', status: A, group: 'sockets', doc: 'an idle keep-alive connection is closed after this (0: no keep-alive, every response closes its connection)' },
  { name: 'max-conn', type: 'int', default: 4096, unit: 'connections', status: A, group: 'sockets', doc: 'open client connections per worker; one more is answered 503 and closed (tsgi; 0: no cap)' },
  { name: 'buffer-size', short: 'b', type: 'int', default: 16384, min: 1, unit: 'bytes', status: A, group: 'sockets', doc: 'largest request head (request line and headers; for uwsgi sockets the HTTP head made of the vars): a larger one is answered 431 and its connection closed, the worker goes on (default Node\'s 16 KiB, where uWSGI\'s is 4 KiB)' },
  { name: 'limit-post', type: 'int', default: 0, max: Number.MAX_SAFE_INTEGER, unit: 'bytes', status: A, group: 'sockets', doc: 'largest request body: a larger Content-Length is answered 413 before the app is called (no 100 Continue), a chunked body is cut at the limit (413 if nothing was sent yet); the connection closes, the worker goes on (0: no limit; uWSGI drops such a request unanswered)' },

  // Master and workers
  { name: 'processes', aliases: ['workers'], short: 'p', type: 'int', dynamicDefault: 'cpus', min: 1, unit: 'workers', status: A, group: 'processes', doc: 'number of workers (the maximum in cheaper mode)' },
  { name: 'master', short: 'M', type: 'bool', default: true, status: A, group: 'processes', doc: 'accepted for uWSGI files; tsgi always runs a master' },
  { name: 'threads', type: 'int', default: 1, min: 1, status: A, group: 'processes', doc: 'concurrent requests per worker, shown as cores in stats' },
  { name: 'auto-procname', type: 'bool', default: false, status: A, group: 'processes', doc: 'name processes `tsgi master`, `tsgi worker N` in ps and top' },
  { name: 'procname-prefix', type: 'string', status: A, group: 'processes', doc: 'text put before every process name' },
  { name: 'procname-prefix-spaced', type: 'string', status: A, group: 'processes', doc: 'like procname-prefix, followed by a space' },
  { name: 'procname-master', type: 'string', status: A, group: 'processes', doc: 'process name of the master' },
  { name: 'pidfile', type: 'path', status: A, group: 'processes', doc: 'file to write the master pid to' },
  { name: 'vacuum', type: 'bool', default: false, status: A, group: 'processes', doc: 'remove the pidfile and unix sockets on exit' },
  { name: 'prio', type: 'priority', min: -20, max: 19, status: A, group: 'processes', doc: 'scheduling priority (nice value) of the master and of every process it starts; only root lowers it' },
  { name: 'worker-prio', type: 'priority', min: -20, max: 19, status: A, group: 'processes', doc: 'nice value of the workers alone (tsgi): above the master\'s, the master (stats, signals, the http router) keeps its CPU when the workers saturate the machine' },
  { name: 'uid', type: 'string', status: A, group: 'processes', doc: 'user (name or number) to run as after binding the sockets' },
  { name: 'gid', type: 'string', status: A, group: 'processes', doc: 'group (name or number) to run as after binding the sockets' },
  { name: 'umask', type: 'mode', status: A, group: 'processes', doc: 'file-creation mask of the master and of every process it starts, octal, set before any socket or file is created (unix sockets still get exactly chmod-socket)' },
  { name: 'daemonize', short: 'd', type: 'path', status: A, group: 'processes', doc: 'detach from the terminal and log to this file' },

  // Logging
  { name: 'logto', type: 'path', status: A, group: 'logging', doc: 'log to this file instead of stderr' },
  { name: 'disable-logging', short: 'L', type: 'bool', default: false, status: A, group: 'logging', doc: 'turn off the request log (one line per request)' },
  { name: 'log-4xx', type: 'bool', default: false, status: A, group: 'logging', doc: 'log requests answered with a 4xx status, even with disable-logging' },
  { name: 'log-5xx', type: 'bool', default: false, status: A, group: 'logging', doc: 'log requests answered with a 5xx status, even with disable-logging' },
  { name: 'log-slow', type: 'int', default: 0, unit: 'milliseconds', status: A, group: 'logging', doc: 'log requests that took at least this long, even with disable-logging (0: off)' },
  { name: 'log-big', type: 'int', default: 0, unit: 'bytes', status: A, group: 'logging', doc: 'log responses with a body of at least this size, even with disable-logging (0: off)' },
  { name: 'log-zero', type: 'bool', default: false, status: A, group: 'logging', doc: 'log responses without a body, even with disable-logging' },
  { name: 'log-micros', type: 'bool', default: false, status: A, group: 'logging', doc: 'request log times in microseconds ("in 250 micros") instead of milliseconds' },
  { name: 'log-x-forwarded-for', type: 'bool', default: false, status: A, group: 'logging', doc: 'request log shows the X-Forwarded-For header instead of the peer address (behind a proxy)' },
  { name: 'logformat', aliases: ['log-format'], type: 'string', template: true, check: checkLogFormat, status: A, group: 'logging', doc: 'request log line as uWSGI writes it: text and %(addr) %(method) %(uri) %(status) %(msecs) %(size) %(ltime) %(uagent) %(referer) %(pid) %(wid) ... (docs/logging.md); an empty value prints -' },
  { name: 'log-json', type: 'string', bare: 'true', check: checkJsonKeys, status: A, group: 'logging', doc: 'request log as one JSON object per line, uWSGI\'s variable names as keys: `true` for isotime addr method uri proto status size msecs referer uagent host pid wid, or your own list of names (tsgi)' },
  { name: 'logdate', aliases: ['log-date'], type: 'string', bare: 'true', status: A, group: 'logging', doc: 'date at the head of every line but request lines (the master\'s and the app\'s output): `true` for uWSGI\'s "Sat Nov 21 23:29:21 2026 - ", or a strftime format (%%Y-%%m-%%d %%H:%%M:%%S in an ini file)' },
  { name: 'log-prefix', type: 'string', template: true, check: checkLogPrefix, status: A, group: 'logging', doc: 'text before every line but request lines, after the date: strftime conversions and %(wid), %(pid) of the process that wrote it (0 for the master and spoolers), e.g. [worker %(wid) pid %(pid)]' },
  { name: 'log-maxsize', type: 'int', default: 0, unit: 'bytes', status: A, group: 'logging', doc: 'rotate a log file once it passes this size: renamed to FILE.<unix time> (or log-backupname) and opened anew, no line lost or cut (0: never)' },
  { name: 'log-backupname', type: 'path', status: A, group: 'logging', doc: 'name the logto file is renamed to by a rotation, instead of FILE.<unix time>; overwritten by the next rotation, as in uWSGI' },
  { name: 'log-reopen', type: 'bool', default: false, status: A, group: 'logging', doc: 'reopen the log files on every reload (SIGHUP), as fifo `l` does' },
  { name: 'touch-logreopen', type: 'path', repeatable: true, status: A, group: 'logging', doc: 'reopen the log files when the mtime of this file changes (a logrotate postrotate: touch FILE)' },
  { name: 'touch-logrotate', type: 'path', repeatable: true, status: A, group: 'logging', doc: 'rotate the log files, as log-maxsize does, when the mtime of this file changes' },
  { name: 'logger', type: 'string', repeatable: true, check: checkLogTarget, status: A, group: 'logging', doc: 'where the master\'s and the app\'s lines go, instead of logto or stderr (and the request lines too, without req-logger): file:PATH, file:logfile=PATH,maxsize=N,backupname=NAME, or stdio' },
  { name: 'req-logger', aliases: ['logger-req'], type: 'string', repeatable: true, check: checkLogTarget, status: A, group: 'logging', doc: 'where the request lines go, instead of the main log: file:PATH, file:logfile=PATH,maxsize=N,backupname=NAME, or stdio' },
  { name: 'logfile-chmod', type: 'mode', status: A, group: 'logging', doc: 'file mode of the log files (logto, daemonize, logger and req-logger files, and the new file of every rotation or reopen), octal, set each time tsgi opens one; default: 644 less the umask for a file it creates, an existing file keeps its own' },
  { name: 'logfile-chown', type: 'bool', default: false, status: A, group: 'logging', doc: 'accepted for uWSGI files; with uid or gid the log files are always handed to the user the master drops to' },
  { name: 'log-master', type: 'bool', default: true, status: A, group: 'logging', doc: 'accepted for uWSGI files; the master always writes the log (workers and spoolers send it their lines)' },

  // Reloading and shutdown
  { name: 'die-on-term', type: 'bool', default: false, status: A, group: 'reload', doc: 'SIGTERM shuts down gracefully instead of a brutal reload (set it under docker and systemd)' },
  { name: 'touch-reload', type: 'path', repeatable: true, status: A, group: 'reload', doc: 'gracefully reload when the mtime of this file changes' },
  { name: 'touch-workers-reload', type: 'path', repeatable: true, status: A, group: 'reload', doc: 'gracefully reload the workers only (the config is not re-read, as fifo w) when the mtime of this file changes' },
  { name: 'touch-chain-reload', type: 'path', repeatable: true, status: A, group: 'reload', doc: 'chain reload (workers replaced one at a time, each successor ready before the next goes, as fifo c) when the mtime of this file changes' },
  { name: 'master-fifo', type: 'path', repeatable: true, status: A, group: 'reload', doc: 'FIFO accepting one-letter commands (r R w W c q Q p C + - s l)' },
  { name: 'probes', type: 'address', status: A, group: 'reload', doc: 'serve only /readyz and /livez over HTTP on this address, for a platform that probes without the stats (tsgi)' },
  { name: 'shutdown-delay', type: 'number', default: 0, unit: 'seconds', status: A, group: 'reload', doc: 'on a graceful shutdown (die-on-term SIGTERM, fifo q) /readyz answers 503 at once and the workers keep serving this long before they drain, so load balancers stop sending first (tsgi)' },
  { name: 'worker-reload-mercy', type: 'number', default: 60, unit: 'seconds', status: A, group: 'reload', doc: 'time a retiring worker gets to finish its requests before SIGKILL' },
  { name: 'reload-mercy', type: 'number', default: 0, unit: 'seconds', status: A, group: 'reload', doc: 'on a reload (graceful, chain, workers only) or a graceful shutdown, a retiring worker or spooler gets at most this long before SIGKILL, when it is below worker-reload-mercy (0: worker-reload-mercy alone); recycles keep worker-reload-mercy (what uWSGI\'s help says; its 2.0 code applies it to attached daemons only)' },
  { name: 'reload-surge', type: 'int', default: 0, unit: 'workers', status: A, group: 'reload', doc: 'successors that start at once while the workers they replace still serve (graceful reload, max-requests and the other recycles): a start takes a core for a moment, and the requests the old workers serve wait for it; 0: half the CPUs, at least 1' },
  { name: 'websocket-drain', type: 'number', default: 5, unit: 'seconds', status: A, group: 'reload', doc: 'time the WebSockets (any upgraded connection) of a draining worker get to end on their own; then each open one gets a close frame 1001 "going away" and its TCP close (keep it well inside worker-reload-mercy)' },

  // Keeping workers healthy
  { name: 'harakiri', short: 't', type: 'int', default: 0, unit: 'seconds', status: A, group: 'health', doc: 'kill and replace a worker whose request runs longer than this (0: off)' },
  { name: 'harakiri-verbose', type: 'bool', default: false, status: A, group: 'health', doc: 'log details of the request that triggered harakiri' },
  { name: 'max-requests', short: 'R', type: 'int', default: 0, unit: 'requests', status: A, group: 'health', doc: 'recycle a worker after this many requests (0: never); its successor is started about a second ahead, so serving never pauses' },
  { name: 'max-requests-delta', type: 'int', default: 0, unit: 'requests', status: A, group: 'health', doc: 'worker i recycles at max-requests + (i-1)*delta, so workers do not recycle at once' },
  { name: 'min-worker-lifetime', type: 'int', default: 10, unit: 'seconds', status: A, group: 'health', doc: 'a worker younger than this is not recycled by max-requests or reload-on-rss/as' },
  { name: 'max-worker-lifetime', type: 'int', default: 0, unit: 'seconds', status: A, group: 'health', doc: 'recycle a worker after it has run this long (0: never)' },
  { name: 'max-worker-lifetime-delta', type: 'int', default: 0, unit: 'seconds', status: A, group: 'health', doc: 'worker i recycles at max-worker-lifetime + (i-1)*delta' },
  { name: 'reload-on-rss', type: 'megabytes', default: 0, unit: 'MiB', status: A, group: 'health', doc: 'gracefully recycle a worker whose resident memory exceeds this (0: off)' },
  { name: 'reload-on-as', type: 'megabytes', default: 0, unit: 'MiB', status: A, group: 'health', doc: 'gracefully recycle a worker whose address space (VSZ) exceeds this (0: off)' },
  { name: 'evil-reload-on-rss', type: 'megabytes', default: 0, unit: 'MiB', status: A, group: 'health', doc: 'SIGKILL a worker whose resident memory exceeds this, without waiting (0: off)' },
  { name: 'evil-reload-on-as', type: 'megabytes', default: 0, unit: 'MiB', status: A, group: 'health', doc: 'SIGKILL a worker whose address space exceeds this, without waiting (0: off)' },
  { name: 'worker-start-timeout', type: 'number', default: 60, unit: 'seconds', status: A, group: 'health', doc: 'a worker not ready this long after its spawn is killed and counted as a boot failure (0: wait forever)' },
  { name: 'forkbomb-delay', type: 'number', default: 2, unit: 'seconds', status: A, group: 'health', doc: 'first delay before respawning a worker that keeps dying at start (0: no backoff)' },
  { name: 'respawn-backoff-max', type: 'number', default: 30, unit: 'seconds', status: A, group: 'health', doc: 'longest delay of the crash-loop backoff; respawns keep probing at this pace' },
  { name: 'rebalance', type: 'bool', default: true, status: A, group: 'health', doc: 'a busy worker beside an idle one closes some keep-alive connections after a response, so the clients reconnect to the idle one (tsgi)' },
  { name: 'on-app-error', type: 'enum', values: ['retire', 'keep', 'exit'], default: 'retire', status: A, group: 'health', doc: 'after an uncaught exception or unhandled rejection in app code: retire the worker gracefully once a successor is ready, keep it, or exit at once (tsgi)' },
  { name: 'memory-report', type: 'bool', default: false, status: A, group: 'health', doc: 'sample rss and vsz of every worker (shown in stats)' },

  // Adaptive workers
  { name: 'cheaper', type: 'int', default: 0, unit: 'workers', status: A, group: 'cheaper', doc: 'minimum number of workers; above 0 turns cheaper mode on' },
  { name: 'cheaper-initial', type: 'int', default: 0, unit: 'workers', status: A, group: 'cheaper', doc: 'workers started at boot in cheaper mode (0: the value of cheaper)' },
  { name: 'cheaper-step', type: 'int', default: 1, min: 1, unit: 'workers', status: A, group: 'cheaper', doc: 'workers spawned at once when the load rises' },
  { name: 'cheaper-overload', type: 'int', default: 3, min: 1, unit: 'seconds', status: A, group: 'cheaper', doc: 'how long the load must last before spawning (a queue length for backlog)' },
  { name: 'cheaper-algo', type: 'enum', values: ['spare', 'backlog', 'busyness'], default: 'busyness', status: A, group: 'cheaper', doc: 'algorithm deciding when to spawn and retire workers (busyness: event-loop utilisation, the right signal for Node)' },
  { name: 'cheaper-busyness-max', type: 'int', default: 50, max: 100, unit: 'percent', status: A, group: 'cheaper', doc: 'busyness: spawn when average event-loop utilisation is above this' },
  { name: 'cheaper-busyness-min', type: 'int', default: 25, max: 100, unit: 'percent', status: A, group: 'cheaper', doc: 'busyness: retire a worker when average utilisation is below this' },
  { name: 'cheaper-busyness-multiplier', type: 'int', default: 10, min: 1, status: A, group: 'cheaper', doc: 'busyness: cheaper-overload periods to wait before retiring a worker' },
  { name: 'cheaper-busyness-penalty', type: 'int', default: 2, status: A, group: 'cheaper', doc: 'busyness: added to the multiplier when a retired worker had to come back' },
  { name: 'cheaper-busyness-backlog-alert', type: 'int', default: 33, unit: 'requests', status: A, group: 'cheaper', doc: 'busyness: spawn at once when the listen queue exceeds this' },
  { name: 'cheaper-busyness-backlog-step', type: 'int', default: 1, min: 1, unit: 'workers', status: A, group: 'cheaper', doc: 'busyness: workers spawned on a backlog alert' },
  { name: 'idle', type: 'int', default: 0, unit: 'seconds', status: A, group: 'cheaper', doc: 'go cheap (stop all workers) after this long without a request (0: never)' },
  { name: 'cheap', type: 'bool', default: false, status: A, group: 'cheaper', doc: 'start cheap: spawn workers only when the first connection arrives' },
  { name: 'die-on-idle', type: 'bool', default: false, status: A, group: 'cheaper', doc: 'shut down instead of going cheap when idle' },

  // Stats
  { name: 'stats', type: 'address', status: A, group: 'stats', doc: 'stats server address: each connection gets the JSON document, then closes' },
  { name: 'stats-http', type: 'bool', default: false, status: A, group: 'stats', doc: 'serve stats over HTTP (GET /, /metrics, WebSocket /ws)' },
  { name: 'stats-minified', aliases: ['stats-min'], type: 'bool', default: false, status: A, group: 'stats', doc: 'compact JSON instead of the tab-indented default' },
  { name: 'stats-push', type: 'number', default: 1, min: 0.1, unit: 'seconds', status: A, group: 'stats', doc: 'interval of the WebSocket snapshots (in uWSGI this option names a pusher)' },
  { name: 'stats-no-cores', type: 'bool', default: false, status: A, group: 'stats', doc: 'leave the per-core details out of the stats document' },
  { name: 'stats-chmod', type: 'mode', status: A, group: 'stats', doc: 'file mode of a unix stats socket, octal (tsgi; default 600, whatever chmod-socket says: the stats show every request in flight)' },
  { name: 'stats-http-cors', type: 'string', status: A, group: 'stats', doc: 'web origin (such as `https://dash.example`, or `*`) sent as Access-Control-Allow-Origin by stats-http and allowed to open /ws (tsgi; default none, where uWSGI sends `*`)' },
  { name: 'stats-http-allow-host', type: 'string', repeatable: true, status: A, group: 'stats', doc: 'Host name stats-http answers besides IP addresses, localhost and the name it is bound to (tsgi; `*` for any): others get 403, against DNS rebinding' },
  { name: 'stats-http-dashboard', type: 'bool', default: true, status: A, group: 'stats', doc: 'serve the live dashboard page to a browser asking stats-http for `GET /` with `Accept: text/html` (tsgi; other clients get the JSON document as always)' },
  { name: 'stats-http-actions-token', type: 'string', status: A, group: 'stats', doc: 'turn on the dashboard\'s reload, chain reload and +/- worker buttons for same-origin requests that carry this token, at least 16 characters (tsgi; default off: the dashboard is read-only; see docs/security.md)' },

  // Spooler
  { name: 'spooler', short: 'Q', type: 'path', repeatable: true, status: A, group: 'spooler', doc: 'directory of a durable task queue, served by spooler processes' },
  { name: 'spooler-processes', type: 'int', default: 1, min: 1, status: A, group: 'spooler', doc: 'spooler processes per spooler directory' },
  { name: 'spooler-frequency', aliases: ['spooler-freq'], type: 'int', default: 30, min: 1, unit: 'seconds', status: A, group: 'spooler', doc: 'how often spoolers rescan for due and retried tasks' },
  { name: 'spooler-import', type: 'path', status: A, group: 'spooler', doc: 'module defining the task handlers, loaded in the spooler processes' },
  { name: 'spooler-quiet', type: 'bool', default: false, status: A, group: 'spooler', doc: 'do not log each task run' },
  { name: 'spooler-max-tasks', type: 'int', default: 0, status: A, group: 'spooler', doc: 'recycle a spooler after this many tasks (0: never)' },
  { name: 'spooler-harakiri', type: 'int', default: 0, unit: 'seconds', status: A, group: 'spooler', doc: 'kill a task running longer than this (0: off)' },
];

const byName = new Map<string, OptionSpec>();
const byShort = new Map<string, OptionSpec>();
for (const spec of OPTIONS) {
  for (const name of [spec.name, ...(spec.aliases ?? [])]) byName.set(name, spec);
  if (spec.short !== undefined) byShort.set(spec.short, spec);
}

/** Keys may be written with `_` or `-` (a deliberate difference from uWSGI, which needs `-`). */
export function normaliseKey(key: string): string {
  return key.replace(/_/g, '-');
}

/** The option named `key` (name or alias, `_` or `-`), or undefined. */
export function findOption(key: string): OptionSpec | undefined {
  return byName.get(normaliseKey(key));
}

/** The option of a single-letter flag (`p` → processes), or undefined. */
export function findShortOption(letter: string): OptionSpec | undefined {
  return byShort.get(letter);
}

/** Every long name the reader accepts (names and aliases), for suggestions. */
export function knownOptionNames(): string[] {
  return [...byName.keys()];
}

/** The TsgiConfig field of an option: `http-socket` → `httpSocket`. */
export function fieldName(optionName: string): string {
  return optionName.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
