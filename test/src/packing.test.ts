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
import { TEST_ONLY, promised, type Manifest } from './package-files.js';

const run = promisify(execFile);

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

test('there are packages to check', () => {
  assert.ok(packageDirs.length >= 5, packageDirs.join(', '));
});

for (const dir of packageDirs) {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  // a package assembled before packing (tsgi) is packed for real, and checked, by package.test.ts
  if (manifest.private || manifest.scripts?.['prepack'] !== undefined) continue;

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
