/**
 * What to say about a key that is not in the option table: a uWSGI option accepted and
 * ignored (a warning saying why), one refused with a reason, one tsgi does not implement,
 * or a probable typo with the nearest known name (uwsgi-options.ts).
 */
import { DIAGNOSTIC_CODES, diagnostic, suggestName, type ConfigDiagnostic, type SourceLocation } from './diagnostics.js';
import { knownOptionNames, normaliseKey } from './options.js';
import { IGNORED_OPTIONS, ignoredOption, isUwsgiOption, refusal } from './uwsgi-options.js';

/**
 * The diagnostic for an unknown `key` as written (`procesess`, `--procesess`); `extra`
 * names that are also worth suggesting (the command-line actions). A warning for an
 * ignored uWSGI option (isWarning tells), an error for anything else.
 */
export function unknownOption(key: string, where: SourceLocation, extra: readonly string[] = []): ConfigDiagnostic {
  const dashes = key.startsWith('--') ? '--' : '';
  const name = normaliseKey(key.slice(dashes.length));
  const ignored = ignoredOption(name);
  if (ignored?.python === true) {
    return diagnostic('TSGI_CONFIG_PYTHON_OPTION', `option "${name}" is ignored: a Python option of uWSGI, and tsgi runs Node apps; ${ignored.reason}`, where, name);
  }
  if (ignored !== undefined) return diagnostic('TSGI_CONFIG_IGNORED_OPTION', `option "${name}" is ignored: ${ignored.reason}`, where, name);
  const refused = refusal(name);
  if (refused !== undefined) return diagnostic('TSGI_CONFIG_UNKNOWN_OPTION', `unknown option "${key}": ${refused}`, where);
  const suggestion = suggestName(name, [...knownOptionNames(), ...Object.keys(IGNORED_OPTIONS), ...extra]);
  const didYouMean = suggestion === undefined ? '' : ` (did you mean "${dashes}${suggestion}"?)`;
  const uwsgi = isUwsgiOption(name) ? ': a uWSGI option tsgi does not implement (see docs/options.md)' : '';
  return diagnostic('TSGI_CONFIG_UNKNOWN_OPTION', `unknown option "${key}"${uwsgi}${didYouMean}`, where);
}

/** True for a diagnostic that is a warning (the rest stop the start). */
export function isWarning(d: ConfigDiagnostic): boolean {
  return DIAGNOSTIC_CODES[d.code][0] === 'warning';
}
