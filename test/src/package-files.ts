/**
 * What a packed package must and must not hold, shared by packing.test.ts (every
 * workspace package, dry runs) and package.test.ts (the `tsgi` tarball users install).
 */
import path from 'node:path';

/** Test files, their helpers and their data, and benchmarks, wherever they sit. */
export const TEST_ONLY = [/\.test\./, /(^|\/)fixtures\./, /(^|\/)testing\//, /(^|\/)test-fixtures\//, /(^|\/)bench\//];

/** The fields of a package.json that say what the package offers. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: string | Record<string, string | Record<string, string>>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

/** Every file the manifest promises: main, types, each export (every condition) and bin target. */
export function promised(manifest: Manifest): string[] {
  const targets = [manifest.main, manifest.types];
  for (const field of [manifest.exports, manifest.bin]) {
    if (typeof field === 'string') targets.push(field);
    else if (field) for (const value of Object.values(field)) targets.push(...(typeof value === 'string' ? [value] : Object.values(value)));
  }
  return targets.filter((t): t is string => t !== undefined).map((t) => path.posix.normalize(t));
}
