/**
 * The uWSGI options that are not in the option table, and what tsgi says about each:
 *
 * - accepted and ignored, with a one-line warning saying why: options that tune something a
 *   Node worker does not have (an accept lock, threads, the Python GIL and interpreters,
 *   body buffering) or that ask for what tsgi always does. Ignoring them changes nothing the
 *   app relies on, so a uWSGI file carrying them starts;
 * - refused with a reason: uWSGI features tsgi does not have and whose absence would change
 *   what the deployment does (a hook not run, a mule not started, a route not applied).
 *
 * Every other uWSGI option is an unknown option, as a typo is (docs/options.md lists all three).
 */
import { UWSGI_OPTION_NAMES } from './uwsgi-names.js';

/** An accepted, ignored option. */
export interface IgnoredOption {
  /** How it is written on the command line: a bare `--flag` (uWSGI's no_argument), or `--name value`. */
  readonly takes: 'flag' | 'value';
  /** Why it means nothing for a Node worker, and what to use instead. */
  readonly reason: string;
  /** An option of uWSGI's Python plugin. */
  readonly python?: true;
  /** It names the Python app to load: with no `app`, the missing-app error points at it. */
  readonly loadsApp?: true;
}

const flag = (reason: string): IgnoredOption => ({ takes: 'flag', reason });
const value = (reason: string): IgnoredOption => ({ takes: 'value', reason });
const python = (takes: IgnoredOption['takes'], reason: string): IgnoredOption => ({ takes, reason, python: true });
const pythonApp: IgnoredOption = { takes: 'value', reason: 'use app = ./server.js', python: true, loadsApp: true };

const NO_THREADS = 'a Node worker serves its requests on one event loop and starts no thread per request';
const NO_BUFFERING = 'Node streams a request body to the app as it arrives, and a slow upload holds no worker; limit-post caps the size';
const WRITE_ERRORS = 'a write to a client that went away ends that response quietly in Node; it is neither an app error nor a log line';
const NO_MULES = 'tsgi has no mules';
const NODE_PATH = 'Node resolves modules itself; use env = NODE_PATH=dir if you need a search path';
const NO_VIRTUALENV = 'remove it; the app uses its own node_modules';
const AUTORELOAD = 'use touch-reload = file (touched by a file watcher in development)';
const IMPORT = 'import what the app needs from the app module';

/** uWSGI options accepted with a warning and no effect, by name. */
export const IGNORED_OPTIONS: Readonly<Record<string, IgnoredOption>> = {
  'thunder-lock': flag('Node has no cross-process accept lock; each worker accepts from the shared socket and the kernel gives every connection to one of them'),
  'single-interpreter': flag('it chooses between Python sub-interpreters; a Node worker runs its one app in one V8 isolate'),
  'enable-threads': flag('it initialises the Python GIL; a Node app starts worker_threads as it likes'),
  async: value('a Node worker serves many requests at once on its event loop already (threads = N sets the cores it shows in stats)'),
  'threads-stacksize': value(NO_THREADS),
  'thread-stacksize': value(NO_THREADS),
  'threads-stack-size': value(NO_THREADS),
  'thread-stack-size': value(NO_THREADS),
  'offload-threads': value('a Node worker writes responses without blocking its event loop: there is nothing to offload'),
  'offload-thread': value('a Node worker writes responses without blocking its event loop: there is nothing to offload'),
  'post-buffering': value(NO_BUFFERING),
  'post-buffering-bufsize': value(NO_BUFFERING),
  'body-read-warning': value(NO_BUFFERING),
  strict: flag('tsgi is always strict: an unknown option is an error'),
  'no-orphans': flag('always on: every worker exits within a second when the master dies'),
  'ignore-sigpipe': flag(WRITE_ERRORS),
  'ignore-write-errors': flag(WRITE_ERRORS),
  'disable-write-exception': flag(WRITE_ERRORS),
  reaper: flag('the master reaps its own children, and Node reaps the processes an app starts'),
  'close-on-exec': flag('Node opens every socket and file close-on-exec already'),
  'close-on-exec2': flag('Node opens every socket and file close-on-exec already'),
  'max-fd': value('Node raises the soft limit of open files to the hard limit at start; raise the hard one with LimitNOFILE= in the systemd unit or ulimit -Hn'),
  'cpu-affinity': value('not supported per worker; pin the instance with CPUAffinity= in the systemd unit or taskset (the default processes follows the CPUs it may use)'),
  'pcre-jit': flag('tsgi uses no PCRE'),
  'reload-on-exception': flag('on-app-error decides what an uncaught app exception does (default retire: the worker is replaced once its successor is ready)'),
  'http-timeout': value('the http router hands each connection to a worker, where socket-timeout, body-read-timeout and http-keepalive bound it'),
  'http-websockets': flag("always on: an HTTP Upgrade goes to the app's upgrade export or to the listeners setup(server) attached"),
  'http-auto-chunked': flag('always on: Node sends a keep-alive response without Content-Length chunked'),
  'mule-reload-mercy': value(NO_MULES),
  'mule-harakiri': value(NO_MULES),
  plugin: value('tsgi has no plugins; remove it'),
  plugins: value('tsgi has no plugins; remove it'),
  'manage-script-name': flag('tsgi serves one app and passes it the path as it came; strip a prefix in nginx or in the app'),

  'wsgi-file': pythonApp,
  file: pythonApp,
  wsgi: pythonApp,
  module: pythonApp,
  mount: pythonApp,
  eval: pythonApp,
  paste: pythonApp,
  'ini-paste': pythonApp,
  pecan: pythonApp,
  pythonpath: python('value', NODE_PATH),
  'python-path': python('value', NODE_PATH),
  pp: python('value', NODE_PATH),
  home: python('value', NO_VIRTUALENV),
  virtualenv: python('value', NO_VIRTUALENV),
  venv: python('value', NO_VIRTUALENV),
  pyhome: python('value', NO_VIRTUALENV),
  'py-autoreload': python('value', AUTORELOAD),
  'py-auto-reload': python('value', AUTORELOAD),
  'python-autoreload': python('value', AUTORELOAD),
  'python-auto-reload': python('value', AUTORELOAD),
  import: python('value', IMPORT),
  pyimport: python('value', IMPORT),
  'py-import': python('value', IMPORT),
  'python-import': python('value', IMPORT),
  'shared-import': python('value', IMPORT),
  'shared-pyimport': python('value', IMPORT),
  'shared-py-import': python('value', IMPORT),
  'shared-python-import': python('value', IMPORT),
  'py-tracebacker': python('value', 'SIGUSR2 logs what each worker is doing'),
  'py-call-osafterfork': python('flag', 'a Node worker handles its own signals'),
  'py-call-uwsgi-fork-hooks': python('flag', 'a Node worker handles its own signals'),
  optimize: python('value', 'remove it'),
  'no-site': python('flag', 'remove it'),
  'wsgi-disable-file-wrapper': python('flag', 'remove it'),
  'wsgi-env-behaviour': python('value', 'remove it'),
  'wsgi-env-behavior': python('value', 'remove it'),
};

/** A uWSGI option, or a family of them, refused with a reason. */
export interface RefusedOption {
  /** the name, or a pattern matching the family */
  readonly match: string | RegExp;
  /** how docs/options.md shows it */
  readonly shown: string;
  /** what to do instead */
  readonly reason: string;
}

const refuse = (match: string | RegExp, shown: string, reason: string): RefusedOption => ({ match, shown, reason });

/** uWSGI options refused with a reason instead of a suggestion. */
export const REFUSED_OPTIONS: readonly RefusedOption[] = [
  refuse(/^(ini|include|inherit)$/, '`ini`, `include`, `inherit`', 'give several --ini files on the command line instead'),
  refuse(/^(hook|exec)-/, '`hook-*`, `exec-*`', 'tsgi runs no hooks or commands at start-up phases: run them from the systemd unit (ExecStartPre=) or from the app'),
  refuse(/^(mule|mules|farm)$/, '`mule`, `mules`, `farm`', 'tsgi has no mules: run background work in the spooler (spooler = dir) or as a service of its own'),
  refuse(/^(smart-)?attach-(control-)?daemon2?$/, '`attach-daemon`, `smart-attach-daemon`, ...', 'tsgi supervises only its workers and spoolers: run other programs as systemd units of their own'),
  refuse(/^(cron|cron2|unique-cron)$/, '`cron`, `cron2`, `unique-cron`', 'tsgi runs no cron tasks: use a systemd timer or cron'),
  refuse(/^route(-|$)/, '`route`, `route-*`', 'tsgi has no internal routing: route in nginx or in the app'),
  refuse(/^(static-|check-static)/, '`static-*`, `check-static`', 'tsgi serves no static files: serve them with nginx or from the app'),
  refuse('add-header', '`add-header`', 'set response headers in the app or in nginx'),
  refuse(/^(https2?|ssl-socket|suwsgi-socket|http-to-https)$/, '`https`, `https2`, `ssl-socket`, `suwsgi-socket`, `http-to-https`', 'tsgi speaks no TLS: terminate it in nginx or the load balancer in front'),
  refuse('limit-as', '`limit-as`', "tsgi cannot cap a worker's address space: use evil-reload-on-as (or reload-on-as), or MemoryMax= in the systemd unit"),
];

/** The ignored option called `name` (normalised), if it is one. */
export function ignoredOption(name: string): IgnoredOption | undefined {
  return Object.hasOwn(IGNORED_OPTIONS, name) ? IGNORED_OPTIONS[name] : undefined;
}

/** Why the uWSGI option `name` (normalised) is refused, if it is. */
export function refusal(name: string): string | undefined {
  return REFUSED_OPTIONS.find(({ match }) => (typeof match === 'string' ? match === name : match.test(name)))?.reason;
}

/** True when `name` (normalised) is an option of uWSGI 2.0. */
export function isUwsgiOption(name: string): boolean {
  return UWSGI_OPTION_NAMES.has(name);
}
