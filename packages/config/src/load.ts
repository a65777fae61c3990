/**
 * loadConfig: command line → ini files → settings → typed config → rules. Parse, then
 * normalise, then check cross-field rules; every user mistake becomes a located
 * diagnostic and nothing is thrown (docs/conventions.md, "Parse, normalise, check; never
 * throw halfway"). Only the CLI prints and exits.
 */
import path from 'node:path';
import { parseArgv, type Setting } from './argv.js';
import { defaultConfig, getOptionValue, setOptionValue, type TsgiConfig } from './config.js';
import { diagnostic, type ConfigDiagnostic, type SourceLocation } from './diagnostics.js';
import { readIniFile, type IniRead } from './ini-file.js';
import { findOption, normaliseKey, type OptionSpec } from './options.js';
import { MAX_EXPANDED_LENGTH, detectHost, expandValue, magicVars, type Expansion, type HostFacts, type IniLookups, type MagicVars } from './placeholders.js';
import { referencedNames, References, type Definition } from './references.js';
import { checkPaths } from './paths.js';
import { readBounded } from './read-bounded.js';
import { checkRules, type RuleContext } from './rules.js';
import { isWarning, unknownOption } from './unknown-option.js';
import { ignoredOption } from './uwsgi-options.js';
import { parseValue } from './values.js';

/** Inputs of loadConfig; only argv is required. */
export interface LoadOptions {
  /** Command-line arguments after the script (`process.argv.slice(2)`). */
  argv: readonly string[];
  /** Environment for `$(NAME)`; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Directory that relative `--ini` paths and `%v` are relative to; process.cwd() by default. */
  cwd?: string;
  /** CPUs, hostname and somaxconn; detected by default, injected by tests. */
  host?: HostFacts;
  /**
   * Check `chdir`, `app`, `spooler`, `spooler-import` and `master-fifo` against the file
   * system (paths.ts); true by default. Tests of parsing alone turn it off.
   */
  checkPaths?: boolean;
}

/** The outcome: a config only when there are no errors. */
export interface LoadResult {
  config?: TsgiConfig;
  errors: ConfigDiagnostic[];
  warnings: ConfigDiagnostic[];
  /** Absolute paths of the ini files read, in order (for reloads and touch-reload). */
  files: string[];
}

/** A setting with the magic variables of the file it came from (none for the CLI). */
interface SourcedSetting extends Setting {
  magic?: MagicVars;
}

/**
 * Load the configuration from the command line and the ini files it names. Files are read
 * in order (later scalar values win, repeatable values accumulate); command-line options
 * then override: a scalar replaces the files' value, and the command-line occurrences of a
 * repeatable option replace all of the files'.
 */
export function loadConfig(options: LoadOptions): LoadResult {
  try {
    return load(options);
  } catch (err) {
    // A throw here is a bug, but the master re-reads the config on reload and must survive
    // it: the config is refused with an error that names the exception.
    const error = diagnostic('TSGI_CONFIG_INTERNAL', `internal error while loading the configuration: ${String(err)} (please report this)`);
    return { errors: [error], warnings: [], files: [] };
  }
}

function load(options: LoadOptions): LoadResult {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const host = options.host ?? detectHost();
  const parsed = parseArgv(options.argv);
  const result: LoadResult = { errors: [...parsed.errors], warnings: [...parsed.warnings], files: [] };
  const reads = readFiles(parsed.ini, cwd, result);
  const entries: Array<SourcedSetting | UnknownEntry> = [];
  for (const read of reads) entries.push(...entriesOfFile(read, cwd, host));
  const lookups = fileLookups(entries, env, cwd, result);
  const settings = entries.filter((e): e is SourcedSetting => 'spec' in e);
  settings.push(...parsed.settings);

  const config = defaultConfig(host.cpus);
  const { sources, each, invalid } = applySettings(config, settings, env, result, lookups);
  normalise(config, sources);
  // A file that could not be read may well hold the app and socket: do not also claim they are missing.
  if (reads.some((read) => read.errors.length > 0 && read.entries.length === 0)) for (const name of ['app', 'http-socket']) invalid.add(name);
  const origin = reads[0] === undefined ? undefined : { file: reads[0].display };
  const context: RuleContext = { sources, host, invalid, ...(origin === undefined ? {} : { origin }) };
  const pythonApp = result.warnings.find((w) => w.option !== undefined && ignoredOption(w.option)?.loadsApp === true);
  if (pythonApp?.option !== undefined) context.pythonApp = { option: pythonApp.option, where: pythonApp };
  const findings = checkRules(config, context);
  result.errors.push(...findings.errors);
  result.warnings.push(...findings.warnings);
  if (options.checkPaths !== false) result.errors.push(...checkPaths(config, cwd, { sources, each, invalid }));
  if (result.errors.length === 0) result.config = config;
  return result;
}

/** Read every `--ini` spec; `:section` alone reuses the previous file, as in uWSGI. */
function readFiles(specs: readonly string[], cwd: string, result: LoadResult): IniRead[] {
  const reads: IniRead[] = [];
  let previous: string | undefined;
  for (const given of specs) {
    let spec = given;
    if (spec.startsWith(':')) {
      if (previous === undefined) {
        result.errors.push(diagnostic('TSGI_CONFIG_MISSING_VALUE', `--ini ${spec} needs a file before it (--ini app.ini --ini ${spec})`, { commandLine: true }));
        continue;
      }
      spec = `${previous}${spec}`;
    }
    const read = readIniFile(spec, cwd);
    previous = read.display;
    result.errors.push(...read.errors);
    result.warnings.push(...read.warnings);
    if (read.path !== undefined) result.files.push(read.path);
    reads.push(read);
  }
  return reads;
}

/** A file's key that is not an option: a placeholder if some value uses it, else an error. */
interface UnknownEntry {
  key: string;
  value: string | undefined;
  where: SourceLocation;
  magic: MagicVars;
}

/** A file's entries: settings of known options, and unknown keys (references decide). */
function entriesOfFile(read: IniRead, cwd: string, host: HostFacts): Array<SourcedSetting | UnknownEntry> {
  if (read.path === undefined) return [];
  const magic = magicVars(read.path, cwd, host);
  return read.entries.map((entry) => {
    const where = { file: read.display, line: entry.line };
    const spec = findOption(entry.key);
    return spec === undefined ? { key: entry.key, value: entry.value, where, magic } : { spec, key: entry.key, value: entry.value, where, magic };
  });
}

/**
 * What ini values can look up: `%(name)` references (references.ts) to every option set in
 * the files, every `set-placeholder`, and every unknown key that a value refers to, the
 * first occurrence in reading order counting, as in uWSGI; and `@(file)` contents. Any
 * other unknown key is an error (a Python-only option always is).
 */
function fileLookups(entries: ReadonlyArray<SourcedSetting | UnknownEntry>, env: NodeJS.ProcessEnv, cwd: string, result: LoadResult): IniLookups {
  const used = new Set<string>();
  for (const entry of entries) if (entry.value !== undefined) for (const name of referencedNames(entry.value)) used.add(normaliseKey(name));
  const definitions = new Map<string, Definition>();
  const include = (file: string): Expansion => includeFile(cwd, file);
  const define = (name: string, raw: string, magic: MagicVars | undefined): void => {
    const key = normaliseKey(name);
    if (!definitions.has(key)) definitions.set(key, (refer) => expandValue(raw, env, magic, { refer, include }));
  };
  for (const entry of entries) {
    const raw = entry.value ?? '';
    if (!('spec' in entry)) {
      const found = unknownOption(entry.key, entry.where);
      // an ignored uWSGI option is a warning even when used, and still resolves
      if (isWarning(found)) result.warnings.push(found);
      else if (!used.has(normaliseKey(entry.key)) || found.code !== 'TSGI_CONFIG_UNKNOWN_OPTION') result.errors.push(found);
      define(entry.key, raw, entry.magic);
    } else if (entry.spec.name === 'set-placeholder') {
      const eq = raw.indexOf('=');
      if (eq > 0) define(raw.slice(0, eq).trim(), raw.slice(eq + 1).trim(), entry.magic);
    } else {
      define(entry.key, raw, entry.magic);
      define(entry.spec.name, raw, entry.magic);
    }
  }
  return { refer: new References(definitions, normaliseKey, (name) => findOption(name) !== undefined).refer, include };
}

/**
 * The largest file `@(file)` reads: the longest value, since a longer file could never
 * make a valid one. It holds a secret, a number or a certificate, not data.
 */
const MAX_INCLUDE_BYTES = MAX_EXPANDED_LENGTH;

/**
 * `@(file)`: the file's text without one trailing newline, as in uWSGI; relative to the
 * working directory. Only a regular file of at most MAX_INCLUDE_BYTES (read-bounded.ts).
 */
function includeFile(cwd: string, file: string): Expansion {
  if (/^[a-z]+:\/\//i.test(file)) {
    return { ok: false, code: 'TSGI_CONFIG_BAD_PLACEHOLDER', reason: `@(${file}): schemes such as exec:// or http:// are not supported; name a file` };
  }
  const full = path.resolve(cwd, file);
  const read = readBounded(full, MAX_INCLUDE_BYTES, '64 KiB (the longest value)');
  if (read.ok) return { ok: true, value: read.text.endsWith('\n') ? read.text.slice(0, -1) : read.text };
  if ('errno' in read) return { ok: false, code: 'TSGI_CONFIG_INCLUDE_UNREADABLE', reason: `@(${file}): cannot read ${full} (${read.errno})` };
  return { ok: false, code: 'TSGI_CONFIG_INCLUDE_REJECTED', reason: `@(${file}): ${full} ${read.rejected}` };
}

/**
 * Expand, parse and store every setting in order. Returns where each option got its value
 * and which options had a value rejected. The first command-line occurrence of a
 * repeatable option drops the files' values.
 */
function applySettings(config: TsgiConfig, settings: readonly SourcedSetting[], env: NodeJS.ProcessEnv, result: LoadResult, lookups: IniLookups): { sources: Map<string, SourceLocation>; each: Map<string, SourceLocation[]>; invalid: Set<string> } {
  const sources = new Map<string, SourceLocation>();
  const each = new Map<string, SourceLocation[]>();
  const invalid = new Set<string>();
  const replacedByCli = new Set<string>();
  for (const setting of settings) {
    const value = parseSetting(setting, env, result, lookups);
    if (value === undefined) {
      invalid.add(setting.spec.name);
      continue;
    }
    const { spec, where } = setting;
    if (spec.repeatable === true) {
      const fromCli = where.commandLine === true;
      const keep = fromCli && !replacedByCli.has(spec.name) ? [] : (getOptionValue(config, spec) as string[]);
      const keepWhere = keep.length === 0 ? [] : (each.get(spec.name) ?? []);
      if (fromCli) replacedByCli.add(spec.name);
      setOptionValue(config, spec, [...keep, String(value)]);
      each.set(spec.name, [...keepWhere, where]);
    } else if (spec.name === 'master' && value === false) {
      result.warnings.push(diagnostic('TSGI_CONFIG_NO_EFFECT', 'option "master": tsgi always runs a master; "false" has no effect', where, 'master'));
    } else {
      setOptionValue(config, spec, value);
    }
    sources.set(spec.name, where);
  }
  return { sources, each, invalid };
}

/** One setting's typed value, or undefined after recording why it has none. */
function parseSetting(setting: SourcedSetting, env: NodeJS.ProcessEnv, result: LoadResult, lookups: IniLookups): string | number | boolean | undefined {
  const { spec, where } = setting;
  let raw = setting.value;
  if (raw !== undefined) {
    const expanded = expandValue(raw, env, setting.magic, setting.magic === undefined ? undefined : spec.template === true ? keepUnknownReferences(lookups) : lookups);
    if (!expanded.ok) return void result.errors.push(diagnostic(expanded.code, `option "${spec.name}": ${expanded.reason}`, where, spec.name));
    raw = expanded.value;
  }
  const parsed = parseValue(spec, raw);
  if (!parsed.ok) {
    const code = parsed.missing === true ? 'TSGI_CONFIG_MISSING_VALUE' : 'TSGI_CONFIG_INVALID_VALUE';
    return void result.errors.push(diagnostic(code, parsed.reason, where, spec.name));
  }
  const range = outOfRange(spec, parsed.value);
  if (range !== undefined) return void result.errors.push(diagnostic('TSGI_CONFIG_OUT_OF_RANGE', range, where, spec.name));
  return parsed.value;
}

/**
 * The lookups of a template option (`logformat`): a `%(name)` that names nothing in the ini
 * files is the template's own variable (`%(status)`), kept as written, as uWSGI keeps it.
 */
function keepUnknownReferences(lookups: IniLookups): IniLookups {
  return {
    ...lookups,
    refer: (expression) => {
      const value = lookups.refer(expression);
      return !value.ok && value.code === 'TSGI_CONFIG_UNKNOWN_PLACEHOLDER' ? { ok: true, value: `%(${expression})` } : value;
    },
  };
}

/**
 * The bound of every number without its own `max`: uWSGI reads options into C ints, and
 * `processes = 99999999999999999999` would otherwise become 1e20 (or Infinity) workers.
 */
const INT_MAX = 2 ** 31 - 1;

function outOfRange(spec: OptionSpec, value: string | number | boolean): string | undefined {
  if (typeof value !== 'number' || spec.type === 'mode') return undefined;
  const max = spec.max ?? INT_MAX;
  if (spec.min !== undefined && value < spec.min) return `option "${spec.name}": must be at least ${spec.min} (got ${value})`;
  if (!(value <= max)) return `option "${spec.name}": must be at most ${max} (got ${value < 1e21 ? value : 'a larger number'})`;
  return undefined;
}

/** Fill values that default to other options: `cheaper-initial` (0 or unset) means `cheaper`. */
function normalise(config: TsgiConfig, sources: ReadonlyMap<string, SourceLocation>): void {
  if (!sources.has('cheaper-initial') || config.cheaperInitial === 0) config.cheaperInitial = config.cheaper;
  config.master = true;
}
