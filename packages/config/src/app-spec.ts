/**
 * The app module: `app = ./server.js` loads the default export, `app = ./server.js:name`
 * or `callable = name` a named one (uWSGI's `module = app:app` / `wsgi-file` + `callable`).
 */
import path from 'node:path';
import type { TsgiConfig } from './config.js';

/** The module file and export a worker loads. */
export interface AppSpec {
  /** Absolute path of the module. */
  file: string;
  /** The export to serve; undefined for the default export. */
  exportName?: string;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The export named after the last colon of `app`, if what follows is an identifier. */
export function appExportName(app: string): string | undefined {
  const colon = app.lastIndexOf(':');
  const name = app.slice(colon + 1);
  return colon > 0 && IDENTIFIER.test(name) ? name : undefined;
}

/**
 * Where the app is: `app` resolved against `chdir` (itself resolved against `cwd`), and
 * the export from `app = file:name` or `callable`. Returns undefined when no app is set
 * (loadConfig has already reported that).
 */
export function resolveAppSpec(config: Pick<TsgiConfig, 'app' | 'callable' | 'chdir'>, cwd: string = process.cwd()): AppSpec | undefined {
  if (config.app === undefined) return undefined;
  const exportName = appExportName(config.app) ?? config.callable;
  const file = appExportName(config.app) === undefined ? config.app : config.app.slice(0, config.app.lastIndexOf(':'));
  const base = config.chdir === undefined ? cwd : path.resolve(cwd, config.chdir);
  const spec: AppSpec = { file: path.resolve(base, file) };
  if (exportName !== undefined) spec.exportName = exportName;
  return spec;
}
