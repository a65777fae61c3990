/**
 * max-requests without a pause: uWSGI's worker stops accepting at N and only then is its
 * replacement started, so a lone worker leaves the socket unserved for a Node start-up
 * (~0.2-0.5 s). A tsgi worker asks for its successor when, at its current request rate,
 * it would reach N within the lead: SUCCESSION_LEAD_MS, or twice its own start-up when
 * that was longer (a loaded machine starts a successor as slowly as it started this one);
 * the master retires it once the successor is ready. It never serves more than N: reaching
 * N first, it stops as uWSGI's does.
 */
export const SUCCESSION_LEAD_MS = 1000;

export interface SuccessionInput {
  requests: number;
  maxRequests: number;
  /** requests per second, recently */
  rate: number;
  /** seconds since the worker started */
  age: number;
  minWorkerLifetime: number;
  /** how long this worker took from its process start to ready, ms */
  startupMs?: number;
}

/** Whether to ask the master for a successor now (once per worker). */
export function successorDue(i: SuccessionInput): boolean {
  if (i.maxRequests <= 0 || i.rate <= 0) return false;
  const lead = Math.max(SUCCESSION_LEAD_MS, 2 * (i.startupMs ?? 0)) / 1000;
  // the successor would be ready about when the recycle becomes allowed, not long before
  if (i.age < i.minWorkerLifetime - lead) return false;
  return i.maxRequests - i.requests <= i.rate * lead;
}

/** Request rate, smoothed over report ticks (half the weight to the newest tick). */
export function nextRate(previous: number, requestsDelta: number, ms: number): number {
  if (ms <= 0) return previous;
  const now = (requestsDelta * 1000) / ms;
  return previous > 0 ? (previous + now) / 2 : now;
}
