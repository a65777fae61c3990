/**
 * @tsgi/config: the option table, ini reading with uWSGI's semantics, placeholders, the
 * command line, cross-field rules, `--help` and docs/options.md. Nothing here prints or
 * exits: loadConfig returns `{ config, errors, warnings, files }` and the CLI decides.
 */
export { OPTIONS, OPTION_GROUPS, fieldName, findOption, findShortOption, knownOptionNames, normaliseKey } from './options.js';
export type { OptionGroup, OptionSpec, OptionStatus, OptionType } from './options.js';
export { defaultConfig, defaultValue, getOptionValue } from './config.js';
export type { ConfigValue, TsgiConfig } from './config.js';
export { DIAGNOSTIC_CODES, describeLocation, formatDiagnostic, levenshtein, suggestName } from './diagnostics.js';
export type { ConfigDiagnostic, DiagnosticCode, SourceLocation } from './diagnostics.js';
export { parseAddress, parseValue } from './values.js';
export type { ParsedValue, RawValue, SocketAddress } from './values.js';
export { availableCpus, cgroupCpuLimit, detectHost, expandValue, magicVars } from './placeholders.js';
export type { Expansion, HostFacts, MagicVars, ReadText } from './placeholders.js';
export { parseIniText, readIniFile, renderIni, splitIniSpec } from './ini-file.js';
export type { IniEntry, IniRead, RenderIniOptions } from './ini-file.js';
export { parseArgv } from './argv.js';
export type { CliAction, ParsedArgv, PidfileSignal, Setting } from './argv.js';
export { loadConfig } from './load.js';
export type { LoadOptions, LoadResult } from './load.js';
export { checkRules } from './rules.js';
export type { RuleContext, RuleFindings } from './rules.js';
export { appExportName, resolveAppSpec } from './app-spec.js';
export type { AppSpec } from './app-spec.js';
export { renderHelp } from './help.js';
export { splitNodeArgs } from './node-args.js';
export { renderOptionsDoc } from './docs.js';
export { DEFAULT_JSON_KEYS, LOG_VARIABLES, PREFIX_VARIABLES, REQUEST_VARS, checkLogVariable, parseJsonKeys, parseLogDate, parseLogFormat, parseLogPrefix, parseLogTarget, parseTemplate } from './logging.js';
export type { LogChunk, LogDate, LogTarget, LogVariable, LogVariableKind, Parsed } from './logging.js';
export { IGNORED_OPTIONS, REFUSED_OPTIONS, ignoredOption, isUwsgiOption, refusal } from './uwsgi-options.js';
export type { IgnoredOption } from './uwsgi-options.js';
export { UWSGI_OPTION_NAMES } from './uwsgi-names.js';
