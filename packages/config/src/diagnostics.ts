/**
 * Diagnostics: the stable codes, their one-line meaning (rendered into docs/options.md),
 * the record returned by loadConfig, and the "did you mean" suggestion.
 * Codes are never reused for a different meaning (docs/conventions.md, "Coded errors").
 */

/** Every diagnostic code, whether it is an error or a warning, and what it means. */
export const DIAGNOSTIC_CODES = {
  TSGI_CONFIG_FILE_NOT_FOUND: ['error', 'an ini file given with --ini (or as `*.ini`) does not exist'],
  TSGI_CONFIG_FILE_UNREADABLE: ['error', 'an ini file exists but cannot be read (permissions), or is not a regular file (a directory, FIFO, device) or is larger than 1 MiB'],
  TSGI_CONFIG_NO_SECTION: ['error', 'the file has no `[tsgi]` or `[uwsgi]` section, or not the one asked for with `file:section`'],
  TSGI_CONFIG_SYNTAX: ['error', 'a line is neither `[section]`, a comment, nor `key = value` (for example `[prod` or `= 4`)'],
  TSGI_CONFIG_OUTSIDE_SECTION: ['warning', 'a `key = value` line before the first section header; it is ignored, as in uWSGI'],
  TSGI_CONFIG_UNKNOWN_OPTION: ['error', 'an option tsgi does not know, in a file or on the command line; the message suggests the nearest known name'],
  TSGI_CONFIG_PYTHON_OPTION: ['warning', 'a uWSGI option that only makes sense for Python (`wsgi-file`, `module`, `virtualenv`, `pythonpath`, ...); it is ignored, and the message says what to use instead (with no `app`, the missing-app error names it too)'],
  TSGI_CONFIG_IGNORED_OPTION: ['warning', 'a uWSGI option with no meaning for a Node worker (`thunder-lock`, `post-buffering`, `threads-stacksize`, ...) or asking for what tsgi always does (`strict`, `no-orphans`); it is accepted so that uWSGI files load, ignored, and the message says why'],
  TSGI_CONFIG_INVALID_VALUE: ['error', 'a value of the wrong type (`processes = abc`, `listen = -1`, `http-socket = 8080`, ...)'],
  TSGI_CONFIG_MISSING_VALUE: ['error', 'an option that needs a value was given bare (`processes` without `=`, `--processes` at the end)'],
  TSGI_CONFIG_OUT_OF_RANGE: ['error', 'a number outside the bounds of its option (`processes = 0`, `cheaper-busyness-max = 150`); every number is at most 2147483647, as in uWSGI'],
  TSGI_CONFIG_UNKNOWN_PLACEHOLDER: ['error', 'an unknown magic variable such as `%z`, or a `%(name)` that names nothing set in the ini files'],
  TSGI_CONFIG_BAD_PLACEHOLDER: ['error', 'a malformed `$(...)` or `%(...)`: unterminated, not a variable name, a reference to itself, or arithmetic on text'],
  TSGI_CONFIG_INCLUDE_UNREADABLE: ['error', 'the file named by `@(path)` in a value cannot be read'],
  TSGI_CONFIG_INCLUDE_REJECTED: ['error', '`@(path)` names something other than a regular file (a directory, FIFO, device or socket) or a file larger than 64 KiB (the longest value)'],
  TSGI_CONFIG_EXPANSION_LIMIT: ['error', 'a value grows beyond 64 KiB once `%(...)`, `@(...)` and `$(...)` are expanded, references or `@(...)` nest deeper than 32, or `%(a * b)` leaves the 64-bit integer range'],
  TSGI_CONFIG_UNSET_ENV: ['error', '`$(NAME)` names an environment variable that is not set and has no `:-default`'],
  TSGI_CONFIG_PATH_NOT_FOUND: ['error', '`chdir`, `app` or `spooler-import` names a path that does not exist (checked at every load, so a reload with it keeps the old config)'],
  TSGI_CONFIG_PATH_WRONG_TYPE: ['error', '`chdir` or a `spooler` is not a directory (or a file is in the way of creating it), `app` or `spooler-import` is not a file, or an existing `master-fifo` is not a FIFO'],
  TSGI_CONFIG_SPOOLER_NOT_WRITABLE: ['error', 'a `spooler` directory is not writable, or does not exist and its nearest existing parent is not writable'],
  TSGI_CONFIG_NO_APP: ['error', 'no `app` is configured'],
  TSGI_CONFIG_NO_SOCKET: ['error', 'no `http-socket` (nor `socket` or `http`) is configured'],
  TSGI_CONFIG_APP_CONFLICT: ['error', '`app = file:name` and `callable` both name the export'],
  TSGI_CONFIG_CHEAPER_TOO_HIGH: ['error', '`cheaper` is not lower than `processes`'],
  TSGI_CONFIG_CHEAPER_INITIAL_RANGE: ['error', '`cheaper-initial` is outside [`cheaper`, `processes`]'],
  TSGI_CONFIG_BUSYNESS_ORDER: ['error', '`cheaper-busyness-min` is not lower than `cheaper-busyness-max`'],
  TSGI_CONFIG_LIFETIME_ORDER: ['error', '`min-worker-lifetime` is not lower than `max-worker-lifetime`'],
  TSGI_CONFIG_BACKOFF_ORDER: ['error', '`respawn-backoff-max` is lower than `forkbomb-delay`'],
  TSGI_CONFIG_ACTIONS_TOKEN: ['error', '`stats-http-actions-token` is shorter than 16 characters or holds a space or a character outside printable ASCII'],
  TSGI_CONFIG_NOT_IMPLEMENTED: ['warning', 'a planned option is set; it is accepted but has no effect yet'],
  TSGI_CONFIG_NO_EFFECT: ['warning', 'an option is set that has no effect in this configuration (`cheaper-step` without `cheaper`, `master = false`, ...)'],
  TSGI_CONFIG_LISTEN_ABOVE_SOMAXCONN: ['warning', '`listen` exceeds net.core.somaxconn; the kernel silently caps the backlog'],
  TSGI_CONFIG_DRAIN_OUTLASTS_MERCY: ['warning', '`websocket-drain` is not shorter than `worker-reload-mercy`: the mercy kills a draining worker before its WebSockets get their close frame 1001'],
  TSGI_CONFIG_INTERNAL: ['error', 'loading the configuration failed on a bug in tsgi; the config is refused (a reload keeps the old one) and the message names the exception'],
  TSGI_CLI_UNEXPECTED_ARGUMENT: ['error', 'a command-line argument that is neither an option nor an `.ini` file'],
  TSGI_CLI_CONFLICTING_ACTIONS: ['error', 'two of `--reload`, `--stop`, `--brutal-reload`, `--upgrade` given together'],
} as const satisfies Record<string, readonly ['error' | 'warning', string]>;

/** A stable diagnostic code (a key of DIAGNOSTIC_CODES). */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** One error or warning about the configuration, with where it comes from. */
export interface ConfigDiagnostic {
  code: DiagnosticCode;
  /** Human text without the location prefix. */
  message: string;
  /** The ini file as the user named it; absent for the command line and global rules. */
  file?: string;
  /** 1-based line in `file`. */
  line?: number;
  /** The option concerned, by its table name. */
  option?: string;
  /** True when the diagnostic concerns a command-line argument. */
  commandLine?: boolean;
}

/** Where a value came from: a file line, the command line, or the table's default. */
export interface SourceLocation {
  file?: string;
  line?: number;
  commandLine?: boolean;
}

/** Build a diagnostic located at `where`. */
export function diagnostic(
  code: DiagnosticCode,
  message: string,
  where: SourceLocation = {},
  option?: string,
): ConfigDiagnostic {
  const d: ConfigDiagnostic = { code, message: shorten(message) };
  if (where.file !== undefined) d.file = where.file;
  if (where.line !== undefined) d.line = where.line;
  if (where.commandLine === true) d.commandLine = true;
  if (option !== undefined) d.option = option;
  return d;
}

/** Longest run without a space kept in a message, and longest message. */
const MAX_WORD = 200;
const MAX_MESSAGE = 2000;

/**
 * Messages quote what the user wrote, which can be a 60 KiB value or key: long runs are
 * cut in the middle and the whole is capped, so one line stays one readable line.
 */
function shorten(message: string): string {
  const cut = message.replace(new RegExp(`\\S{${MAX_WORD + 1},}`, 'g'), (run) => `${run.slice(0, 80)}...(${run.length - 160} more characters)...${run.slice(-80)}`);
  return cut.length > MAX_MESSAGE ? `${cut.slice(0, MAX_MESSAGE)}...(${cut.length - MAX_MESSAGE} more characters)` : cut;
}

/** `app.ini:12`, `command line` or `default`: where a value was set, for messages. */
export function describeLocation(where: SourceLocation | undefined): string {
  if (where?.file !== undefined) return where.line === undefined ? where.file : `${where.file}:${where.line}`;
  return where?.commandLine === true ? 'command line' : 'default';
}

/**
 * One line for a terminal: `app.ini:12: unknown option "procesess" (did you mean
 * "processes"?)`, `command line: ...`, or the bare message for global rules.
 */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  if (d.file !== undefined || d.commandLine === true) return `${describeLocation(d)}: ${d.message}`;
  return d.message;
}

/** Edit distance between two names (insertions, deletions, substitutions). */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The known name nearest to `input`: a name it is a prefix of, or the closest within an
 * edit distance of 3 (and of half the input's length, so `foo` suggests nothing).
 */
export function suggestName(input: string, known: readonly string[]): string | undefined {
  if (input.length >= 3) {
    const prefixed = known.find((name) => name.startsWith(input));
    if (prefixed !== undefined) return prefixed;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    // the distance is at least the difference in length: a 50 KiB key is no typo, and its
    // distance to every name would cost seconds
    if (Math.abs(name.length - input.length) > 3) continue;
    const distance = levenshtein(input, name);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  // Short inputs need a closer match: `ini` is 2 edits from `env`, but not a typo of it.
  return bestDistance <= Math.min(3, Math.floor(input.length / 2)) ? best : undefined;
}
