/**
 * `supervise --init [app]`: a commented starter app.ini for the project in the current
 * directory. The app is the module given, or the one package.json names (`main`, else
 * `exports`); the ini goes beside that package.json, where `npx supervise` runs from.
 * An existing app.ini is never overwritten.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What --init did: the lines to print, or why it wrote nothing. */
export type InitOutcome = { ok: true; ini: string; lines: string[] } | { ok: false; error: string };

const TS_EXTENSIONS = /\.[cm]?ts$/;
/** Export conditions a Node server loads, most specific first. */
const CONDITIONS = ['node', 'import', 'require', 'default'];
const NAME_IT = 'name the app module: supervise --init ./server.js';

/** Writes app.ini for the app of the project at `cwd` (or `given`); never throws for bad input. */
export function init(cwd: string, given: string | undefined): InitOutcome {
  const pkgFile = findUp(cwd, 'package.json');
  let pkg: { name?: string; main?: unknown; exports?: unknown; dependencies?: object; devDependencies?: object } = {};
  if (pkgFile) {
    try {
      pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as typeof pkg;
    } catch (e) {
      return { ok: false, error: `cannot read ${pkgFile}: ${(e as Error).message}` };
    }
  }
  const projectDir = pkgFile ? path.dirname(pkgFile) : cwd;
  const entry = given ?? (typeof pkg.main === 'string' ? pkg.main : exportsEntry(pkg.exports));
  if (entry === undefined) {
    return { ok: false, error: pkgFile ? `${pkgFile} has no main or exports: ${NAME_IT}` : `no package.json in ${cwd} or above: run it in your project, or ${NAME_IT}` };
  }
  const app = moduleFile(path.resolve(given === undefined ? projectDir : cwd, entry));
  if (app === undefined) {
    const named = path.resolve(given === undefined ? projectDir : cwd, entry);
    const from = given === undefined ? ` (${typeof pkg.main === 'string' ? 'main' : 'exports'} of ${pkgFile})` : '';
    return { ok: false, error: `the app ${named}${from} does not exist: build it first, or ${NAME_IT}` };
  }
  const ini = path.join(projectDir, 'app.ini');
  const relativeApp = path.relative(projectDir, app).split(path.sep).join('/');
  const typescript = TS_EXTENSIONS.test(app);
  try {
    writeFileSync(ini, starterIni(pkg.name ?? path.basename(projectDir), relativeApp, typescript), { flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, error: code === 'EEXIST' ? `${ini} exists already; edit it, or remove it to start again` : `cannot write ${ini}: ${(e as Error).message}` };
  }
  const shown = path.relative(cwd, ini) || 'app.ini';
  const lines = [`wrote ${ini} for ${relativeApp}`];
  if (/\.listen\s*\(/.test(readFileSync(app, 'utf8'))) {
    lines.push(`note: ${relativeApp} calls listen(); under supervise the module exports the app instead (export default app) and the workers own the socket`);
  }
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  if (typescript && !('tsx' in deps)) lines.push('note: a .ts app runs through tsx (node-args = --import tsx): npm install --save-dev tsx');
  lines.push(`run it:   npx supervise --ini ${shown}`, 'watch it: npx tsgitop 127.0.0.1:9191', `in package.json: "scripts": { "start": "supervise --ini ${path.relative(projectDir, ini)}" }`);
  return { ok: true, ini, lines };
}

/** The module a package's `exports` points Node at for `.`, if any. */
function exportsEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (Array.isArray(exports)) return exports.map(exportsEntry).find((e) => e !== undefined);
  if (exports === null || typeof exports !== 'object') return undefined;
  const map = exports as Record<string, unknown>;
  if ('.' in map) return exportsEntry(map['.']);
  for (const condition of CONDITIONS) if (condition in map) return exportsEntry(map[condition]);
  return undefined;
}

/** The file Node loads for `main` as CommonJS resolution reads it: as given, with .js, or the folder's index.js. */
function moduleFile(named: string): string | undefined {
  const isFile = (f: string): boolean => statSync(f, { throwIfNoEntry: false })?.isFile() === true;
  return [named, `${named}.js`, path.join(named, 'index.js')].find(isFile);
}

function findUp(dir: string, name: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, name))) return path.join(at, name);
    if (path.dirname(at) === at) return undefined;
  }
}

function starterIni(project: string, app: string, typescript: boolean): string {
  return `; app.ini: how supervise runs ${project}.
;   run it:    npx supervise --ini app.ini
;   watch it:  npx tsgitop 127.0.0.1:9191
;   reload:    kill -HUP <master pid> (new workers first, no request fails)
; Every option, its default and its meaning: npx supervise --help
[tsgi]
; The module every worker loads. Its default export is the app: a request listener
; (an Express app, Koa's app.callback(), a plain (req, res) function) or a fetch
; handler (a Hono app). It calls no listen(): the workers share the socket below.
; ./${app}:name would pick a named export. %d is this file's directory.
app = %d${app}
${typescript ? '; A .ts app: every worker loads tsx first (npm install --save-dev tsx).\nnode-args = --import tsx\n' : ''}
; Where the workers speak HTTP: host:port, :port for every interface, or a unix socket path.
http-socket = 127.0.0.1:8080

; Workers; %k is the CPUs this process may use.
processes = %k

; The stats JSON that tsgitop, nc and scripts read; it shows paths and pids: keep it on loopback.
stats = 127.0.0.1:9191
memory-report = true

; SIGTERM (docker, systemd, Kubernetes) shuts down gracefully: requests in flight finish.
die-on-term = true

; Recycle a worker gracefully after N requests, or when its memory passes N MiB.
; max-requests = 10000
; reload-on-rss = 512
; Replace a worker whose request runs longer than N seconds.
; harakiri = 60
; Node options for the workers: an APM agent that must load before the app.
; node-args = --require dd-trace/init
; Environment of the workers.
; env = NODE_ENV=production
`;
}
