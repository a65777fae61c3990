/**
 * What to say about a key that is not in the option table: a Python-only uWSGI option, a
 * uWSGI feature tsgi does not have, or a probable typo with the nearest known name.
 */
import { diagnostic, suggestName, type ConfigDiagnostic, type SourceLocation } from './diagnostics.js';
import { PYTHON_OPTIONS, knownOptionNames, normaliseKey } from './options.js';

/** uWSGI options people carry over whose job tsgi does differently. */
const UWSGI_ONLY: Readonly<Record<string, string>> = {
  ini: 'give several --ini files on the command line instead',
  include: 'give several --ini files on the command line instead',
  inherit: 'give several --ini files on the command line instead',
  strict: 'tsgi always rejects unknown options; remove it',
};

/**
 * The diagnostic for an unknown `key` as written (`procesess`, `--procesess`); `extra`
 * names that are also worth suggesting (the command-line actions).
 */
export function unknownOption(key: string, where: SourceLocation, extra: readonly string[] = []): ConfigDiagnostic {
  const dashes = key.startsWith('--') ? '--' : '';
  const name = normaliseKey(key.slice(dashes.length));
  const python = PYTHON_OPTIONS[name];
  if (python !== undefined) {
    return diagnostic('TSGI_CONFIG_PYTHON_OPTION', `"${name}" is a Python option of uWSGI; tsgi runs Node apps: ${python}`, where, name);
  }
  const instead = UWSGI_ONLY[name];
  if (instead !== undefined) return diagnostic('TSGI_CONFIG_UNKNOWN_OPTION', `unknown option "${key}": ${instead}`, where);
  const suggestion = suggestName(name, [...knownOptionNames(), ...extra]);
  const didYouMean = suggestion === undefined ? '' : ` (did you mean "${dashes}${suggestion}"?)`;
  return diagnostic('TSGI_CONFIG_UNKNOWN_OPTION', `unknown option "${key}"${didYouMean}`, where);
}
