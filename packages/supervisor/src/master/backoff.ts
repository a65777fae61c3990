/**
 * The crash-loop throttle (`forkbomb-delay`, `respawn-backoff-max`), a pure
 * function (docs/conventions.md, "Pure decisions, thin effects"). uWSGI sleeps
 * `forkbomb-delay` after too many fast respawns; PM2 and supervisord give up
 * and need a human. tsgi grows the delay and never gives up: the first fast
 * death respawns at once, then base, 2·base, 4·base … capped at `max`, and
 * the slot keeps being probed at the cap.
 */
export function respawnDelay(fastFailures: number, baseSeconds: number, maxSeconds: number): number {
  if (fastFailures <= 1 || baseSeconds <= 0) return 0;
  return Math.min(maxSeconds, baseSeconds * 2 ** (fastFailures - 2));
}

/**
 * Whether a death feeds the crash-loop counter: only a boot failure, a worker
 * that never got ready (the app throws at import, a port it needs is taken;
 * the caller leaves out a SIGKILL the master did not send).
 * A worker that was ready and serving is respawned at once however soon it
 * dies: the OOM killer or a query of death must cost one worker's requests,
 * not the slot's capacity for seconds (the master's spawn-rate cap bounds a
 * worker that dies right after every start).
 */
export function isBootFailure(readyAt: number): boolean {
  return readyAt === 0;
}

/** At most this many worker spawns per second (and at least `processes`, so a reload is never held back). */
export function spawnRateCap(processes: number): number {
  return Math.max(4, 2 * processes);
}
