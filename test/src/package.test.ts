/**
 * The `tsgi` package as users get it: packages/tsgi packed by `npm pack` (its prepack
 * assembles the built workspace), then installed from the tarball into fresh projects
 * outside the repository by npm, pnpm, yarn 1 and yarn 4 (Plug'n'Play). Each project
 * serves an app that imports tsgi/spool and tsgi/stats, with a real spooler and the stats
 * dashboard, under `npx supervise`, and `npx tsgitop --once` reads it. With npm also: a
 * CommonJS app, the shipped types, and `supervise --init` on an Express app. The installs
 * need the npm registry (ws, pidusage, ini, blessed, blessed-contrib, express) and are
 * bounded in time.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { VERSION } from '@tsgi/supervisor';
import { ROOT, Supervise, freePort, killAll, request, sleep, tmp, writeIni } from './harness.js';
import { TEST_ONLY, promised, type Manifest } from './package-files.js';

after(killAll);

const run = promisify(execFile);
const PACKAGE_DIR = path.join(ROOT, 'packages/tsgi');
const INSTALL_MS = 240_000;
/** npx itself (npm's CLI) takes seconds to start on a busy machine */
const NPX_MS = 120_000;
const NPX = ['npx', '--no-install'];
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const PNPM = 'pnpm@10.34.8';
const YARN = 'yarn@1.22.22';
/** Yarn 4 from the npm registry (corepack fetches it from elsewhere), with Plug'n'Play: no node_modules at all */
const YARN_PNP = ['npx', '--yes', '-p', '@yarnpkg/cli-dist@4.18.1', 'yarn'];
/** blessed-contrib requires blessed without declaring it, which Plug'n'Play refuses; the README gives users this */
const YARNRC = 'packageExtensions:\n  "blessed-contrib@*":\n    dependencies:\n      blessed: "^0.1.81"\n';

let tarball = '';

before(async () => {
  const dest = tmp('tsgi-pack-');
  await run('npm', ['pack', '--pack-destination', dest], { cwd: PACKAGE_DIR, timeout: 120_000 });
  tarball = path.join(dest, readdirSync(dest).find((f) => f.endsWith('.tgz')) ?? 'no tarball');
});

type Installer = 'npm' | 'pnpm' | 'yarn' | 'yarn-pnp';

/** The command that adds `specs` to the project in the cwd. */
function addCommand(by: Installer, specs: string[]): [string, string[]] {
  if (by === 'npm') return ['npm', ['install', '--no-audit', '--no-fund', ...specs]];
  if (by === 'pnpm') return ['npx', ['--yes', PNPM, 'add', ...specs]];
  const yarnSpecs = specs.map((s) => (s === tarball ? `tsgi@file:${s}` : s));
  if (by === 'yarn') return ['npx', ['--yes', YARN, 'add', '--non-interactive', ...yarnSpecs]];
  return [YARN_PNP[0]!, [...YARN_PNP.slice(1), 'add', ...yarnSpecs]];
}


/** A fresh project (ESM, `main` = server.js) in the temporary directory, with the tarball and `extra` installed. */
async function project(by: Installer, extra: string[] = []): Promise<string> {
  const dir = tmp(`tsgi-${by}-`);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `try-${by}`, version: '1.0.0', private: true, type: 'module', main: 'server.js' }, null, 2));
  if (by === 'yarn-pnp') writeFileSync(path.join(dir, '.yarnrc.yml'), YARNRC);
  const [file, args] = addCommand(by, [tarball, ...extra]);
  await run(file, args, { cwd: dir, timeout: INSTALL_MS, maxBuffer: 16 * 1024 * 1024 });
  return dir;
}

/** `npx supervise …` (or `yarn supervise …`) in the project, once its workers are ready. */
async function supervise(dir: string, args: string[], workers: number, bin = NPX): Promise<Supervise> {
  const sup = new Supervise(args, { cwd: dir, command: [...bin, 'supervise'] });
  await sup.waitReady(workers, 60_000);
  return sup;
}

/** Within `ms`, the file's text, or undefined. */
async function fileWithin(file: string, ms: number): Promise<string | undefined> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(100)) {
    if (existsSync(file)) return readFileSync(file, 'utf8');
  }
  return undefined;
}

/**
 * The acceptance path: an app importing tsgi/spool (a real spooler runs its task) and
 * tsgi/stats, 200 through `npx supervise`, then `npx tsgitop ADDRESS --once`.
 */
async function serveSpoolingApp(dir: string, bin = NPX): Promise<void> {
  writeFileSync(
    path.join(dir, 'app.js'),
    `import { spool } from 'tsgi/spool';
import { readStats } from 'tsgi/stats';
export default async function app(req, res) {
  if (req.url === '/stats') return res.end(JSON.stringify({ workers: (await readStats(process.env.STATS)).workers.length }));
  const id = await spool('greet', { dir: process.env.DONE_DIR, from: req.url });
  res.end(\`spooled \${id} by worker \${process.env.TSGI_WORKER_ID}\\n\`);
}
`,
  );
  writeFileSync(
    path.join(dir, 'tasks.js'),
    `import { writeFileSync } from 'node:fs';
export async function greet({ dir, from }) {
  writeFileSync(dir + '/greeted', from);
  return 'ok';
}
`,
  );
  const [port, statsPort] = await Promise.all([freePort(), freePort()]);
  const stats = `http://127.0.0.1:${statsPort}/`;
  const ini = writeIni(
    dir,
    ['[tsgi]', 'app = %dapp.js', `http-socket = 127.0.0.1:${port}`, 'processes = 2', `stats = 127.0.0.1:${statsPort}`, 'stats-http = true', 'spooler = %dspool', 'spooler-import = %dtasks.js', `env = STATS=${stats}`, `env = DONE_DIR=${dir}`, ''].join('\n'),
    'spool.ini',
  );
  const sup = await supervise(dir, ['--ini', ini], 2, bin);
  const r = await request(port, '/hello');
  assert.equal(r.status, 200, sup.log);
  assert.match(r.body, /^spooled \S+ by worker [12]\n$/);
  assert.equal(await fileWithin(path.join(dir, 'greeted'), 20_000), '/hello', `the spooler ran the task; log:\n${sup.log}`);
  assert.deepEqual(JSON.parse((await request(port, '/stats')).body), { workers: 2 });
  // the dashboard's page, style and script: files the package carries beside its dist/
  const page = await request(statsPort, '/', { headers: { accept: 'text/html' } });
  assert.equal(page.status, 200);
  for (const asset of ['dashboard/dashboard.css', 'dashboard/main.js']) {
    assert.ok(page.body.includes(asset), asset);
    assert.equal((await request(statsPort, `/${asset}`)).status, 200, asset);
  }

  const top = await run(bin[0]!, [...bin.slice(1), 'tsgitop', stats, '--once'], { cwd: dir, timeout: NPX_MS });
  assert.match(top.stdout, /\bWID\b.*\bPID\b.*\bREQ\b/);
  for (const pid of sup.workerPids().values()) assert.match(top.stdout, new RegExp(`\\b${pid}\\b`), top.stdout);
  await sup.kill();
}

/** Why this yarn cannot be had here (its test is then skipped with the reason), or undefined. */
async function yarnMissing(yarn: string[]): Promise<string | undefined> {
  try {
    await run(yarn[0]!, [...yarn.slice(1), '--version'], { timeout: 60_000 });
    return undefined;
  } catch (e) {
    return `yarn cannot be installed here (${yarn.join(' ')}: ${(e as Error).message.split('\n')[0]})`;
  }
}

describe('the tsgi package', { concurrency: true }, () => {
  test('the tarball: both bins, every entry point, the README; no test, fixture, benchmark or source map', async () => {
    const files = (await run('tar', ['-tzf', tarball])).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    const manifest = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as Manifest;
    assert.equal(manifest.name, 'tsgi');
    assert.equal(manifest.version, VERSION, 'the package is released at the version supervise reports');
    assert.deepEqual(Object.keys(manifest.bin ?? {}).sort(), ['supervise', 'tsgitop']);
    assert.deepEqual(Object.keys(manifest.dependencies ?? {}).sort(), ['blessed', 'blessed-contrib', 'ini', 'pidusage', 'ws']);
    assert.deepEqual(files.filter((f) => TEST_ONLY.some((re) => re.test(f)) || /\.map$|docs-cli/.test(f)), []);
    // processes the master starts by path, besides what package.json points at
    const spawned = ['worker/main.js', 'spooler/main.js', 'net/listen-main.js', 'cheap/waker-main.js'].map((f) => `lib/supervisor/dist/${f}`);
    // files found beside dist/ by relative path: the dashboard's page
    const dashboard = ['lib/supervisor/dashboard/static/index.html', 'lib/supervisor/dist/dashboard/main.js'];
    for (const f of [...promised(manifest), ...spawned, ...dashboard, 'README.md']) assert.ok(files.includes(f), `${f} is in the tarball`);
  });

  // the four checks share one install and run at once (each on its own ports and files)
  test('npm: ESM and CommonJS apps, tsgitop, the types, and supervise --init on an Express app', { timeout: 400_000, concurrency: true }, async (t: TestContext) => {
    const dir = await project('npm', ['express@5.3.0']);
    const checks: Promise<void>[] = [];
    checks.push(t.test('an app importing tsgi/spool and tsgi/stats serves under npx supervise; npx tsgitop --once reads it', () => serveSpoolingApp(dir)));

    checks.push(t.test('a CommonJS app requires tsgi/spool and tsgi/stats', async () => {
      writeFileSync(
        path.join(dir, 'app.cjs'),
        `const { spool, setTaskHandlers } = require('tsgi/spool');
const { decodeStats } = require('tsgi/stats');
setTaskHandlers({ ping: async () => 'ok' });
module.exports = async function app(req, res) {
  const id = await spool('ping', {});
  res.end(\`cjs \${typeof decodeStats} \${id}\\n\`);
};
`,
      );
      const port = await freePort();
      const sup = await supervise(dir, ['--app', path.join(dir, 'app.cjs'), '--http-socket', `127.0.0.1:${port}`, '--processes', '1'], 1);
      const r = await request(port, '/');
      assert.equal(r.status, 200, sup.log);
      assert.match(r.body, /^cjs function \S+\n$/);
      await sup.kill();
    }));

    checks.push(t.test('the declarations type-check ESM and CommonJS code (nodenext), and old node10 resolution', async () => {
      const uses = `import { spool, type SpoolOptions } from 'tsgi/spool';
import { readStats, type StatsDocument } from 'tsgi/stats';
const options: SpoolOptions = { priority: 1, at: new Date() };
export const queued: Promise<string> = spool('mail', { to: 'a@example.org' }, options);
export const doc: Promise<StatsDocument> = readStats('127.0.0.1:9191');
export async function first(): Promise<number> {
  const workers = (await doc).workers;
  // @ts-expect-error a worker's requests are a number
  const wrong: string = workers[0]!.requests;
  return workers[0]!.requests + wrong.length;
}
`;
      writeFileSync(path.join(dir, 'esm.mts'), uses);
      writeFileSync(path.join(dir, 'cjs.cts'), uses);
      writeFileSync(path.join(dir, 'node10.ts'), uses);
      // @types/node is the project's own (here the repository's); what the package declares is checked through the uses
      const common = { strict: true, noEmit: true, skipLibCheck: true, target: 'ES2022', types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')] };
      writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...common, module: 'nodenext' }, files: ['esm.mts', 'cjs.cts'] }));
      writeFileSync(path.join(dir, 'tsconfig.node10.json'), JSON.stringify({ compilerOptions: { ...common, module: 'commonjs', moduleResolution: 'node10' }, files: ['node10.ts'] }));
      const compiles = ['tsconfig.json', 'tsconfig.node10.json'].map(async (config) => {
        const r = await run(process.execPath, [TSC, '-p', config], { cwd: dir, timeout: 120_000 }).catch((e: { stdout: string }) => e);
        assert.equal(r.stdout, '', `${config}: ${r.stdout}`);
      });
      await Promise.all(compiles);
    }));

    checks.push(t.test('supervise --init writes a commented app.ini for the Express app of package.json, which starts and serves', async () => {
      writeFileSync(
        path.join(dir, 'server.js'),
        `import express from 'express';
const app = express();
app.get('/', (req, res) => res.json({ hello: 'express', worker: process.env.TSGI_WORKER_ID }));
export default app;
`,
      );
      const init = await run(NPX[0]!, [...NPX.slice(1), 'supervise', '--init'], { cwd: dir, timeout: NPX_MS });
      assert.match(init.stdout, /run it: +npx supervise --ini app\.ini/);
      const ini = readFileSync(path.join(dir, 'app.ini'), 'utf8');
      assert.match(ini, /^app = %dserver\.js$/m);
      assert.ok(ini.split('\n').filter((l) => l.startsWith(';')).length > 10, 'the starter ini explains itself');
      const [port, stats] = await Promise.all([freePort(), freePort()]);
      const sup = await supervise(dir, ['--ini', 'app.ini', '--http-socket', `127.0.0.1:${port}`, '--stats', `127.0.0.1:${stats}`], 1);
      const r = await request(port, '/');
      assert.equal(r.status, 200, sup.log);
      assert.equal(JSON.parse(r.body).hello, 'express');
      await sup.kill();

      const again = await run(NPX[0]!, [...NPX.slice(1), 'supervise', '--init'], { cwd: dir, timeout: NPX_MS }).catch((e: { code: number; stderr: string }) => e);
      assert.equal((again as { code?: number }).code, 1, 'a second --init refuses');
      assert.match((again as { stderr: string }).stderr, /app\.ini exists already/);
      assert.equal(readFileSync(path.join(dir, 'app.ini'), 'utf8'), ini, 'and leaves the file as it was');
    }));
    await Promise.all(checks);
  });

  test('pnpm: the app serves under npx supervise and tsgitop reads it', { timeout: 400_000 }, async () => {
    await serveSpoolingApp(await project('pnpm'));
  });

  test('yarn: the app serves under npx supervise and tsgitop reads it', { timeout: 400_000 }, async (t: TestContext) => {
    const missing = await yarnMissing(['npx', '--yes', YARN]);
    if (missing) return t.skip(missing);
    await serveSpoolingApp(await project('yarn'));
  });

  test("yarn 4 with Plug'n'Play: the app serves under yarn supervise and yarn tsgitop reads it", { timeout: 400_000 }, async (t: TestContext) => {
    const missing = await yarnMissing(YARN_PNP);
    if (missing) return t.skip(missing);
    const dir = await project('yarn-pnp');
    assert.equal(existsSync(path.join(dir, 'node_modules')), false, "Plug'n'Play: no node_modules");
    await serveSpoolingApp(dir, YARN_PNP); // no node_modules/.bin for npx: yarn runs the bins
  });
});
