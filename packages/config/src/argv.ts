/**
 * Command-line parsing for `supervise`. Options are the table's (`--processes 4`,
 * `--processes=4`, `-p 4`, a bare `--vacuum` for true); `--ini file[:section]` and bare
 * `*.ini` arguments name config files; a few actions (`--help`, `--version`,
 * `--show-config`, `--reload F`, `--stop F`, `--brutal-reload F`, `--upgrade F`) say what to do.
 * Values are not validated here, only split: load.ts validates file and command-line
 * values alike.
 */
import { diagnostic, type ConfigDiagnostic, type SourceLocation } from './diagnostics.js';
import { findOption, findShortOption, normaliseKey, type OptionSpec } from './options.js';
import { isWarning, unknownOption } from './unknown-option.js';
import { ignoredOption } from './uwsgi-options.js';
import type { RawValue } from './values.js';

/** What `supervise` was asked to do. */
export type CliAction = 'run' | 'help' | 'version' | 'signal' | 'show-config';

/**
 * The signals that `--reload`, `--stop`, `--brutal-reload` and `--upgrade` send to a
 * pidfile's master. `--upgrade` is SIGURG, which nothing else sends a process without
 * sockets in out-of-band mode, and whose default is to be ignored: a master that
 * predates upgrades ignores it.
 */
export type PidfileSignal = 'SIGHUP' | 'SIGINT' | 'SIGTERM' | 'SIGURG';

/** One option occurrence, from a file line or the command line, before validation. */
export interface Setting {
  spec: OptionSpec;
  /** The name as written (`--workers`, `max_requests`), for messages. */
  key: string;
  value: RawValue;
  where: SourceLocation;
}

interface ArgvCommon {
  /** `--ini` specs (`file` or `file:section`), in order. */
  ini: string[];
  /** Command-line options, in order; they override the files. */
  settings: Setting[];
  errors: ConfigDiagnostic[];
  /** Ignored uWSGI options given on the command line (uwsgi-options.ts). */
  warnings: ConfigDiagnostic[];
}

/** The parsed command line. */
export type ParsedArgv = ArgvCommon &
  ({ action: Exclude<CliAction, 'signal'> } | { action: 'signal'; signal: PidfileSignal; pidfile: string });

const PIDFILE_COMMANDS: Readonly<Record<string, PidfileSignal>> = {
  reload: 'SIGHUP',
  stop: 'SIGINT',
  'brutal-reload': 'SIGTERM',
  upgrade: 'SIGURG',
};
const FLAG_ACTIONS: Readonly<Record<string, CliAction>> = { help: 'help', version: 'version', 'show-config': 'show-config' };
const COMMANDS = ['ini', 'help', 'version', 'show-config', ...Object.keys(PIDFILE_COMMANDS)];
const CLI = { commandLine: true } as const;
const OCTAL_MODE = /^0?[0-7]{3}$/;

/** Mutable state of one parse. */
interface ParseState extends ArgvCommon {
  args: readonly string[];
  next: number;
  flags: Set<CliAction>;
  signals: Array<{ signal: PidfileSignal; pidfile: string; flag: string }>;
}

/**
 * Parse `argv` (without the node binary and script, i.e. `process.argv.slice(2)`). Never
 * throws; problems are in `errors`, each naming the argument and, for a misspelt option,
 * the nearest known one.
 */
export function parseArgv(argv: readonly string[]): ParsedArgv {
  const state: ParseState = { args: argv, next: 0, ini: [], settings: [], errors: [], warnings: [], flags: new Set(), signals: [] };
  let positionalOnly = false;
  while (state.next < argv.length) {
    const arg = argv[state.next++] ?? '';
    if (positionalOnly || arg === '-' || !arg.startsWith('-')) parsePositional(state, arg);
    else if (arg === '--') positionalOnly = true;
    else if (arg.startsWith('--')) parseLong(state, arg);
    else parseShort(state, arg);
  }
  return finish(state);
}

function finish(state: ParseState): ParsedArgv {
  const common: ArgvCommon = { ini: state.ini, settings: state.settings, errors: state.errors, warnings: state.warnings };
  if (state.flags.has('help')) return { ...common, action: 'help' };
  if (state.flags.has('version')) return { ...common, action: 'version' };
  const [first, second] = state.signals;
  if (second !== undefined) {
    common.errors.push(diagnostic('TSGI_CLI_CONFLICTING_ACTIONS', `${first?.flag} and ${second.flag} cannot be given together`, CLI));
  }
  if (first !== undefined) return { ...common, action: 'signal', signal: first.signal, pidfile: first.pidfile };
  return { ...common, action: state.flags.has('show-config') ? 'show-config' : 'run' };
}

function parsePositional(state: ParseState, arg: string): void {
  if (/\.ini(:[A-Za-z0-9_.-]+)?$/.test(arg)) state.ini.push(arg);
  else state.errors.push(diagnostic('TSGI_CLI_UNEXPECTED_ARGUMENT', `unexpected argument "${arg}" (config files end in .ini; options start with --)`, CLI));
}

/** The value of `--name=value`, or of the next argument when `takesNext` says so. */
function takeValue(state: ParseState, inline: string | undefined, takesNext: (next: string) => boolean): RawValue {
  if (inline !== undefined) return inline;
  const next = state.args[state.next];
  if (next === undefined || !takesNext(next)) return undefined;
  state.next++;
  return next;
}

function parseLong(state: ParseState, arg: string): void {
  const eq = arg.indexOf('=');
  const name = normaliseKey(eq < 0 ? arg.slice(2) : arg.slice(2, eq));
  const inline = eq < 0 ? undefined : arg.slice(eq + 1);
  const flag = `--${name}`;
  const command = parseCommand(state, name, flag, inline);
  if (command) return;
  const spec = findOption(name);
  if (spec !== undefined) return void addSetting(state, spec, flag, inline);
  // Consume a following value so that `--procesess 4` reports one error, not two; an
  // ignored uWSGI option takes one exactly when uWSGI's does.
  const takes = ignoredOption(name)?.takes;
  if (takes !== 'flag') takeValue(state, inline, (next) => takes === 'value' || (!next.startsWith('-') && !next.endsWith('.ini')));
  const found = unknownOption(flag, CLI, COMMANDS);
  (isWarning(found) ? state.warnings : state.errors).push(found);
}

/** Handle `--ini`, the pidfile commands and the action flags; false for anything else. */
function parseCommand(state: ParseState, name: string, flag: string, inline: string | undefined): boolean {
  const action = FLAG_ACTIONS[name];
  if (action !== undefined) {
    state.flags.add(action);
    return true;
  }
  const signal = PIDFILE_COMMANDS[name];
  if (name !== 'ini' && signal === undefined) return false;
  const value = takeValue(state, inline, () => true);
  if (value === undefined || value === '') {
    const what = name === 'ini' ? 'a config file' : 'a pidfile';
    state.errors.push(diagnostic('TSGI_CONFIG_MISSING_VALUE', `${flag} needs ${what}`, CLI));
  } else if (signal === undefined) {
    state.ini.push(value);
  } else {
    state.signals.push({ signal, pidfile: value, flag });
  }
  return true;
}

function parseShort(state: ParseState, arg: string): void {
  const letter = arg[1] ?? '';
  if (letter === 'h' && arg.length === 2) return void state.flags.add('help');
  const spec = findShortOption(letter);
  if (spec === undefined) {
    state.errors.push(diagnostic('TSGI_CONFIG_UNKNOWN_OPTION', `unknown option "${arg}" (see supervise --help)`, CLI));
    return;
  }
  // `-p4` as getopt allows; `-p 4` otherwise.
  addSetting(state, spec, `-${letter}`, arg.length > 2 ? arg.slice(2) : undefined);
}

/**
 * Record an option occurrence. Booleans never take the next argument (a bare flag is
 * true); `--chmod-socket` takes it only when it looks like a mode, since a bare
 * `--chmod-socket` means 666; every other option needs a value.
 */
function addSetting(state: ParseState, spec: OptionSpec, key: string, inline: string | undefined): void {
  const takesNext = spec.type === 'bool' ? () => false : spec.type === 'mode' ? (next: string) => OCTAL_MODE.test(next) : () => true;
  state.settings.push({ spec, key, value: takeValue(state, inline, takesNext), where: CLI });
}
