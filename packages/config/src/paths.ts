/**
 * The paths the master needs to start, checked with the file system at every load: `chdir`
 * (a directory), `app` and `spooler-import` (files), every `spooler` (a directory, or one
 * that can be created) and every existing `master-fifo` (a FIFO). A bad one is a located
 * error, so supervise refuses to start with it and a reload with it keeps the old config,
 * instead of a worker that cannot spawn, a master that dies creating a spool directory, or
 * a fifo that replaces a file. Nothing is created here: `--show-config` has no side effects.
 *
 * Paths resolve as the supervisor resolves them: `chdir`, `spooler` and `master-fifo`
 * against the working directory, `app` and `spooler-import` against `chdir`.
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { resolveAppSpec } from './app-spec.js';
import type { TsgiConfig } from './config.js';
import { diagnostic, type ConfigDiagnostic, type SourceLocation } from './diagnostics.js';

/** Where each option's value, or each value of a repeatable option, was set. */
export interface PathSources {
  /** The last location of each option, by table name. */
  sources: ReadonlyMap<string, SourceLocation>;
  /** For repeatable options: the location of each value, in order. */
  each: ReadonlyMap<string, readonly SourceLocation[]>;
  /** Options whose value was rejected earlier: nothing to check. */
  invalid: ReadonlySet<string>;
}

type Found = { stat: Stats } | { error: NodeJS.ErrnoException };

function lookUp(file: string): Found {
  try {
    return { stat: statSync(file) };
  } catch (err) {
    return { error: err as NodeJS.ErrnoException };
  }
}

/** Check every path option of `config`; `cwd` is the directory relative paths start from. */
export function checkPaths(config: TsgiConfig, cwd: string, where: PathSources): ConfigDiagnostic[] {
  const errors: ConfigDiagnostic[] = [];
  const at = (option: string, index?: number): SourceLocation => (index === undefined ? where.sources.get(option) : where.each.get(option)?.[index]) ?? {};
  const checked = (option: string): boolean => !where.invalid.has(option);

  let chdirUsable = true;
  if (config.chdir !== undefined && checked('chdir')) {
    const error = expect('directory', 'chdir', config.chdir, path.resolve(cwd, config.chdir), at('chdir'));
    if (error !== undefined) errors.push(error);
    chdirUsable = error === undefined;
  }
  // with a bad chdir, where app would be is unknown: one error, not two
  if (chdirUsable && checked('chdir')) {
    const app = resolveAppSpec(config, cwd);
    if (app !== undefined && checked('app')) {
      const error = expect('file', 'app', config.app!, app.file, at('app'));
      if (error !== undefined) errors.push(error);
    }
    if (config.spoolerImport !== undefined && checked('spooler-import')) {
      const base = config.chdir === undefined ? cwd : path.resolve(cwd, config.chdir);
      const error = expect('file', 'spooler-import', config.spoolerImport, path.resolve(base, config.spoolerImport), at('spooler-import'));
      if (error !== undefined) errors.push(error);
    }
  }
  if (checked('spooler')) {
    config.spooler.forEach((dir, i) => {
      const error = spoolDirectory(dir, path.resolve(cwd, dir), at('spooler', i));
      if (error !== undefined) errors.push(error);
    });
  }
  if (checked('master-fifo')) {
    config.masterFifo.forEach((fifo, i) => {
      const full = path.resolve(cwd, fifo);
      const found = lookUp(full);
      // the master replaces what is there with a new FIFO: only an old FIFO may be
      if ('stat' in found && !found.stat.isFIFO()) {
        errors.push(diagnostic('TSGI_CONFIG_PATH_WRONG_TYPE', `option "master-fifo": ${shown(fifo, full)} is ${kindOf(found.stat)}, not a FIFO; the master would replace it (remove it or pick another path)`, at('master-fifo', i), 'master-fifo'));
      }
    });
  }
  return errors;
}

/** `./app.js (/srv/app/app.js)`: the value as written and, if different, where it points. */
function shown(value: string, full: string): string {
  return value === full ? full : `${value} (${full})`;
}

/** An error unless `full` exists and is a `kind`. */
function expect(kind: 'file' | 'directory', option: string, value: string, full: string, where: SourceLocation): ConfigDiagnostic | undefined {
  const found = lookUp(full);
  if ('error' in found) {
    const code = found.error.code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return diagnostic('TSGI_CONFIG_PATH_NOT_FOUND', `option "${option}": ${shown(value, full)} does not exist`, where, option);
    return diagnostic('TSGI_CONFIG_PATH_NOT_FOUND', `option "${option}": cannot reach ${shown(value, full)} (${code ?? found.error.message})`, where, option);
  }
  const ok = kind === 'file' ? found.stat.isFile() : found.stat.isDirectory();
  if (ok) return undefined;
  return diagnostic('TSGI_CONFIG_PATH_WRONG_TYPE', `option "${option}": ${shown(value, full)} is ${kindOf(found.stat)}, not a ${kind}`, where, option);
}

/** An error unless `full` is a writable directory, or its nearest existing parent is one the spooler can create it in. */
function spoolDirectory(value: string, full: string, where: SourceLocation): ConfigDiagnostic | undefined {
  const what = `option "spooler": ${shown(value, full)}`;
  let existing = full;
  let found = lookUp(existing);
  while ('error' in found && (found.error.code === 'ENOENT' || found.error.code === 'ENOTDIR') && path.dirname(existing) !== existing) {
    existing = path.dirname(existing);
    found = lookUp(existing);
  }
  if ('error' in found) return diagnostic('TSGI_CONFIG_SPOOLER_NOT_WRITABLE', `${what} cannot be reached (${found.error.code ?? found.error.message} on ${existing})`, where, 'spooler');
  if (!found.stat.isDirectory()) {
    const blocker = existing === full ? `is ${kindOf(found.stat)}` : `cannot be created: ${existing} is ${kindOf(found.stat)}`;
    return diagnostic('TSGI_CONFIG_PATH_WRONG_TYPE', `${what} ${blocker}, not a directory`, where, 'spooler');
  }
  try {
    accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    const verb = existing === full ? 'is not writable' : `cannot be created: ${existing} is not writable`;
    return diagnostic('TSGI_CONFIG_SPOOLER_NOT_WRITABLE', `${what} ${verb} (${(err as NodeJS.ErrnoException).code ?? 'EACCES'})`, where, 'spooler');
  }
  return undefined;
}

/** "a directory", "a FIFO", ...: what a path is, for messages. */
export function kindOf(stat: Pick<Stats, 'isFile' | 'isDirectory' | 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket'>): string {
  if (stat.isFile()) return 'a file';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'something else';
}
