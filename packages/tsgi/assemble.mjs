// Assembles the `tsgi` package before `npm pack` / `npm publish` (its prepack script):
// each built workspace package goes into lib/<name>/ with the files its own npm pack
// would ship, in the same places (dist/, and files beside it such as the dashboard's
// static/ that dist/ finds by relative path), without doc generators or source maps,
// and its `@tsgi/*` imports rewritten to relative paths. One package with no workspace
// names left in it installs the same with npm, pnpm and yarn (Plug'n'Play included),
// which bundled dependencies do not.
// Fails, naming the cause, when the workspace is not built or when the runtime
// dependencies of the workspace packages and of this package.json differ.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const LIB = path.join(HERE, 'lib');

/** The workspace packages the tarball carries: name → folder, and their lib/ folder. */
const PARTS = [
  { name: '@tsgi/config', dir: 'packages/config', lib: 'config' },
  { name: '@tsgi/stats-protocol', dir: 'packages/stats-protocol', lib: 'stats-protocol' },
  { name: '@tsgi/supervisor', dir: 'packages/supervisor', lib: 'supervisor' },
  { name: '@tsgi/supervise', dir: 'apps/supervise', lib: 'supervise' },
  { name: '@tsgi/tsgitop', dir: 'apps/tsgitop', lib: 'tsgitop' },
];

/** Files only the repository needs (the workspace packages' own `files` lists keep out the rest), their manifests and bins (tsgi has its own). */
const LEFT_OUT = [/\.test\./, /(^|\/)fixtures\./, /(^|\/)testing\//, /(^|\/)bench\//, /(^|\/)docs-cli\./, /\.map$/, /\.tsbuildinfo$/, /^package\.json$/, /^README\.md$/, /^bin\//];
/** An import or export statement of a workspace package, as tsc writes it: one line each. */
const WORKSPACE_IMPORT = /^((?:import|export)\b.*?\bfrom\s*)(['"])(@tsgi\/[^'"]+)\2/gm;
const SOURCE_MAP_COMMENT = /\n\/\/# sourceMappingURL=\S+\s*$/;

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const fail = (message) => {
  process.stderr.write(`assemble: ${message}\n`);
  process.exit(1);
};

const self = readJson(path.join(HERE, 'package.json'));
const manifests = new Map(PARTS.map((p) => [p.name, readJson(path.join(ROOT, p.dir, 'package.json'))]));
checkVersions();
checkDependencies();
for (const p of PARTS) {
  if (!existsSync(path.join(ROOT, p.dir, 'dist'))) fail(`${p.dir}/dist is missing: build the workspace first (npx pnpm@10.34.8 build)`);
}

rmSync(LIB, { recursive: true, force: true });
for (const p of PARTS) copyPacked(path.join(ROOT, p.dir), path.join(LIB, p.lib));
cpSync(path.join(ROOT, 'README.md'), path.join(HERE, 'README.md'));
process.stdout.write(`assemble: lib/ holds ${PARTS.map((p) => p.name).join(', ')}\n`);

function checkVersions() {
  for (const [name, m] of manifests) {
    if (m.version !== self.version) fail(`${name} is at ${m.version}, tsgi at ${self.version}: release them together`);
  }
}

/** What the carried packages need at run time must be exactly what this package.json depends on. */
function checkDependencies() {
  const needed = {};
  for (const m of manifests.values()) {
    for (const [dep, range] of Object.entries(m.dependencies ?? {})) {
      if (dep.startsWith('@tsgi/')) continue;
      if (needed[dep] !== undefined && needed[dep] !== range) fail(`${dep} is wanted as ${needed[dep]} and ${range} by the workspace packages`);
      needed[dep] = range;
    }
  }
  const declared = self.dependencies ?? {};
  const names = new Set([...Object.keys(needed), ...Object.keys(declared)]);
  const wrong = [...names].filter((dep) => needed[dep] !== declared[dep]).map((dep) => `${dep}: workspace ${needed[dep] ?? 'none'}, tsgi ${declared[dep] ?? 'none'}`);
  if (wrong.length > 0) fail(`packages/tsgi/package.json dependencies differ from the workspace packages': ${wrong.join('; ')}`);
}

/** What `npm pack` of the workspace package in `from` would ship, as npm reads its `files` list. */
function packedFiles(from) {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: from, encoding: 'utf8' });
  return JSON.parse(out)[0].files.map((f) => f.path);
}

function copyPacked(from, to) {
  for (const relative of packedFiles(from)) {
    if (LEFT_OUT.some((re) => re.test(relative))) continue;
    const source = path.join(from, relative);
    const target = path.join(to, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    if (/\.(js|d\.ts)$/.test(relative)) writeFileSync(target, rewrite(readFileSync(source, 'utf8'), target));
    else cpSync(source, target);
  }
}

/** The text of a built module with its workspace imports made relative and its source-map comment dropped. */
function rewrite(text, target) {
  const out = text
    .replace(WORKSPACE_IMPORT, (_, head, quote, specifier) => `${head}${quote}${relativeTo(target, specifier)}${quote}`)
    .replace(SOURCE_MAP_COMMENT, '\n');
  const left = /^(?:import|export)\b.*['"]@tsgi\//m.exec(out) ?? /\b(?:import|require)\(\s*['"]@tsgi\//.exec(out);
  if (left) fail(`${path.relative(HERE, target)}: a workspace import the assembler cannot rewrite: ${left[0]}`);
  return out;
}

/** `@tsgi/supervisor/spool` seen from `target` → `../supervisor/spooler/spool.js`, through the package's exports. */
function relativeTo(target, specifier) {
  const [scope, name, ...rest] = specifier.split('/');
  const part = PARTS.find((p) => p.name === `${scope}/${name}`);
  if (!part) fail(`${path.relative(HERE, target)} imports ${specifier}, which is not a carried workspace package`);
  const subpath = rest.length === 0 ? '.' : `./${rest.join('/')}`;
  const exported = manifests.get(part.name).exports?.[subpath];
  if (typeof exported !== 'string') fail(`${specifier}: ${part.name} exports no file for ${subpath}`);
  const file = path.join(LIB, part.lib, exported);
  const relative = path.relative(path.dirname(target), file).split(path.sep).join('/');
  return relative.startsWith('.') ? relative : `./${relative}`;
}
