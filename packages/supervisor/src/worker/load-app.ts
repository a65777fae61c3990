import { pathToFileURL } from 'node:url';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A Node request listener: what Express, Connect, Koa's `app.callback()` and plain `http` apps give. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;
/** A WHATWG fetch handler: what Hono, itty-router and similar give. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** The request handler of an app, by shape. */
export type AppHandler = { kind: 'node'; handler: NodeHandler } | { kind: 'fetch'; handler: FetchHandler };
/** An app module: its handler and the optional hooks beside it. */
export type LoadedApp = AppHandler & { hooks: AppHooks };

/** `http.Server`'s 'upgrade' listener: the request, its raw socket, and the bytes read past the head. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => unknown;

/**
 * What an app module may export beside its handler, all optional (README, "Usage"):
 * `upgrade` serves HTTP Upgrade requests (WebSockets) as `http.Server`'s 'upgrade' event;
 * `setup(server)` gets the worker's `http.Server` once, before it serves (for
 * `new WebSocketServer({ server })`, `io.attach(server)`); `close()` is awaited when the
 * worker drains or ends, within worker-reload-mercy.
 */
export interface AppHooks {
  upgrade?: UpgradeHandler;
  setup?: (server: Server) => unknown;
  close?: () => unknown;
}

const HOOKS = ['upgrade', 'setup', 'close'] as const;

/** Why an app could not be loaded: a message for the log, no stack trace needed. */
export class AppLoadError extends Error {
  readonly code = 'TSGI_APP_LOAD';
}

/**
 * Imports the user's module (ESM or CommonJS; an ESM module's top-level await
 * is waited for) and picks the handler: the named export when one is asked
 * for, else the default export, else `module.exports` of a CommonJS module.
 */
export async function loadApp(file: string, exportName?: string): Promise<LoadedApp> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(file)) {
      throw new AppLoadError(`cannot load app ${file}: no such file`);
    }
    throw new AppLoadError(`cannot load app ${file}: ${e.stack ?? String(err)}`);
  }
  const picked = pickExport(mod, exportName);
  if (picked === undefined) {
    const found = describeExports(mod);
    const wanted = exportName ? `export "${exportName}"` : 'default export';
    throw new AppLoadError(`app ${file} has no ${wanted} (found: ${found})`);
  }
  const app = asHandler(picked);
  if (!app) {
    throw new AppLoadError(
      `app ${file}: ${exportName ? `export "${exportName}"` : 'the default export'} is ${describe(picked)}, ` +
        'not a request listener (req, res) => …, a fetch handler (request) => Response, or an object with a fetch method',
    );
  }
  return { ...app, hooks: pickHooks(mod, file) };
}

/**
 * The optional hooks: the module's named exports (a CommonJS module's `exports.close`
 * shows as one), else the methods of a plain object it exports as its default
 * (`module.exports = { fetch, close }`). A function's properties are never taken: an
 * Express app has methods of its own that are not hooks.
 */
function pickHooks(mod: Record<string, unknown>, file: string): AppHooks {
  const cjs = mod['default'];
  const holder = cjs && typeof cjs === 'object' ? (cjs as Record<string, unknown>) : undefined;
  const hooks: AppHooks = {};
  for (const name of HOOKS) {
    const fromModule = mod[name] !== undefined;
    const value = fromModule ? mod[name] : holder?.[name];
    if (value === undefined) continue;
    if (typeof value !== 'function') {
      throw new AppLoadError(`app ${file}: export "${name}" is ${describe(value)}, not a function`);
    }
    const fn = value as (...args: unknown[]) => unknown;
    (hooks as Record<string, unknown>)[name] = fromModule ? fn : fn.bind(holder);
  }
  return hooks;
}

function pickExport(mod: Record<string, unknown>, name?: string): unknown {
  const cjs = mod['default'];
  if (name) {
    if (mod[name] !== undefined) return mod[name];
    if (cjs && (typeof cjs === 'object' || typeof cjs === 'function')) return (cjs as Record<string, unknown>)[name];
    return undefined;
  }
  return cjs;
}

/**
 * Detects the app's shape. An object with `fetch` (Hono, Bun-style apps) and a
 * one-parameter function are fetch handlers; other functions are Node
 * listeners (Express has three parameters, Koa's callback two).
 */
export function asHandler(value: unknown): AppHandler | undefined {
  if (typeof value === 'function') {
    const fn = value as (...args: unknown[]) => unknown;
    if (fn.length === 1) return { kind: 'fetch', handler: fn as FetchHandler };
    return { kind: 'node', handler: fn as NodeHandler };
  }
  if (value && typeof value === 'object' && typeof (value as { fetch?: unknown }).fetch === 'function') {
    const obj = value as { fetch: FetchHandler };
    return { kind: 'fetch', handler: (request) => obj.fetch(request) };
  }
  return undefined;
}

function describeExports(mod: Record<string, unknown>): string {
  const keys = Object.keys(mod);
  if (keys.length === 0) return 'no exports';
  return keys.map((k) => `${k}: ${describe(mod[k])}`).join(', ');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
