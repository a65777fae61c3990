/**
 * Reading and writing ini files with uWSGI's semantics.
 *
 * The reader is line-based rather than `ini.parse` because uWSGI's rules (docs/options.md,
 * "How ini files are read") need three things
 * the `ini` package cannot give: it keeps only the last of duplicate keys (repeatable
 * options such as `env` and `http-socket` need every occurrence, in order), it strips
 * quotes and treats `;`/`#` inside values as comments (uWSGI keeps both), and it loses line
 * numbers (every diagnostic names file:line). The writer does use `ini.encode`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { defaultValue, getOptionValue, type ConfigValue, type TsgiConfig } from './config.js';
import { diagnostic, type ConfigDiagnostic } from './diagnostics.js';
import { OPTIONS } from './options.js';
import { readBounded } from './read-bounded.js';

/** The largest ini file read: a FIFO or `--ini /dev/zero` must not block or exhaust the master. */
const MAX_INI_BYTES = 1024 * 1024;

/** One `key = value` line of the selected section. `value` is undefined for a bare key. */
export interface IniEntry {
  key: string;
  value: string | undefined;
  line: number;
}

/** What one ini file contributed, with its problems. */
export interface IniRead {
  /** Absolute path, or undefined when the file could not be read. */
  path: string | undefined;
  /** The file as the user named it, for messages. */
  display: string;
  section: string;
  entries: IniEntry[];
  errors: ConfigDiagnostic[];
  warnings: ConfigDiagnostic[];
}

const SECTION_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Split `file:section` on the last colon, but only when what follows is a valid section
 * name and the whole text is not itself an existing file (so `odd:name.ini` still works).
 */
export function splitIniSpec(spec: string, exists: (file: string) => boolean): { file: string; section?: string } {
  const colon = spec.lastIndexOf(':');
  const section = spec.slice(colon + 1);
  if (colon < 0 || !SECTION_NAME.test(section) || exists(spec)) return { file: spec };
  return { file: spec.slice(0, colon), section };
}

interface ScannedLine {
  section: string | undefined;
  line: number;
  entry?: IniEntry;
  syntax?: string;
}

/** Classify every line: section headers, comments, entries and malformed lines. */
function scanLines(text: string): { lines: ScannedLine[]; sections: string[] } {
  const lines: ScannedLine[] = [];
  const sections: string[] = [];
  let section: string | undefined;
  text.split('\n').forEach((rawLine, index) => {
    const line = index + 1;
    const content = rawLine.trim();
    if (content === '' || content.startsWith(';') || content.startsWith('#')) return;
    if (content.startsWith('[')) {
      const name = content.endsWith(']') ? content.slice(1, -1).trim() : '';
      if (name === '') return void lines.push({ section: undefined, line, syntax: `"${content}" is not a section header like [tsgi]` });
      section = name;
      if (!sections.includes(name)) sections.push(name);
      return;
    }
    const eq = content.indexOf('=');
    const key = (eq < 0 ? content : content.slice(0, eq)).trim();
    if (key === '') return void lines.push({ section, line, syntax: `"${content}" has no option name before "="` });
    lines.push({ section, line, entry: { key, value: eq < 0 ? undefined : content.slice(eq + 1).trim(), line } });
  });
  return { lines, sections };
}

/**
 * Parse ini text: pick the section (`requested`, else `[tsgi]`, else `[uwsgi]`), merge
 * every section of that name, and return its entries with their line numbers. Lines are
 * trimmed; only whole-line `;`/`#` comments exist; a value is everything after the first
 * `=`, quotes included; a key without `=` has an undefined value.
 */
export function parseIniText(text: string, display: string, requested?: string): Omit<IniRead, 'path'> {
  const { lines, sections } = scanLines(text);
  const section = requested ?? (sections.includes('tsgi') ? 'tsgi' : 'uwsgi');
  const result: Omit<IniRead, 'path'> = { display, section, entries: [], errors: [], warnings: [] };
  if (!sections.includes(section)) {
    const found = sections.length === 0 ? 'it has no sections' : `sections found: ${sections.map((s) => `[${s}]`).join(', ')}`;
    const wanted = requested === undefined ? '[tsgi] or [uwsgi] section' : `[${requested}] section`;
    result.errors.push(diagnostic('TSGI_CONFIG_NO_SECTION', `no ${wanted} (${found})`, { file: display }));
  }
  for (const scanned of lines) {
    const where = { file: display, line: scanned.line };
    if (scanned.syntax !== undefined && (scanned.section === undefined || scanned.section === section)) {
      result.errors.push(diagnostic('TSGI_CONFIG_SYNTAX', scanned.syntax, where));
    } else if (scanned.entry !== undefined && scanned.section === undefined) {
      result.warnings.push(diagnostic('TSGI_CONFIG_OUTSIDE_SECTION', `"${scanned.entry.key}" is before any [section] header and is ignored`, where));
    } else if (scanned.entry !== undefined && scanned.section === section) {
      result.entries.push(scanned.entry);
    }
  }
  return result;
}

/**
 * Read `spec` (`file` or `file:section`, relative to `cwd`). A missing or unreadable file
 * is an error naming it; nothing is thrown.
 */
export function readIniFile(spec: string, cwd: string): IniRead {
  const { file, section } = splitIniSpec(spec, (f) => existsSync(path.resolve(cwd, f)));
  const absolute = path.resolve(cwd, file);
  const read = readBounded(absolute, MAX_INI_BYTES, '1 MiB');
  if (!read.ok) {
    const missing = 'errno' in read && (read.errno === 'ENOENT' || read.errno === 'ENOTDIR');
    const why = 'errno' in read ? `cannot be read (${read.errno})` : `cannot be used: ${absolute} ${read.rejected}`;
    const message = missing ? `config file "${file}" does not exist (looked for ${absolute})` : `config file "${file}" ${why}`;
    const d = diagnostic(missing ? 'TSGI_CONFIG_FILE_NOT_FOUND' : 'TSGI_CONFIG_FILE_UNREADABLE', message);
    return { path: undefined, display: file, section: section ?? 'tsgi', entries: [], errors: [d], warnings: [] };
  }
  return { path: absolute, ...parseIniText(read.text, file, section) };
}

/** Options of renderIni. */
export interface RenderIniOptions {
  /** Section header to write; `tsgi` by default. */
  section?: string;
  /** Leave out options whose value equals `defaults`' (for a short `--show-config`). Planned
   * options at their default are always left out. */
  defaults?: TsgiConfig;
}

function sameValue(a: ConfigValue, b: ConfigValue): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((v, i) => v === b[i]) : a === b;
}

function iniText(value: string | number | boolean, octal: boolean): string {
  if (octal && typeof value === 'number') return value.toString(8);
  // `%` would be read back as a magic variable: double it so the dump reads back the same.
  return String(value).replace(/%/g, '%%');
}

/**
 * The configuration as a readable `[tsgi]` section, as `--show-config` and the SIGUSR1
 * dump print it: one `key = value` per line in table order, repeatable options repeated
 * on separate lines, unset options left out. Values are written raw, as the reader reads
 * them (no quoting or escaping): `ini.encode` lays out the section, aligned, from
 * placeholders that are then replaced by the raw values, because its own escaping
 * (JSON quotes, `\;`) would not read back under uWSGI's rules.
 */
export function renderIni(config: TsgiConfig, options: RenderIniOptions = {}): string {
  const layout: Record<string, string | string[]> = {};
  const raw: string[] = [];
  const slot = (text: string): string => `\u0001${raw.push(text) - 1}\u0001`;
  const defaults = options.defaults;
  for (const spec of OPTIONS) {
    const value = getOptionValue(config, spec);
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    if (defaults !== undefined && sameValue(value, getOptionValue(defaults, spec))) continue;
    // Planned options at their default would only be noise in a dump of what is running.
    if (spec.status === 'planned' && sameValue(value, defaultValue(spec, 0))) continue;
    const octal = spec.type === 'mode';
    layout[spec.name] = Array.isArray(value) ? value.map((v) => slot(iniText(v, octal))) : slot(iniText(value, octal));
  }
  // loaded here, not at import: only --show-config writes ini, and a CommonJS package imported
  // from ESM costs every process that loads the config a parse of its source
  const ini = createRequire(import.meta.url)('ini') as typeof import('ini');
  const text = ini.encode(layout, { section: options.section ?? 'tsgi', whitespace: true, align: true, bracketedArray: false });
  return text.replace(/\u0001(\d+)\u0001/g, (_, index: string) => raw[Number(index)] ?? '');
}
