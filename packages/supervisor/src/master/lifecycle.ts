import type { MasterParts } from './parts.js';

/**
 * SIGTSTP, fifo `p`: pause or resume every worker. A paused worker is
 * stopped by the kernel (SIGSTOP), so it accepts nothing and new
 * connections wait in the backlog; SIGCONT resumes it where it was.
 */
export function togglePause(p: MasterParts): void {
  const run = p.state.when('running');
  if (!run) return;
  const paused = !run.paused;
  p.log.log(paused ? '*** PAUSE (press start to resume, if you do not have a joypad send SIGTSTP) ***' : '*** (SIGTSTP received) resuming workers ***');
  p.state.move({ ...run, paused }, paused ? 'pause' : 'resume');
  p.pool.pauseAll(paused);
}

/** SIGINT/SIGQUIT (at once) and die-on-term SIGTERM or fifo `q` (graceful). */
export function shutdown(p: MasterParts, graceful: boolean): void {
  const s = p.state.state;
  if (s.phase === 'stopped' || (s.phase === 'stopping' && graceful)) return;
  if (p.state.paused) togglePause(p);
  p.log.log(graceful ? 'graceful shutdown triggered...' : 'SIGINT/SIGTERM received...killing workers...');
  p.state.move({ phase: 'stopping', graceful }, graceful ? 'graceful shutdown' : 'shutdown now');
  p.spoolers.stopAll();
  p.pool.stopAll(graceful);
}
