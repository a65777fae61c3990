/**
 * How the page writes figures: the units of the stats document (bytes, microseconds, epoch
 * seconds) turned into what a reader takes in at a glance. Pure; runs in the browser.
 */

const UNITS = ['K', 'M', 'G', 'T'] as const;

/** Bytes, 1024-based as uwsgitop writes them: `512`, `1.5K`, `230.4M`. */
export function size(bytes: number): string {
  if (!(bytes >= 1024)) return String(Math.max(0, Math.trunc(bytes || 0)));
  let value = bytes;
  let unit = '';
  for (const u of UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return `${value.toFixed(1)}${unit}`;
}

/** Requests per second: `—` when unknown (a first snapshot), one decimal below 100. */
export function rate(rps: number | undefined): string {
  if (rps === undefined || !Number.isFinite(rps)) return '—';
  return rps < 100 ? rps.toFixed(1) : String(Math.round(rps));
}

/** A count with thousands separated, so 1234567 reads at once. */
export function count(n: number): string {
  return Math.trunc(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A CPU percentage (100 = one core). */
export function cpu(percent: number): string {
  return `${percent.toFixed(percent < 10 ? 1 : 0)}%`;
}

/** Event-loop utilisation, 0..1, as a percentage. */
export function elu(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** uWSGI's `avg_rt` (microseconds) in the unit that suits it. */
export function responseTime(micros: number): string {
  if (micros <= 0) return '—';
  if (micros < 1000) return `${Math.round(micros)}µs`;
  if (micros < 1_000_000) return `${(micros / 1000).toFixed(micros < 10_000 ? 1 : 0)}ms`;
  return `${(micros / 1_000_000).toFixed(1)}s`;
}

/** A span of seconds as its two largest units: `45s`, `3m 12s`, `2h 05m`, `4d 3h`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor(s / 3600) % 24}h`;
}

/** `14:03:27`, local time, of an epoch in ms. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** How long ago an epoch second was, from `nowMs`: `12s ago`; `—` for 0 (never). */
export function ago(epochSeconds: number, nowMs: number): string {
  if (epochSeconds <= 0) return '—';
  return `${duration(nowMs / 1000 - epochSeconds)} ago`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
