import { pathToFileURL } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A Node request listener: what Express, Connect, Koa's `app.callback()` and plain `http` apps give. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;
/** A WHATWG fetch handler: what Hono, itty-router and similar give. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

export type LoadedApp =
  | { kind: 'node'; handler: NodeHandler }
  | { kind: 'fetch'; handler: FetchHandler };

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
  return app;
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
export function asHandler(value: unknown): LoadedApp | undefined {
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
