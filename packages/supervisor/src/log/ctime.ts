const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => (n < 10 ? '0' : '') + n;

/** C's ctime() without the newline, e.g. `Sat Nov 21 23:29:21 2026`, as uWSGI prints it. */
export function ctime(date: Date): string {
  const d = date.getDate();
  return `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${d < 10 ? ' ' : ''}${d} ${two(date.getHours())}:${two(
    date.getMinutes(),
  )}:${two(date.getSeconds())} ${date.getFullYear()}`;
}

/** ctime() of the current second, recomputed at most once a second: the request log calls it per request. */
export function cachedCtime(): () => string {
  let second = -1;
  let text = '';
  return () => {
    const now = Date.now();
    const s = Math.floor(now / 1000);
    if (s !== second) {
      second = s;
      text = ctime(new Date(now));
    }
    return text;
  };
}
