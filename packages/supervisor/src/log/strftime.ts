/**
 * C's strftime() in the C locale, local time, for `logdate = FORMAT`, `log-prefix` and the
 * request log's `%(ltime)` and `%(ftime)`: a format is compiled once into a function of a
 * date, and `everySecond` recomputes its text at most once a second, since log lines ask
 * for it far more often than that.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);

/** `+0100`: the local offset from UTC, as %z writes it. */
export function utcOffset(d: Date): string {
  const minutes = -d.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

function zoneName(d: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

function dayOfYear(d: Date): number {
  return Math.round((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86_400_000) + 1;
}

const hour12 = (d: Date): number => d.getHours() % 12 || 12;

/** What each conversion writes; the composite ones are spelt out as C defines them. */
const CONVERSIONS: Readonly<Record<string, (d: Date) => string>> = {
  a: (d) => DAYS[d.getDay()]!.slice(0, 3),
  A: (d) => DAYS[d.getDay()]!,
  b: (d) => MONTHS[d.getMonth()]!.slice(0, 3),
  h: (d) => MONTHS[d.getMonth()]!.slice(0, 3),
  B: (d) => MONTHS[d.getMonth()]!,
  c: (d) => `${CONVERSIONS['a']!(d)} ${CONVERSIONS['b']!(d)} ${pad(d.getDate(), 2, ' ')} ${CONVERSIONS['T']!(d)} ${d.getFullYear()}`,
  C: (d) => pad(Math.floor(d.getFullYear() / 100)),
  d: (d) => pad(d.getDate()),
  D: (d) => `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`,
  e: (d) => pad(d.getDate(), 2, ' '),
  F: (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
  H: (d) => pad(d.getHours()),
  I: (d) => pad(hour12(d)),
  j: (d) => pad(dayOfYear(d), 3),
  k: (d) => pad(d.getHours(), 2, ' '),
  l: (d) => pad(hour12(d), 2, ' '),
  m: (d) => pad(d.getMonth() + 1),
  M: (d) => pad(d.getMinutes()),
  n: () => '\n',
  p: (d) => (d.getHours() < 12 ? 'AM' : 'PM'),
  P: (d) => (d.getHours() < 12 ? 'am' : 'pm'),
  r: (d) => `${pad(hour12(d))}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${CONVERSIONS['p']!(d)}`,
  R: (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`,
  s: (d) => String(Math.floor(d.getTime() / 1000)),
  S: (d) => pad(d.getSeconds()),
  t: () => '\t',
  T: (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
  u: (d) => String(d.getDay() || 7),
  w: (d) => String(d.getDay()),
  x: (d) => CONVERSIONS['D']!(d),
  X: (d) => CONVERSIONS['T']!(d),
  y: (d) => pad(d.getFullYear() % 100),
  Y: (d) => String(d.getFullYear()),
  z: utcOffset,
  Z: zoneName,
  '%': () => '%',
};

/**
 * The format compiled: literal runs and conversions. A conversion C does not define is
 * written as it stands (`%Q` stays `%Q`), as glibc does.
 */
export function strftime(format: string): (d: Date) => string {
  const parts: Array<string | ((d: Date) => string)> = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const conv = format[i] === '%' ? CONVERSIONS[format[i + 1] ?? ''] : undefined;
    if (conv === undefined) {
      literal += format[i];
      continue;
    }
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(conv);
    i++;
  }
  if (literal !== '') parts.push(literal);
  return (d) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(d);
    return out;
  };
}

/**
 * The text of `render` for the second of `epochMs`, computed once per second: every line
 * of a busy second reads the same string.
 */
export function everySecond(render: (d: Date) => string): (epochMs: number) => string {
  let second = NaN;
  let text = '';
  return (epochMs) => {
    const s = Math.floor(epochMs / 1000);
    if (s !== second) {
      second = s;
      text = render(new Date(s * 1000));
    }
    return text;
  };
}
