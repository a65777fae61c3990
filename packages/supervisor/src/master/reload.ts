import { closeSync } from 'node:fs';
import type { TsgiConfig } from '@tsgi/config';
import type { MasterParts } from './parts.js';
import { togglePause } from './lifecycle.js';
import { bindConfigured, setPriority } from './setup.js';
import type { BoundSocket } from './sockets.js';
import { isLive, replaceReason, type SlotRecord, type WorkerRecord } from './worker-table.js';

/**
 * A reload is complete once no worker of an older generation is left and every
 * wanted slot has a ready worker of the new one.
 */
export function reloadComplete(slots: readonly SlotRecord[], workers: readonly WorkerRecord[], generation: number): boolean {
  if (workers.some((w) => w.generation !== generation)) return false;
  return slots.every((s) => !s.active || workers.some((w) => w.slot === s.id && w.generation === generation && w.state.kind === 'ready'));
}

/** What the chain step does this turn. */
export type ChainStep =
  /** the current victim still waits for its successor */
  | { kind: 'wait' }
  /** every slot was replaced */
  | { kind: 'done' }
  /** mark this worker for replacement; `rest` is what remains of the chain */
  | { kind: 'next'; victim: WorkerRecord | undefined; slot: number; rest: number[] };

/**
 * fifo `c`, chain reload: the workers are replaced one slot at a time, the next
 * only once the previous slot's successor is ready, as uWSGI's chain reload
 * does; capacity never drops by more than one worker's start-up. A slot that is
 * cheaped or has no ready worker is skipped.
 */
export function chainStep(chain: readonly number[], workers: readonly WorkerRecord[]): ChainStep {
  if (workers.some((w) => replaceReason(w) === 'chain-reload' && isLive(w))) return { kind: 'wait' };
  const [slot, ...rest] = chain;
  if (slot === undefined) return { kind: 'done' };
  const victim = workers.find((w) => w.slot === slot && w.state.kind === 'ready' && !w.state.replace);
  return { kind: 'next', victim, slot, rest };
}

/** Every socket the workers serve, by configured address: `http-socket`s, then `socket`s (uwsgi, or HTTP with protocol = http). */
export function configuredSockets(c: TsgiConfig): Map<string, 'http' | 'uwsgi'> {
  const out = new Map<string, 'http' | 'uwsgi'>();
  for (const name of c.httpSocket) out.set(name, 'http');
  for (const name of c.socket) if (!out.has(name)) out.set(name, c.protocol === 'http' ? 'http' : 'uwsgi');
  return out;
}

/**
 * SIGHUP (graceful) and SIGTERM (brutal): re-read the config, then replace
 * every worker. fifo `w` / `W` replace the workers only, with the config the
 * master already has (uWSGI's reload of workers without re-exec).
 */
export function reload(p: MasterParts, brutal: boolean, fromFile: boolean): void {
  const s = p.state.state;
  if (s.phase !== 'running' && s.phase !== 'reloading') return;
  if (p.state.paused) togglePause(p);
  p.log.log(brutal ? '...brutally killing workers...' : '...gracefully reloading workers...');
  const cheap = p.state.cheap;
  let applied = false;
  try {
    const next = fromFile ? rereadConfig(p) : undefined;
    if (next) applyConfig(p, next, cheap);
    applied = next !== undefined;
  } catch (err) {
    // a config that cannot be read or applied must not take the master down: the workers reload with the old one
    p.log.log(`*** cannot apply the new configuration: ${(err as Error).message}; reloading the workers with the previous one ***`);
  }
  p.pool.generation++;
  p.reloads++;
  p.pool.forgetFailures();
  p.state.move({ phase: 'reloading', brutal, binding: applied, cheap }, brutal ? 'brutal reload' : 'graceful reload');
}

/** The config file read again; undefined (and logged) when it has errors. */
function rereadConfig(p: MasterParts): TsgiConfig | undefined {
  const next = p.readConfig();
  for (const w of next.warnings) p.log.log(`config warning: ${w}`);
  if (next.config) return next.config;
  for (const e of next.errors) p.log.log(`config error: ${e}`);
  p.log.log('*** the new configuration has errors: reloading the workers with the previous one ***');
  return undefined;
}

/**
 * A new config takes over; sockets it adds are bound in the background and come
 * back as a `bound` event. The spoolers go first: making their directories is
 * the one step that can fail, and it fails before anything has changed.
 */
function applyConfig(p: MasterParts, next: TsgiConfig, cheap: boolean): void {
  p.spoolers.configure(next);
  p.scaling.reconfigure(next, cheap);
  if (next.prio !== p.cfg.prio) setPriority(p.log, next.prio);
  p.cfg = next;
  bindConfigured(next, p.sockets, p.cwd, p.binder, p.log).then(
    (sockets) => p.enqueue({ type: 'bound', sockets }),
    (err: Error) => p.enqueue({ type: 'bound', sockets: [], error: err.message }),
  );
}

/** The `bound` event: a reload's new sockets are there (or could not be bound); its workers may start. */
export function socketsBound(p: MasterParts, sockets: [string, BoundSocket][], error: string | undefined): void {
  for (const [name, s] of sockets) p.sockets.set(name, s);
  if (error) p.log.log(`cannot bind new sockets: ${error}`);
  const s = p.state.when('reloading');
  if (s) p.state.move({ ...s, binding: false }, 'new sockets bound');
}

/** Ends a reload once every wanted slot has a ready worker of the new generation; sockets no longer configured close. */
export function finishReload(p: MasterParts): void {
  const s = p.state.when('reloading');
  if (!s || s.binding || !reloadComplete(p.pool.slots, p.pool.workers, p.pool.generation)) return;
  p.state.move({ phase: 'running', paused: false, cheap: s.cheap }, 'every slot has a ready worker of the new generation');
  const wanted = configuredSockets(p.cfg);
  for (const [name, sock] of p.sockets) {
    if (wanted.has(name)) continue;
    sock.close();
    p.sockets.delete(name);
    p.log.log(`closed socket ${name}: no longer configured`);
  }
  p.log.verbose(`reload complete: generation ${p.pool.generation}, ${p.pool.live().length} workers ready`);
}

/** fifo `c`: every active slot, in slot order. */
export function startChain(p: MasterParts): void {
  const run = p.state.when('running');
  if (!run || run.chain) return;
  p.log.verbose('chain reload starting...');
  p.state.move({ ...run, chain: p.pool.slots.filter((s) => s.active).map((s) => s.id) }, 'chain reload');
}

/** The chain's next victim, once the previous one's successor is ready (see chainStep). */
export function advanceChain(p: MasterParts): void {
  const run = p.state.when('running');
  if (!run?.chain) return;
  const step = chainStep(run.chain, p.pool.workers);
  if (step.kind === 'wait') return;
  if (step.kind === 'done') {
    p.state.move({ ...run, chain: undefined }, 'chain reload complete');
    return p.log.verbose('chain reloading complete');
  }
  p.state.move({ ...run, chain: step.rest }, `chain reload: slot ${step.slot}`);
  if (!step.victim) return;
  p.log.verbose(`chain next victim is worker ${step.slot}`);
  p.pool.replace(step.victim, 'chain-reload');
}

/**
 * fifo `l`: the log file is opened again (logrotate moved it away); the master
 * writes there at once, and its workers and spoolers, which hold their own copy
 * of the old descriptor, are replaced one at a time (a chain reload: zero-drop)
 * so that every line soon goes to the new file.
 */
export function reopenLog(p: MasterParts): void {
  const old = p.logFd;
  if (!p.reopenLogFile || old === undefined) return p.log.log('log reopen asked, but there is no log file (logto is not set): nothing to do');
  try {
    p.logFd = p.reopenLogFile();
  } catch (err) {
    return p.log.log(`*** cannot reopen the log file: ${(err as Error).message}; still logging to the old one ***`);
  }
  p.spoolers.setLogFd(p.logFd);
  closeSync(old);
  p.log.log('*** log file reopened: workers move to it by chain reload ***');
  p.spoolers.configure(p.cfg);
  // a chain under way restarts: slots it already did hold the old file
  const run = p.state.when('running');
  if (run?.chain) p.state.move({ ...run, chain: undefined }, 'the log file changed: the chain starts over');
  startChain(p);
}
