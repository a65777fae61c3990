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

/** A death counts as "too fast" when the worker never got ready or lived less than this. */
export const FAST_DEATH_MS = 2000;

/** Whether a death feeds the crash-loop counter. */
export function isFastDeath(spawnedAt: number, readyAt: number, diedAt: number): boolean {
  return readyAt === 0 || diedAt - spawnedAt < FAST_DEATH_MS;
}
