/**
 * The ini fuzzer's cases (config-fuzz.test.ts): a seeded PRNG, a corpus of real ini files
 * (the examples and hand-written ones using every kind of placeholder) and mutations that
 * aim at what once threw or blocked: random bytes, truncated and duplicated lines, huge
 * values, deep `%()` chains, `@()` of odd files, unset `$(VAR)`, bad numbers, odd sections
 * and bad paths. Also the in-process runner, run in a child process so that the test can
 * kill a case that blocks (a FIFO read blocks in the kernel: not even a worker thread's
 * terminate() stops it).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatDiagnostic, loadConfig, renderIni } from '@tsgi/config';
import { FIXTURES, ROOT } from './harness.js';
import { int, mulberry32, pick, type Rng } from './random.js';



/** The environment every case is loaded with: what the examples need, nothing else. */
export const FUZZ_ENV: NodeJS.ProcessEnv = { PORT: '8080', APP_ADDR: '127.0.0.1', STATS_PORT: '9191', HOME: '/tmp' };

/** Odd things for `@()`, paths and includes, made once in `dir`. */
export interface Oddities {
  dir: string;
  fifo: string;
  big: string;
  secret: string;
  subdir: string;
}

/** Create the odd files the mutations point at. */
export function makeOddities(dir: string): Oddities {
  const odd: Oddities = { dir, fifo: path.join(dir, 'fifo'), big: path.join(dir, 'big'), secret: path.join(dir, 'secret'), subdir: path.join(dir, 'sub') };
  execFileSync('mkfifo', [odd.fifo]);
  writeFileSync(odd.big, 'y'.repeat(200_000));
  writeFileSync(odd.secret, 's3cret\n');
  mkdirSync(odd.subdir);
  return odd;
}

/** Real ini files: the examples (with %d made absolute, so their apps still resolve) and hand-written ones. */
export function corpus(odd: Oddities): string[] {
  const examples = path.join(ROOT, 'examples');
  const inis = readdirSync(examples, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ini'))
    .sort()
    .map((f) => readFileSync(path.join(examples, f), 'utf8').replaceAll('%d', `${path.dirname(path.join(examples, f))}/`));
  const app = path.join(FIXTURES, 'node-listener.mjs');
  return [
    ...inis,
    `[tsgi]\napp = ${app}\nhttp-socket = 127.0.0.1:8080\nprocesses = 4\ncheaper = 1\ncheaper-algo = busyness\ncheaper-busyness-min = 20\ncheaper-busyness-max = 60\n`,
    `[uwsgi]\nbase = ${FIXTURES}\napp = %(base)/node-listener.mjs\nset-placeholder = port=9000\nhttp-socket = :%(port)\nsocket = 127.0.0.1:%(port + 1)\nprocesses = %(k)\nk = 2\nenv = SECRET=@(${odd.secret})\n`,
    `; comment\n# comment\n[tsgi]\nchdir = ${FIXTURES}\napp = node-listener.mjs:default\nhttp-socket = $(APP_ADDR):$(PORT)\nstats = 127.0.0.1:$(STATS_PORT:-9191)\nspooler = ${odd.dir}/spool\nspooler-import = ${path.join(FIXTURES, 'node-listener.mjs')}\nmaster-fifo = ${odd.dir}/master.fifo\n`,
    `[tsgi]\napp = ${app}\nhttp-socket = 127.0.0.1:8080\nharakiri = 30\nmax-requests = 1000\nmax-requests-delta = 10\nmin-worker-lifetime = 5\nmax-worker-lifetime = 3600\nlisten = 128\nprocname-prefix = %n-%h-\nlogto = /tmp/%n.log\n\n[prod]\nprocesses = 8\n`,
  ];
}

/** Values that have broken, or could break, a loader. */
function oddValue(rng: Rng, odd: Oddities): string {
  const huge = 'v'.repeat(1000 + int(rng, 150_000));
  return pick(rng, [
    huge,
    `@(${odd.fifo})`,
    '@(/dev/zero)',
    '@(/dev/null)',
    '@(/dev/stdin)',
    `@(${odd.big})`,
    `@(${odd.subdir})`,
    `@(${odd.secret})`,
    '@(/nonexistent/file)',
    `@(@(${odd.secret}))`,
    `${'@('.repeat(int(rng, 500))}x${')'.repeat(int(rng, 500))}`,
    `${'%('.repeat(int(rng, 50))}x`,
    '@(exec://id)',
    '$(TSGI_FUZZ_UNSET)',
    '$(TSGI_FUZZ_UNSET:-fallback)',
    '$(1BAD)',
    '$(',
    '%(',
    '%()',
    '%z',
    '%',
    '%(nosuchname)',
    '%(processes * processes * processes * processes)',
    '%(9223372036854775807 + 1)',
    `%(${'9'.repeat(int(rng, 100_000))} * 2)`,
    '%(1 / 0)',
    '%(+)',
    '%(a b c d e f)',
    '1e999',
    '-0',
    '0x10',
    '99999999999999999999',
    'NaN',
    '１２',
    ' ',
    '',
    '=',
    '"quoted"',
    "'q'",
    'true',
    'maybe',
    ':0',
    '[::1]:80',
    '/dev/null',
    '/',
    'a\u0000b',
    '\uFFFD\uD800',
  ]);
}

/** A `%()` chain of `depth` levels, each `fan` references to the one below. */
function chain(rng: Rng): string[] {
  const depth = 1 + int(rng, 60);
  const fan = 1 + int(rng, 12);
  const p = `c${int(rng, 1000)}_`;
  const lines = [`${p}0 = ${'x'.repeat(1 + int(rng, 200))}`];
  for (let i = 1; i <= depth; i++) lines.push(`${p}${i} = ${`%(${p}${i - 1})`.repeat(fan)}`);
  if (rng() < 0.3) lines.push(`${p}0 = %(${p}${depth})`); // a cycle through a duplicate key
  lines.push(`${pick(rng, ['procname-prefix', 'env', 'processes', 'app', 'chdir', 'spooler', 'set-placeholder'])} = %(${p}${depth})`);
  return lines;
}

const KEYS = ['app', 'chdir', 'http-socket', 'socket', 'http', 'stats', 'processes', 'cheaper', 'cheaper-initial', 'listen', 'harakiri', 'env', 'spooler', 'spooler-import', 'master-fifo', 'set-placeholder', 'procname-prefix', 'callable', 'pidfile', 'touch-reload', 'max-requests', 'master', 'wsgi-file', 'ini', 'nosuch-option', 'processes ', ' app', 'PROCESSES', 'pro_cesses', 'k'];

const ODD_PATHS = (odd: Oddities): string[] => ['/dev/null', '/dev/null/x', '/nonexistent', odd.fifo, `${odd.secret}/spool`, odd.subdir, '/', '/proc/self/mem', '.', '..', ''];

/** One mutation of `lines`, in place. */
function mutateOnce(rng: Rng, lines: string[], odd: Oddities): void {
  const at = int(rng, lines.length + 1);
  const line = lines[at] ?? '';
  switch (int(rng, 12)) {
    case 0: {
      // random bytes, biased to the characters the syntax uses
      const chars = '[]=%$@()#;:\\"\'\t\r\n\u0000 aZ9-_.\u00e9\uD83D\uDE00\uFFFF';
      const n = 1 + int(rng, 20);
      let junk = '';
      for (let i = 0; i < n; i++) junk += rng() < 0.6 ? chars[int(rng, chars.length)] : String.fromCharCode(int(rng, 0x3000));
      const pos = int(rng, line.length + 1);
      lines[at] = line.slice(0, pos) + junk + line.slice(pos);
      break;
    }
    case 1:
      lines[at] = line.slice(0, int(rng, line.length + 1));
      break;
    case 2:
      lines.splice(at, 0, line, line);
      break;
    case 3:
      lines.splice(at, 0, `${pick(rng, KEYS)} = ${oddValue(rng, odd)}`);
      break;
    case 4:
      lines.splice(at, 0, ...chain(rng));
      break;
    case 5:
      lines.splice(at, 0, `${pick(rng, ['chdir', 'app', 'spooler', 'spooler-import', 'master-fifo'])} = ${pick(rng, ODD_PATHS(odd))}`);
      break;
    case 6:
      lines.splice(at, 0, pick(rng, ['[tsgi', '[]', '[uwsgi:x]', '[TSGI]', '[tsgi]', '[uwsgi]', '[other]', '[ tsgi ]', '[tsgi]]', '[' + 'x'.repeat(10_000) + ']']));
      break;
    case 7:
      lines.splice(at, 1);
      break;
    case 8: {
      const other = int(rng, lines.length);
      [lines[at], lines[other]] = [lines[other] ?? '', line];
      break;
    }
    case 9:
      lines.splice(at, 0, pick(rng, ['=', '= 4', 'key', 'key =', ' = = ', `${'k'.repeat(50_000)} = 1`, `set-placeholder = ${pick(rng, ['=x', 'a', 'a=%(a)', 'b=%(c)', 'c=%(b)'])}`]));
      break;
    case 10:
      lines.splice(at, 0, `${pick(rng, ['processes', 'cheaper', 'listen', 'harakiri', 'cheaper-busyness-max', 'worker-prio'])} = ${pick(rng, ['1e999', '-1', '0', '99999999999999999999', 'NaN', '0x10', '1.5', '%k', '%(k * 1000)', '007', '+3'])}`);
      break;
    default:
      lines[at] = line.replace(/=.*/, `= ${oddValue(rng, odd)}`);
  }
}

/** Case `index` of `seed`: a corpus file with 1 to 4 mutations. */
export function fuzzCase(seed: number, index: number, files: readonly string[], odd: Oddities): string {
  const rng = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
  const lines = pick(rng, files).split('\n');
  const n = 1 + int(rng, 4);
  for (let i = 0; i < n; i++) mutateOnce(rng, lines, odd);
  return lines.join(rng() < 0.1 ? '\r\n' : '\n');
}

/** Codes about a whole file or a missing option: they name the file but have no line. */
const FILE_LEVEL = new Set(['TSGI_CONFIG_FILE_NOT_FOUND', 'TSGI_CONFIG_FILE_UNREADABLE', 'TSGI_CONFIG_NO_SECTION', 'TSGI_CONFIG_NO_APP', 'TSGI_CONFIG_NO_SOCKET']);

/**
 * What is wrong with a diagnostic of `ini` as printed (formatDiagnostic's text), or
 * undefined: it must start with `ini:LINE: ` (or `ini: ` for a file-level one), show no
 * stack trace and stay short enough to read.
 */
export function badDiagnostic(printed: string, ini: string, fileLevel: boolean): string | undefined {
  if (/\n\s+at |RangeError|TypeError|internal error/.test(printed)) return 'a stack trace or a JS error';
  if (printed.length > 4096) return `a message of ${printed.length} characters`;
  const rest = printed.startsWith(ini) ? printed.slice(ini.length) : undefined;
  const located = rest !== undefined && (/^:\d+: /.test(rest) || (fileLevel && rest.startsWith(': ')));
  return located ? undefined : 'no file:line';
}

/** True for codes about a whole file or a missing option, which name the file but no line. */
export function isFileLevel(code: string): boolean {
  return FILE_LEVEL.has(code);
}

/** The outcome of one in-process case, reported to the test. */
export interface CaseOutcome {
  index: number;
  problem?: string;
  ms: number;
}

/** What the runner is told, in the environment variable TSGI_FUZZ_RUNNER (JSON). */
export interface RunnerTask {
  seed: number;
  from: number;
  count: number;
  budgetMs: number;
  dir: string;
}

/** A runner message: a case starts, a case is done, or all are. */
export type RunnerMessage = { start: number } | { done: CaseOutcome } | { end: true };

// The runner: loads case after case, sending each index before it starts, so that the test
// knows which case blocked when the messages stop.
const runnerTask = process.env['TSGI_FUZZ_RUNNER'];
if (runnerTask !== undefined && process.send !== undefined) {
  const { seed, from, count, budgetMs, dir } = JSON.parse(runnerTask) as RunnerTask;
  const send = (m: RunnerMessage): void => void process.send!(m);
  const odd: Oddities = { dir, fifo: path.join(dir, 'fifo'), big: path.join(dir, 'big'), secret: path.join(dir, 'secret'), subdir: path.join(dir, 'sub') };
  const files = corpus(odd);
  const ini = path.join(dir, 'fuzz.ini');
  const until = Date.now() + budgetMs;
  for (let index = from; index < from + count && Date.now() < until; index++) {
    send({ start: index });
    const text = fuzzCase(seed, index, files, odd);
    writeFileSync(ini, text);
    const t0 = Date.now();
    let problem: string | undefined;
    try {
      const result = loadConfig({ argv: ['--ini', ini], env: FUZZ_ENV, cwd: dir, host: { cpus: 2, hostname: 'fuzz', somaxconn: 4096 } });
      for (const d of [...result.errors, ...result.warnings]) {
        const bad = d.code === 'TSGI_CONFIG_INTERNAL' ? 'loadConfig threw' : badDiagnostic(formatDiagnostic(d), ini, isFileLevel(d.code));
        if (bad !== undefined) problem ??= `${bad}: ${formatDiagnostic(d).slice(0, 500)}`;
      }
      if (result.config !== undefined && result.errors.length > 0) problem ??= 'a config returned with errors';
      if (result.config !== undefined) renderIni(result.config);
    } catch (err) {
      problem = `threw ${(err as Error)?.stack ?? String(err)}`;
    }
    const outcome: CaseOutcome = { index, ms: Date.now() - t0 };
    if (problem !== undefined) outcome.problem = problem;
    send({ done: outcome });
  }
  send({ end: true });
  process.disconnect();
}
