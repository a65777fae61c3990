/**
 * tsgitop as the e2e tests drive it: started in a tmux pane, read from the screen, quit
 * with `q`, and checked to have given the terminal back.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { childPids, processAlive, shellQuote, TmuxSession, waitFor } from './tmux.js';

const BIN = fileURLToPath(new URL('../../bin/tsgitop.js', import.meta.url));

/**
 * Starts tsgitop in a width×height pane. When it exits the pane prints its exit code and
 * the terminal's echo/icanon modes, then waits for Enter, so the test can read them.
 */
export function startTsgitop(width: number, height: number, address: string): TmuxSession {
  const session = new TmuxSession();
  const modes = `stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(echo|icanon)' | tr '\\n' ' '`;
  const command = `${shellQuote(process.execPath)} ${shellQuote(BIN)} ${shellQuote(address)} --frequency 1; echo "tsgitop exited $?"; echo "modes: $(${modes})"; read reply`;
  session.start(width, height, command);
  return session;
}

/** The screen once it shows a row for each `[id, pid]` and a non-zero RPS in the header. */
export function screenWithWorkers(session: TmuxSession, workers: ReadonlyArray<readonly [number, number]>): string | undefined {
  const screen = session.capture();
  const rps = /RPS: (\d+)/.exec(screen);
  if (!rps || Number(rps[1]) === 0) return undefined;
  const rowOf = (id: number, pid: number) => new RegExp(`^ ${id} +\\S+ +${pid} `, 'm');
  return workers.every(([id, pid]) => rowOf(id, pid).test(screen)) ? screen : undefined;
}

/**
 * Presses q (or sends SIGTERM) and checks: the exit code (0, or 143 for SIGTERM), the
 * process gone, the normal screen, the cursor, echo and icanon back, the pane closed.
 */
export async function quitAndCheckRestored(session: TmuxSession, how: 'q' | 'SIGTERM' = 'q'): Promise<void> {
  const shell = Number(session.display('#{pane_pid}'));
  const [tsgitop] = childPids(shell);
  assert.ok(tsgitop, 'tsgitop runs under the pane shell');
  if (how === 'q') session.sendKeys('q');
  else process.kill(tsgitop, 'SIGTERM');
  const after = await waitFor(
    `tsgitop exits on ${how}`,
    10_000,
    () => {
      const screen = session.capture();
      return /tsgitop exited \d+/.test(screen) && /modes: /.test(screen) ? screen : undefined;
    },
    () => session.capture(),
  );
  assert.match(after, how === 'q' ? /tsgitop exited 0/ : /tsgitop exited 143/);
  assert.ok(!processAlive(tsgitop), 'the tsgitop process is gone');
  assert.equal(session.display('#{alternate_on}'), '0', 'back on the normal screen');
  assert.equal(session.display('#{cursor_flag}'), '1', 'cursor visible again');
  const modes = /modes: (.*)/.exec(after)![1]!.trim().split(/\s+/).sort();
  assert.deepEqual(modes, ['echo', 'icanon'], 'echo and canonical input restored');
  session.sendKeys('Enter');
  await waitFor('the pane and session end', 10_000, () => (session.alive() ? undefined : true));
}
