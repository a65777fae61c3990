/**
 * Placeholders in option values: uWSGI's magic variables (`%d`, `%k`, ...) in ini files,
 * and `$(NAME)` environment variables everywhere. Both are expanded in one left-to-right
 * pass so that text produced by one substitution is never expanded again (an environment
 * value containing `%` stays as it is).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Reads a small file, or returns undefined when it does not exist or cannot be read. */
export type ReadText = (file: string) => string | undefined;

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // Absent cgroup files are normal (no limit, other cgroup version, not Linux).
    return undefined;
  }
}

/** The CPU limit (quota / period) of one cgroup file's text, or undefined for "max". */
function quotaOf(quota: number, period: number): number | undefined {
  return quota > 0 && period > 0 ? quota / period : undefined;
}

/** Directories from `dir` up to `root`: a parent's quota also limits its children. */
function upTo(root: string, cgroupPath: string): string[] {
  const dirs: string[] = [];
  for (let dir = path.posix.join(root, cgroupPath).replace(/\/+$/, ''); dir.startsWith(root); dir = path.posix.dirname(dir)) {
    dirs.push(dir);
    if (dir === root) break;
  }
  return dirs;
}

/**
 * The CPU quota of this process's cgroups (v2 `cpu.max`, v1 `cpu.cfs_quota_us` /
 * `cpu.cfs_period_us`), the tightest along the hierarchy, or undefined when unlimited.
 */
export function cgroupCpuLimit(read: ReadText = readIfPresent): number | undefined {
  const limits: number[] = [];
  for (const line of (read('/proc/self/cgroup') ?? '0::/\n').split('\n')) {
    const [, controllers, cgroupPath] = line.split(':');
    if (cgroupPath === undefined || controllers === undefined) continue;
    if (controllers === '') {
      for (const dir of upTo('/sys/fs/cgroup', cgroupPath)) {
        const [quota, period] = (read(`${dir}/cpu.max`) ?? '').trim().split(/\s+/);
        const limit = quotaOf(Number(quota), Number(period)); // "max" reads as NaN: no limit
        if (limit !== undefined) limits.push(limit);
      }
    } else if (controllers.split(',').includes('cpu')) {
      for (const mount of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) {
        for (const dir of upTo(mount, cgroupPath)) {
          const limit = quotaOf(Number(read(`${dir}/cpu.cfs_quota_us`)), Number(read(`${dir}/cpu.cfs_period_us`)));
          if (limit !== undefined) limits.push(limit);
        }
      }
    }
  }
  return limits.length === 0 ? undefined : Math.min(...limits);
}

/**
 * The CPUs this process may really use: `os.availableParallelism()` (which honours the
 * affinity mask) limited by the cgroup CPU quota, rounded up, at least 1. This is `%k` and
 * the default of `processes`; the host's core count would oversubscribe containers
 * (PM2 issue 4347).
 */
export function availableCpus(read: ReadText = readIfPresent, parallelism = os.availableParallelism()): number {
  const quota = cgroupCpuLimit(read);
  const cpus = quota === undefined ? parallelism : Math.min(parallelism, Math.ceil(quota));
  return Math.max(1, cpus);
}

/** Facts about the host that placeholders and rules read; injectable for tests. */
export interface HostFacts {
  cpus: number;
  hostname: string;
  /** net.core.somaxconn, or undefined where it cannot be read. */
  somaxconn: number | undefined;
}

/** The facts of the machine this process runs on. */
export function detectHost(read: ReadText = readIfPresent): HostFacts {
  const somaxconn = Number(read('/proc/sys/net/core/somaxconn'));
  return { cpus: availableCpus(read), hostname: os.hostname(), somaxconn: somaxconn > 0 ? somaxconn : undefined };
}

/** uWSGI's magic variables for one config file: letter → value. */
export type MagicVars = ReadonlyMap<string, string>;

/**
 * The magic variables of the config file `file` (absolute): `%d` directory with a trailing
 * slash, `%p` path, `%s` file name, `%n` name without extension, `%e` extension, `%c` name
 * of the directory, `%k` CPUs, `%h` hostname, `%v` working directory, `%%` a percent sign.
 */
export function magicVars(file: string, cwd: string, host: Pick<HostFacts, 'cpus' | 'hostname'>): MagicVars {
  const dir = path.dirname(file);
  const ext = path.extname(file);
  return new Map([
    ['d', dir.endsWith('/') ? dir : `${dir}/`],
    ['p', file],
    ['s', path.basename(file)],
    ['n', path.basename(file, ext)],
    ['e', ext.replace(/^\./, '')],
    ['c', path.basename(dir)],
    ['k', String(host.cpus)],
    ['h', host.hostname],
    ['v', cwd],
    ['%', '%'],
  ]);
}

/** Expands the inside of a `%(...)` reference (references.ts); ini values only. */
export type Refer = (expression: string) => Expansion;

/** What ini values have besides the magic variables: `%(name)` references and `@(file)` contents. */
export interface IniLookups {
  refer: Refer;
  /** The content of a file named by `@(path)`, one trailing newline removed. */
  include: (file: string) => Expansion;
}

/** The result of expanding a value: the text, or the error to report. */
export type Expansion =
  | { ok: true; value: string }
  | { ok: false; code: ExpansionCode; reason: string };

/** The diagnostic codes an expansion can fail with. */
export type ExpansionCode =
  | 'TSGI_CONFIG_UNKNOWN_PLACEHOLDER'
  | 'TSGI_CONFIG_BAD_PLACEHOLDER'
  | 'TSGI_CONFIG_UNSET_ENV'
  | 'TSGI_CONFIG_INCLUDE_UNREADABLE'
  | 'TSGI_CONFIG_INCLUDE_REJECTED'
  | 'TSGI_CONFIG_EXPANSION_LIMIT';

/**
 * The longest value an expansion may produce. Ten references to a value that holds ten
 * references grow tenfold per level; without a cap eight levels exceed V8's string limit
 * and loading throws. No option needs more than a few KiB.
 */
export const MAX_EXPANDED_LENGTH = 64 * 1024;

/** How deep `%(name)` references and `@(...)` paths may nest; each level is a stack frame. */
export const MAX_EXPANSION_DEPTH = 32;

/** The error for a value longer than MAX_EXPANDED_LENGTH. */
export function tooLong(length: number): Expansion {
  return { ok: false, code: 'TSGI_CONFIG_EXPANSION_LIMIT', reason: `the expanded value would be ${length > MAX_EXPANDED_LENGTH * 16 ? 'far ' : ''}longer than 64 KiB (${MAX_EXPANDED_LENGTH} characters); check the %(...) references for repetition` };
}

const ENV_REFERENCE = /^\$\(([A-Za-z_][A-Za-z0-9_]*)(?::-([^)]*))?\)/;

/**
 * Expand `$(NAME)` and `$(NAME:-default)` (the default is used when NAME is unset or
 * empty, as in the shell), and, when `magic` is given (ini values only, as in uWSGI), the
 * `%x` magic variables and, given `lookups`, `%(name)` references and `@(file)` contents. Unknown `%x` and unset
 * variables are errors: uWSGI silently empties the first and leaves the second as literal
 * text, and both hide mistakes.
 */
export function expandValue(text: string, env: NodeJS.ProcessEnv, magic?: MagicVars, lookups?: IniLookups, depth = 0): Expansion {
  if (depth > MAX_EXPANSION_DEPTH) return { ok: false, code: 'TSGI_CONFIG_EXPANSION_LIMIT', reason: `@(...) paths nest deeper than ${MAX_EXPANSION_DEPTH}` };
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (out.length > MAX_EXPANDED_LENGTH) return tooLong(out.length);
    const ch = text[i];
    if ((ch === '%' || ch === '@') && text[i + 1] === '(' && magic !== undefined && lookups !== undefined) {
      const close = closingParen(text, i + 1);
      if (close === -1) return { ok: false, code: 'TSGI_CONFIG_BAD_PLACEHOLDER', reason: `"${text.slice(i)}" has no closing ")"` };
      const inside = text.slice(i + 2, close);
      let value: Expansion;
      if (ch === '%') {
        value = lookups.refer(inside);
      } else {
        // the path may use $(ENV), %d and %(name) itself: @(%dsecret.txt)
        const file = expandValue(inside, env, magic, lookups, depth + 1);
        value = file.ok ? lookups.include(file.value) : file;
      }
      if (!value.ok) return value;
      out += value.value;
      i = close;
    } else if (ch === '%' && magic !== undefined) {
      const letter = text[i + 1];
      const value = letter === undefined ? undefined : magic.get(letter);
      if (value === undefined) return unknownMagic(letter, magic);
      out += value;
      i++;
    } else if (ch === '$' && text[i + 1] === '(') {
      const match = ENV_REFERENCE.exec(text.slice(i));
      if (match === null) return { ok: false, code: 'TSGI_CONFIG_BAD_PLACEHOLDER', reason: `"${text.slice(i)}" is not $(NAME) or $(NAME:-default)` };
      const [whole, name = '', fallback] = match;
      const value = env[name];
      if ((value === undefined || value === '') && fallback !== undefined) out += fallback;
      else if (value === undefined) return { ok: false, code: 'TSGI_CONFIG_UNSET_ENV', reason: `environment variable "${name}" is not set (write $(${name}:-default) to give a default)` };
      else out += value;
      i += whole.length - 1;
    } else {
      out += ch;
    }
  }
  return out.length > MAX_EXPANDED_LENGTH ? tooLong(out.length) : { ok: true, value: out };
}

/** The index of the ")" that closes the "(" at `open`, nested pairs skipped: @(%(dir)file). */
function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

function unknownMagic(letter: string | undefined, magic: MagicVars): Expansion {
  const known = [...magic.keys()].map((k) => `%${k}`).join(' ');
  const what = letter === undefined ? 'a lone "%" at the end' : letter === '(' ? 'uWSGI\'s %(option) references are not supported' : `unknown placeholder "%${letter}"`;
  return { ok: false, code: 'TSGI_CONFIG_UNKNOWN_PLACEHOLDER', reason: `${what} (known: ${known}; write %% for a percent sign)` };
}
