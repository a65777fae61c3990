/**
 * V8 settings for the master's start-up alone. Loading its ~80 modules runs Node's own
 * path and URL helpers (module resolution) hot enough for V8 to compile them with
 * TurboFan, which pages ~4.7 MB of compiler code into a master that, once started, is
 * idle most of the time and has nothing hot to compile; and the allocation of start-up
 * makes V8 double the young generation, which an idle master never needs either.
 * `bin/supervise.js` calls `quietStart` before it loads anything else; `main.ts` calls
 * `startupDone` before the master's loop, which restores V8's defaults, so that code
 * hot in a running master (the http router, stats under polling) is compiled as usual.
 * A user's own compiler-tier or semi-space flags are left alone.
 */
import { setFlagsFromString } from 'node:v8';

/** V8's defaults, restored once the master has started. */
const DEFAULTS = ['--turbofan', '--sparkplug', '--semi-space-growth-factor=2'];
const QUIET = ['--no-turbofan', '--no-sparkplug', '--semi-space-growth-factor=1'];

let quiet = false;

/** Before the master's modules load: no TurboFan, no young-generation growth. */
export function quietStart(): void {
  const own = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
  if (/--(?:no[-_])?(?:opt|turbofan|sparkplug|max[-_]opt|always[-_]\w+)\b|semi[-_]space/.test(own)) return;
  for (const flag of QUIET) setFlagsFromString(flag);
  quiet = true;
}

/** The master is set up: V8's defaults again (nothing when quietStart did not change them). */
export function startupDone(): void {
  if (!quiet) return;
  for (const flag of DEFAULTS) setFlagsFromString(flag);
  quiet = false;
}
