import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FUZZ_ENV, badDiagnostic, corpus, fuzzCase, makeOddities, type Oddities, type RunnerMessage, type RunnerTask } from './config-fuzz-cases.js';
import { SUPERVISE, killAll, tmp } from './harness.js';

after(killAll);

/** Fixed, so a failure replays; TSGI_FUZZ_SEED explores others. */
const SEED = Number(process.env['TSGI_FUZZ_SEED'] ?? 0x7e5c1);
/** In-process cases stop at this count or time, whichever comes first. */
const IN_PROCESS = { count: 20_000, budgetMs: 7_000, minimum: 300 };
/** CLI cases (supervise --show-config, two at a time) stop at this count or time. */
const CLI = { count: 400, budgetMs: 5_500, minimum: 12, timeoutMs: 10_000, from: 1_000_000 };
/** A case that takes longer than this is reported as a hang. */
const HANG_MS = 3_000;

let odd: Oddities;
let files: string[];
before(() => {
  odd = makeOddities(tmp('tsgi-fuzz-'));
  files = corpus(odd);
});

/** The failing input, written beside the oddities, and the message that says how to replay it. */
function report(index: number, problem: string): string {
  const text = fuzzCase(SEED, index, files, odd);
  const file = path.join(odd.dir, `failing-${index}.ini`);
  writeFileSync(file, text);
  return `seed ${SEED} case ${index}: ${problem}\ninput (${file}, replay with TSGI_FUZZ_SEED=${SEED}):\n${text.slice(0, 2000)}`;
}

describe(`ini fuzzer, seed ${SEED}`, () => {
  test('loadConfig called directly: no throw, no hang, every diagnostic names file:line', async (t) => {
    const task: RunnerTask = { seed: SEED, from: 0, count: IN_PROCESS.count, budgetMs: IN_PROCESS.budgetMs, dir: odd.dir };
    const runner = fork(fileURLToPath(new URL('./config-fuzz-cases.js', import.meta.url)), [], { env: { ...process.env, TSGI_FUZZ_RUNNER: JSON.stringify(task) }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    runner.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const problems: string[] = [];
    let done = 0;
    let current = -1;
    let ended = false;
    await new Promise<void>((resolve) => {
      let watchdog: NodeJS.Timeout | undefined;
      const arm = (): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          problems.push(report(current, `no answer within ${HANG_MS} ms (a hang)`));
          runner.kill('SIGKILL');
        }, HANG_MS);
      };
      arm();
      runner.on('message', (m: RunnerMessage) => {
        arm();
        if ('start' in m) current = m.start;
        if ('done' in m) {
          done++;
          if (m.done.problem !== undefined) problems.push(report(m.done.index, m.done.problem));
        }
        if ('end' in m) ended = true;
      });
      runner.on('exit', () => {
        clearTimeout(watchdog);
        resolve();
      });
    });
    if (!ended && problems.length === 0) problems.push(report(current, `the runner died: ${stderr.slice(0, 2000)}`));
    t.diagnostic(`${done} cases`);
    assert.deepEqual(problems.slice(0, 3), [], `${problems.length} of ${done} cases failed`);
    assert.ok(done >= IN_PROCESS.minimum, `only ${done} cases in ${IN_PROCESS.budgetMs} ms`);
  });

  test('supervise --show-config: exit 0 or 2, no stack trace, every error names file:line', async (t) => {
    const problems: string[] = [];
    const until = Date.now() + CLI.budgetMs;
    let next = CLI.from;
    let done = 0;
    const one = async (index: number): Promise<void> => {
      const ini = path.join(odd.dir, `cli-${index}.ini`);
      writeFileSync(ini, fuzzCase(SEED, index, files, odd));
      const { code, signal, output } = await new Promise<{ code: number | null; signal: string | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, [SUPERVISE, '--ini', ini, '--show-config'], { env: FUZZ_ENV, cwd: odd.dir, stdio: ['ignore', 'ignore', 'pipe'] });
        let output = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), CLI.timeoutMs);
        child.on('close', (c, s) => {
          clearTimeout(timer);
          resolve({ code: c, signal: s, output });
        });
      });
      let problem: string | undefined;
      if (signal !== null) problem = `killed by ${signal} after ${CLI.timeoutMs} ms (a hang)`;
      else if (code !== 0 && code !== 2) problem = `exit ${code}`;
      for (const line of output.split('\n')) {
        const m = /^(error|warning): (.*)$/.exec(line);
        // the CLI prints no codes: a file-level message is accepted here, in-process checks the code
        const bad = m === null ? undefined : badDiagnostic(m[2]!, ini, true);
        if (bad !== undefined) problem ??= `${bad}: ${line.slice(0, 500)}`;
      }
      if (/\n\s+at /.test(output)) problem ??= 'a stack trace';
      if (problem !== undefined) problems.push(`${report(index, problem)}\nstderr:\n${output.slice(0, 2000)}`);
      done++;
    };
    const lane = async (): Promise<void> => {
      while (next < CLI.from + CLI.count && (Date.now() < until || done < CLI.minimum)) await one(next++);
    };
    await Promise.all([lane(), lane()]);
    t.diagnostic(`${done} cases`);
    assert.deepEqual(problems.slice(0, 3), [], `${problems.length} of ${done} cases failed`);
    assert.ok(done >= CLI.minimum, `only ${done} cases`);
  });
});
