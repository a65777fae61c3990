/**
 * tsgitop in a real terminal: tmux runs the real bin against a fake tsgi stats server
 * whose counters grow, and the test reads the screen as a user would (capture-pane).
 * It checks every worker row and a non-zero RPS, that the screen says when the server is
 * down, answers junk or restarts and that it reconnects, and that `q` ends the process
 * and gives the terminal back (normal screen, cursor shown, echo and canonical mode on).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeServer, type FakeServer } from './testing/fake-server.js';
import { quitAndCheckRestored, screenWithWorkers, startTsgitop } from './testing/screen.js';
import { TmuxSession, tmuxAvailable, waitFor } from './testing/tmux.js';

const WORKERS = 6;
const MASTER_PID = 41_000;
const skip = tmuxAvailable() ? false : 'tmux is not on PATH (CI installs it): the terminal e2e tests need it';

const sessions: TmuxSession[] = [];
const fakes: FakeServer[] = [];
after(async () => {
  for (const session of sessions) session.kill();
  for (const fake of fakes) await fake.close();
});

function start(width: number, height: number, address: string): TmuxSession {
  const session = startTsgitop(width, height, address);
  sessions.push(session);
  return session;
}

/** The fake's workers: ids 1..WORKERS, pids after the master's. */
function fakeWorkers(masterPid: number): Array<[number, number]> {
  return Array.from({ length: WORKERS }, (_, i) => [i + 1, masterPid + i + 1]);
}

describe('tsgitop in tmux', { skip }, () => {
  for (const [width, height] of [
    [120, 40],
    [80, 24],
  ] as const) {
    it(`shows every worker and a live RPS at ${width}x${height}, and q restores the terminal`, { timeout: 40_000 }, async () => {
      const fake = await startFakeServer({ workers: WORKERS, masterPid: MASTER_PID });
      fakes.push(fake);
      const session = start(width, height, fake.address);
      const screen = await waitFor('every worker row and RPS > 0', 15_000, () => screenWithWorkers(session, fakeWorkers(MASTER_PID)), () => session.capture());
      const lines = screen.replace(/\n$/, '').split('\n');
      assert.ok(lines.length <= height);
      assert.match(lines[0]!, /^tsgi-0\.1\.0 - /);
      assert.match(screen, / WID +% +PID +REQ +RPS /);
      assert.match(screen, /sort REQ desc/);
      session.sendKeys('s');
      await waitFor('s sorts by the next column', 5000, () => (/sort RPS desc/.test(session.capture()) ? true : undefined));
      session.sendKeys('h');
      await waitFor('h shows the help', 5000, () => (/tsgitop keys/.test(session.capture()) ? true : undefined));
      session.sendKeys('Escape');
      await waitFor('Esc closes the help', 5000, () => (/tsgitop keys/.test(session.capture()) ? undefined : true));
      await quitAndCheckRestored(session);
    });
  }

  it('gives the terminal back on SIGTERM too', { timeout: 30_000 }, async () => {
    const fake = await startFakeServer({ workers: WORKERS, masterPid: MASTER_PID });
    fakes.push(fake);
    const session = start(80, 24, fake.address);
    await waitFor('first rows', 15_000, () => screenWithWorkers(session, fakeWorkers(MASTER_PID)), () => session.capture());
    await quitAndCheckRestored(session, 'SIGTERM');
  });

  it('says when the server is down, answers junk or restarts, and reconnects', { timeout: 60_000 }, async () => {
    let fake = await startFakeServer({ workers: WORKERS, masterPid: MASTER_PID });
    fakes.push(fake);
    const { port } = fake;
    const session = start(160, 40, fake.address);
    const shows = (what: string, pattern: RegExp) =>
      waitFor(what, 15_000, () => (pattern.test(session.capture()) ? true : undefined), () => session.capture());
    await waitFor('first rows', 15_000, () => screenWithWorkers(session, fakeWorkers(MASTER_PID)), () => session.capture());

    fake.mode = 'truncated';
    await shows('a partial document is reported', /BAD ANSWER since \d\d:\d\d:\d\d: truncated stats document/);
    fake.mode = 'garbage';
    await shows('junk is reported', /BAD ANSWER since .*invalid JSON/);

    await fake.close();
    await shows('a gone server is reported', /DOWN since \d\d:\d\d:\d\d: no stats server at 127\.0\.0\.1:\d+ \(connection refused\)/);
    assert.match(session.capture(), / 1 +\S+ +41001 /, 'the last data stays on screen');

    fake = await startFakeServer({ workers: WORKERS, masterPid: 52_000, port });
    fakes.push(fake);
    await shows('the new master is noticed', /server restarted \(master pid 41000 -> 52000\)/);
    await waitFor('rows of the new master with a live RPS', 15_000, () => screenWithWorkers(session, fakeWorkers(52_000)), () => session.capture());
    assert.doesNotMatch(session.capture(), /DOWN|BAD ANSWER/);
    await quitAndCheckRestored(session);
  });
});
