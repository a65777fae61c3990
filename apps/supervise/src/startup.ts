/**
 * V8's compiler tiers in the master. Loading its ~80 modules runs Node's own path and URL
 * helpers (module resolution) hot enough for V8 to compile them with TurboFan, and the
 * allocation of start-up makes V8 double the young generation; a running master without
 * the `http` router has nothing hot enough to repay TurboFan either: its loop turns a few
 * times a second and a stats dump is served from a cache. TurboFan's code costs every
 * process that runs it ~5 MB of RSS (a 16-worker master: 58 MB with it, 52 MB without,
 * for the same CPU over 600 stats dumps), so the master starts with TurboFan, the baseline
 * compiler and young-generation growth off (`quietStart`, from `bin/supervise.js`, before
 * anything else loads) and, once set up (`startupDone`, from `main.ts`), turns the baseline
 * compiler back on, and TurboFan and young-generation growth only for the router, which runs
 * per connection. Without it the master allocates little and steadily (a report a second
 * from each idle worker, four while one serves), which a 1 MB young generation takes with a
 * scavenge now and then; grown, it kept 0.5–2 MB more resident with 16 workers.
 * A user's own compiler-tier or semi-space flags are left alone.
 */
import { setFlagsFromString } from 'node:v8';

const QUIET = ['--no-turbofan', '--no-sparkplug', '--semi-space-growth-factor=1'];
/** V8's defaults but TurboFan and young-generation growth; the router gets both back (startupDone) */
const RUNNING = ['--sparkplug'];
const ROUTER = ['--turbofan', '--semi-space-growth-factor=2'];

let quiet = false;

/** Before the master's modules load: no TurboFan, no baseline compiler, no young-generation growth. */
export function quietStart(): void {
  const own = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
  if (/--(?:no[-_])?(?:opt|turbofan|sparkplug|max[-_]opt|always[-_]\w+)\b|semi[-_]space/.test(own)) return;
  for (const flag of QUIET) setFlagsFromString(flag);
  quiet = true;
}

/** The master is set up: the baseline compiler again, TurboFan and young-generation growth only with the `http` router (nothing when quietStart changed nothing). */
export function startupDone(router: boolean): void {
  if (!quiet) return;
  for (const flag of router ? [...RUNNING, ...ROUTER] : RUNNING) setFlagsFromString(flag);
  quiet = false;
}
