/**
 * What each published package would ship, as `npm pack` computes it: the files its
 * package.json points users at, and none of the test-only code (docs/conventions.md,
 * "Test-only code is never packed"). Dry runs only; nothing is written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './harness.js';

const run = promisify(execFile);

/** Test files, their helpers and their data, and benchmarks, wherever they sit. */
const TEST_ONLY = [/\.test\./, /(^|\/)fixtures\./, /(^|\/)testing\//, /(^|\/)test-fixtures\//, /(^|\/)bench\//];

interface Manifest {
  name: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: string | Record<string, string>;
}

const packageDirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(path.join(ROOT, group))
    .map((name) => path.join(ROOT, group, name))
    .filter((dir) => existsSync(path.join(dir, 'package.json'))),
);

const packs = new Map<string, Promise<string[]>>();

/** The paths `npm pack` would put in the tarball, relative to the package (asked once per package). */
function packedFiles(dir: string): Promise<string[]> {
  let files = packs.get(dir);
  if (!files) {
    files = run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir }).then(({ stdout }) => {
      const [report] = JSON.parse(stdout) as [{ files: { path: string }[] }];
      return report.files.map((f) => f.path);
    });
    packs.set(dir, files);
  }
  return files;
}

/** Every file the manifest promises: main, types, each export and bin target. */
function promised(manifest: Manifest): string[] {
  const targets = [manifest.main, manifest.types];
  for (const field of [manifest.exports, manifest.bin]) {
    if (typeof field === 'string') targets.push(field);
    else if (field) targets.push(...Object.values(field));
  }
  return targets.filter((t): t is string => t !== undefined).map((t) => path.posix.normalize(t));
}

test('there are packages to check', () => {
  assert.ok(packageDirs.length >= 5, packageDirs.join(', '));
});

for (const dir of packageDirs) {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  if (manifest.private) continue;

  test(`${manifest.name}: the tarball holds no test, fixture or testing file`, async () => {
    const files = await packedFiles(dir);
    assert.ok(files.length > 0);
    assert.deepEqual(files.filter((f) => TEST_ONLY.some((re) => re.test(f))), []);
  });

  test(`${manifest.name}: the tarball holds what package.json points at, and the README`, async () => {
    const files = new Set(await packedFiles(dir));
    const wanted = promised(manifest);
    if (existsSync(path.join(dir, 'README.md'))) wanted.push('README.md');
    assert.deepEqual(wanted.filter((f) => !files.has(f)), []);
  });
}
