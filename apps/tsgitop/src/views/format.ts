/**
 * Cell formats, copied from uwsgitop 0.12 so its users read the same figures: the same
 * units, the same rounding, even Python's quirks (`%.1f` and `round()` round exact ties
 * to even, `str(float)` prints `0.0`), and the totals the views share. Everything here is
 * pure.
 */

const KIB = 1024;
const MIB = 1024 * 1024;
const GIB = 1024 * 1024 * 1024;

/** uwsgitop's `human_size`: 1024-based, one decimal, `G`/`M`/`K`, plain integer below 1 KiB. */
export function humanSize(bytes: number): string {
  if (bytes >= GIB) return `${pyFixed(bytes / GIB, 1)}G`;
  if (bytes >= MIB) return `${pyFixed(bytes / MIB, 1)}M`;
  if (bytes >= KIB) return `${pyFixed(bytes / KIB, 1)}K`;
  return String(Math.trunc(bytes));
}

/**
 * Python's `'%.Nf' % value`. JavaScript's `toFixed` already rounds the exact binary value
 * correctly, but breaks exact ties (0.25 → "0.3") away from zero where Python rounds them
 * to even ("0.2"); a 100-digit expansion is exact for the values a dashboard shows, so a
 * tie is detected exactly.
 */
export function pyFixed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  const rounded = value.toFixed(digits);
  if (Math.abs(value) >= 1e21) return rounded;
  // An exact tie scales to exactly n + 0.5; most values do not, and skip the slow check.
  const scaled = Math.abs(value) * 10 ** digits;
  if (scaled - Math.floor(scaled) !== 0.5) return rounded;
  const exact = Math.abs(value).toFixed(100);
  const cut = exact.indexOf('.') + 1 + digits;
  if (!/^50*$/.test(exact.slice(cut))) return rounded;
  const kept = exact.slice(0, digits === 0 ? cut - 1 : cut);
  const lastDigit = Number(kept.at(-1));
  if (lastDigit % 2 === 1) return rounded;
  return value < 0 ? `-${kept}` : kept;
}

/** Python 3's `round(value)`: to the nearest integer, exact halves to the even one. */
export function pyRound(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Python 3's `str(float)`: shortest round-trip digits, always a `.0` on whole numbers. */
export function pyFloatStr(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : value < 0 ? '-inf' : 'nan';
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e16 || magnitude < 1e-4)) {
    // Python writes the exponent with at least two digits: 1e+16, 1.5e-05.
    return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return Number.isInteger(value) ? `${value.toFixed(0)}.0` : String(value);
}

/** `%`: the slot's share of all requests ever served (uwsgitop's `calc_percent`). */
export function formatPercent(requests: number, total: number): string {
  return pyFixed(total === 0 ? 0 : (100 * requests) / total, 1);
}

/** AVG: `avg_rt` is µs; uwsgitop prints `%dms`, truncating, so anything under 1 ms is `0ms`. */
export function formatAvg(avgRtMicros: number): string {
  return `${Math.trunc(avgRtMicros / 1000)}ms`;
}

/** RunT: `running_time` µs as ms (`2297.451`), or minutes with an `m` past 9,999,999 ms. */
export function formatRunTime(runningTimeMicros: number): string {
  const ms = runningTimeMicros / 1000;
  return ms > 9_999_999 ? `${pyFloatStr(ms / 60_000)}m` : pyFloatStr(ms);
}

/** LastSpwn: local `HH:MM:SS` of an epoch-seconds timestamp; `--:--:--` for never. */
export function formatLastSpawn(epochSeconds: number): string {
  return epochSeconds ? clock(new Date(epochSeconds * 1000)) : '--:--:--';
}

/** RPS cells: uwsgitop's `int(round(rps))`, or `-` when there is no interval to measure yet. */
export function formatRate(rate: number | undefined): string {
  return rate === undefined ? '-' : String(pyRound(rate));
}

/** CPU: percent of one core over the server's last interval (tsgi only). */
export function formatCpu(cpu: number | undefined): string {
  return cpu === undefined ? '-' : `${pyFixed(cpu, 1)}%`;
}

/** ELU: event-loop utilisation 0..1, shown as a whole percentage (tsgi only). */
export function formatElu(elu: number | undefined): string {
  return elu === undefined ? '-' : `${pyRound(elu * 100)}%`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Python's `time.ctime()` in local time: `Sat Nov 21 23:34:21 2026`, the day space-padded. */
export function ctime(date: Date): string {
  const day = String(date.getDate()).padStart(2, ' ');
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${day} ${clock(date)} ${date.getFullYear()}`;
}

/** Local `HH:MM:SS`. */
export function clock(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** Cuts `text` to `width` columns, marking the cut so a clipped figure is never mistaken for a whole one. */
export function clip(text: string, width: number): string {
  if (text.length <= width) return text;
  return width <= 1 ? text.slice(0, width) : `${text.slice(0, width - 1)}~`;
}

/** The sum of `pick` over `items`: totals for the header, the table and the averages. */
export function sumOf<T>(items: readonly T[], pick: (item: T) => number): number {
  let sum = 0;
  for (const item of items) sum += pick(item);
  return sum;
}
