/**
 * `supervise --help`, generated from the option table so it can never list an option the
 * parser does not know, or miss one it does.
 */
import { OPTIONS, OPTION_GROUPS, type OptionGroup, type OptionSpec } from './options.js';

const USAGE = `usage: supervise --ini app.ini[:section] [--option value ...]
       supervise app.ini [--option value ...]
       supervise --show-config --ini app.ini      print the resulting config as ini
       supervise --init [APP]                     write a commented app.ini for the app that
                                                  package.json names (main, exports), or APP
       supervise --reload | --stop | --brutal-reload PIDFILE
                                                  SIGHUP | SIGINT | SIGTERM the master in PIDFILE
       supervise --upgrade PIDFILE                a new master (the supervise and Node on disk
                                                  now, the config re-read) takes over the
                                                  sockets; the old one drains and exits
       supervise --help | --version

Every option can be set in the ini file's [tsgi] section (or [uwsgi] when there is no
[tsgi]) as "name = value", or on the command line as --name value or --name=value; a bare
--flag means true. Command-line options override the file.`;

const UNIT_SUFFIX: Readonly<Record<string, string>> = { seconds: ' s', MiB: ' MiB', percent: '%' };

/** The placeholder shown after a flag: `<n>`, `<addr>`, `<spare|backlog|busyness>`, ... */
export function metavar(spec: OptionSpec): string {
  switch (spec.type) {
    case 'bool':
      return '';
    case 'enum':
      return `<${(spec.values ?? []).join('|')}>`;
    case 'int':
    case 'number':
      return spec.unit === 'seconds' ? '<seconds>' : '<n>';
    case 'megabytes':
      return '<MiB>';
    case 'priority':
      return '<nice>';
    case 'address':
      return '<addr>';
    case 'keyvalue':
      return '<KEY=VALUE>';
    case 'mode':
      return '<mode>';
    case 'path':
      return '<path>';
    case 'string':
      return '<text>';
  }
}

/** The default as people read it: `100`, `60 s`, `50%`, `%k (usable CPUs)`, or `''` when unset. */
export function defaultText(spec: OptionSpec): string {
  if (spec.dynamicDefault === 'cpus') return '%k (usable CPUs)';
  if (spec.repeatable === true || spec.default === undefined) return '';
  const unit = spec.unit === undefined ? '' : (UNIT_SUFFIX[spec.unit] ?? '');
  return typeof spec.default === 'number' ? `${spec.default}${unit}` : String(spec.default);
}

/** `-p, --processes, --workers`: every way to write the option on the command line. */
export function flagsOf(spec: OptionSpec): string {
  const longs = [spec.name, ...(spec.aliases ?? [])].map((name) => `--${name}`);
  return [...(spec.short === undefined ? [] : [`-${spec.short}`]), ...longs].join(', ');
}

/** Options of a group, in table order. */
export function optionsOf(group: OptionGroup): OptionSpec[] {
  return OPTIONS.filter((spec) => spec.group === group);
}

const FLAG_COLUMN = 38;

function helpLine(spec: OptionSpec): string {
  const left = `  ${flagsOf(spec)} ${metavar(spec)}`.trimEnd();
  const notes = [
    defaultText(spec) === '' ? '' : `default ${defaultText(spec)}`,
    spec.repeatable === true ? 'repeatable' : '',
    spec.status === 'planned' ? 'PLANNED: accepted, no effect yet' : '',
  ].filter((note) => note !== '');
  const right = notes.length === 0 ? spec.doc : `${spec.doc} [${notes.join('; ')}]`;
  if (left.length < FLAG_COLUMN) return `${left.padEnd(FLAG_COLUMN)}${right}`;
  return `${left}\n${' '.repeat(FLAG_COLUMN)}${right}`;
}

/** The text of `supervise --help`: usage, then every option by group. */
export function renderHelp(): string {
  const sections = (Object.keys(OPTION_GROUPS) as OptionGroup[]).map((group) => {
    return [`${OPTION_GROUPS[group]}:`, ...optionsOf(group).map(helpLine)].join('\n');
  });
  return `${USAGE}\n\n${sections.join('\n\n')}\n\nFull reference: docs/options.md\n`;
}
