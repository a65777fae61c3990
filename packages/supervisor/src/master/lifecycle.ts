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

/**
 * SIGINT/SIGQUIT (at once) and die-on-term SIGTERM or fifo `q` (graceful). With
 * `shutdown-delay`, a graceful shutdown first only turns readiness off (`/readyz`
 * answers 503) and lets the workers serve on, so that load balancers and
 * Kubernetes stop sending before anything drains; `drain` starts it later.
 */
export function shutdown(p: MasterParts, graceful: boolean, delaySeconds = p.cfg.shutdownDelay): void {
  const s = p.state.state;
  if (s.phase === 'stopped' || (s.phase === 'stopping' && graceful)) return;
  if (p.state.paused) togglePause(p);
  const delay = graceful && s.phase !== 'stopping' ? delaySeconds : 0;
  if (delay > 0) {
    p.log.log(`graceful shutdown triggered: not ready any more, the workers drain in ${delay} seconds (shutdown-delay)...`);
    p.state.move({ phase: 'stopping', graceful, drainAt: p.clock.now() + delay * 1000 }, 'graceful shutdown after shutdown-delay');
    return;
  }
  p.log.log(graceful ? 'graceful shutdown triggered...' : 'SIGINT/SIGTERM received...killing workers...');
  p.state.move({ phase: 'stopping', graceful }, graceful ? 'graceful shutdown' : 'shutdown now');
  p.spoolers.stopAll();
  p.pool.stopAll(graceful);
}

/** `shutdown-delay` is over: the graceful drain of a shutdown begins. */
export function drainAfterDelay(p: MasterParts, now: number): void {
  const s = p.state.when('stopping');
  if (!s || s.drainAt === undefined || now < s.drainAt) return;
  p.log.log('graceful shutdown: shutdown-delay is over, draining the workers...');
  p.state.move({ phase: 'stopping', graceful: s.graceful }, 'shutdown-delay over');
  p.spoolers.stopAll();
  p.pool.stopAll(true);
}
