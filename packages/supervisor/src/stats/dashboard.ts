/**
 * The live dashboard of `stats-http`: a page for browsers on `GET /`, its scripts and style
 * under `/dashboard/`, and, only with `stats-http-actions-token`, `POST /dashboard/action`
 * (reload, chain reload, one worker more or fewer). The page reads nothing but the `/ws`
 * push every client already gets; the JSON answer of `GET /` to every other client is
 * untouched.
 *
 * The files are read on the first request for them, not when the master starts: a master
 * whose stats nobody opens in a browser never reads them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/logger.js';
import { originAllowed } from './access.js';

/** What the dashboard needs from the stats server's options. */
export interface DashboardOptions {
  /** `stats-http-actions-token`: undefined leaves the page read-only */
  actionsToken: string | undefined;
  /** `stats-push`, for the page to tell a silent server from a slow one */
  pushSeconds: number;
  /** asks the master for a verb, as a master-fifo letter would; needed for actions */
  control: ((letter: string) => void) | undefined;
  logger: Logger;
}

/** The dashboard's part of the stats HTTP server. */
export interface Dashboard {
  /** Whether the request is the dashboard's: the page, one of its files, or an action. */
  handles(req: http.IncomingMessage): boolean;
  serve(req: http.IncomingMessage, res: http.ServerResponse): void;
}

/** The verbs a page may ask for, and the master-fifo letter of each (`r`, `c`, `+`, `-` as uWSGI's). */
export const DASHBOARD_ACTIONS: Readonly<Record<string, string>> = {
  reload: 'r',
  'chain-reload': 'c',
  more: '+',
  fewer: '-',
};

/** Where the files are, from this module in `dist/stats/`: the compiled page scripts, the static page and style. */
const SCRIPTS = fileURLToPath(new URL('../dashboard/', import.meta.url));
const STATIC = fileURLToPath(new URL('../../dashboard/static/', import.meta.url));

/** A file of the page: a bare lower-case name, so no request can climb out of the two folders. */
const ASSET = /^\/dashboard\/([a-z][a-z0-9-]*\.(?:js|css|svg))$/;
const ACTION_PATH = '/dashboard/action';

/** Bytes of the largest action body: `{"action":"chain-reload"}` is 25. */
const MAX_ACTION_BODY = 1024;
/** After a wrong token, every action is refused this long: guessing costs a second a try. */
const WRONG_TOKEN_PAUSE_MS = 1000;

/**
 * The page runs only its own scripts and style, talks only to its own origin (the `/ws`
 * push, the actions), and cannot be framed: a page elsewhere can neither inject into it
 * nor click its buttons through a frame.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** By file extension. */
const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

/**
 * Whether `accept` asks for a page rather than data: `text/html` named outright with a
 * weight above 0 and not below `application/json`'s. Browsers name it when they open a
 * page; `curl` (`*\/*`), uwsgitop (none), `readStats` and tsgitop (`application/json`),
 * `fetch` (`*\/*`) do not, so they keep getting the JSON.
 */
export function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let html = 0;
  let json = -1;
  for (const range of accept.split(',')) {
    const [type = '', ...params] = range.split(';').map((s) => s.trim().toLowerCase());
    const q = weight(params);
    if (type === 'text/html') html = Math.max(html, q);
    else if (type === 'application/json') json = Math.max(json, q);
  }
  return html > 0 && html >= json;
}

/** The `q=` of a media range's parameters: 1 when absent, 0 when unreadable. */
function weight(params: readonly string[]): number {
  const q = params.find((p) => p.startsWith('q='));
  if (q === undefined) return 1;
  const value = Number(q.slice(2));
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 0;
}

/** The dashboard for a stats HTTP server. */
export function createDashboard(o: DashboardOptions): Dashboard {
  const actions = o.actionsToken !== undefined && o.control !== undefined ? actionGate(o, o.actionsToken, o.control) : undefined;
  const files = pageFiles();
  let page: Promise<Buffer> | undefined;
  const renderPage = (): Promise<Buffer> => {
    page ??= readFile(`${STATIC}index.html`, 'utf8').then((html) =>
      Buffer.from(html.replace('__TSGI_ACTIONS__', actions ? 'on' : 'off').replace('__TSGI_PUSH__', String(o.pushSeconds))),
    );
    // a failed read is tried again on the next request: the file may be restored
    page.catch(() => (page = undefined));
    return page;
  };

  const send = (req: http.IncomingMessage, res: http.ServerResponse, body: Promise<Buffer | undefined>, name: string): void => {
    body.then(
      (data) => {
        if (data === undefined) return notFound(res);
        const type = TYPES[name.slice(name.lastIndexOf('.') + 1)]!;
        res.writeHead(200, { 'content-type': type, 'content-length': data.length, vary: 'Accept', ...SECURITY_HEADERS });
        res.end(req.method === 'HEAD' ? undefined : data);
      },
      (err: NodeJS.ErrnoException) => {
        o.logger.log(`dashboard: cannot read ${name}: ${err.code ?? err.message} (is the package installed whole?)`);
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`the dashboard's ${name} is missing from this installation\n`);
      },
    );
  };

  return {
    handles(req) {
      const [path = '/', query] = (req.url ?? '/').split('?');
      if (path === '/' || path === '') return query === undefined && isRead(req) && acceptsHtml(req.headers.accept);
      return path.startsWith('/dashboard/');
    },
    serve(req, res) {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === ACTION_PATH) {
        if (actions) return actions(req, res);
        return answer(res, 403, { error: 'the dashboard is read-only: set stats-http-actions-token to allow its actions' });
      }
      if (!isRead(req)) {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
        return void res.end('method not allowed\n');
      }
      if (path === '/' || path === '') return send(req, res, renderPage(), 'index.html');
      const name = ASSET.exec(path)?.[1];
      if (name === undefined) return notFound(res);
      send(req, res, files.read(name), name);
    },
  };
}

/**
 * The page's scripts (compiled into `dist/dashboard/`) and its style and icon (shipped in
 * `dashboard/static/`), listed on the first request and each read once: a name that is
 * not there costs no file system call, whatever a client asks for.
 */
function pageFiles(): { read(name: string): Promise<Buffer | undefined> } {
  let listing: Promise<Map<string, string>> | undefined;
  const contents = new Map<string, Promise<Buffer>>();
  const list = async (): Promise<Map<string, string>> => {
    const found = new Map<string, string>();
    for (const [dir, ext] of [[SCRIPTS, /\.js$/], [STATIC, /\.(?:css|svg)$/]] as const) {
      for (const name of await readdir(dir)) if (ext.test(name) && ASSET.test(`/dashboard/${name}`)) found.set(name, `${dir}${name}`);
    }
    return found;
  };
  return {
    async read(name) {
      listing ??= list();
      listing.catch(() => (listing = undefined));
      const path = (await listing).get(name);
      if (path === undefined) return undefined;
      let file = contents.get(path);
      if (!file) {
        contents.set(path, (file = readFile(path)));
        file.catch(() => contents.delete(path));
      }
      return file;
    },
  };
}

function notFound(res: http.ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
}

function isRead(req: http.IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

function answer(res: http.ServerResponse, status: number, body: object, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(`${JSON.stringify(body)}\n`);
}

/**
 * `POST /dashboard/action` with `Authorization: Bearer <token>` and `{"action": "..."}`.
 * A browser sends it only from the page itself: a foreign `Origin` or `Sec-Fetch-Site`
 * is refused whatever `stats-http-cors` allows (that option lets pages read, never act),
 * and the `Authorization` header and JSON body make any cross-site attempt a CORS
 * preflight, which this server never approves. A client that is no browser (no `Origin`)
 * needs the token all the same.
 */
function actionGate(o: DashboardOptions, token: string, control: (letter: string) => void): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const expected = digest(token);
  let pausedUntil = 0;
  return (req, res) => {
    const who = req.socket.remoteAddress ?? 'a unix socket client';
    if (req.method !== 'POST') return answer(res, 405, { error: 'POST only' }, { allow: 'POST' });
    const site = req.headers['sec-fetch-site'];
    if ((site !== undefined && site !== 'same-origin') || !originAllowed(req.headers.origin, req.headers.host, undefined)) {
      o.logger.log(`dashboard: refused an action from another web origin (${req.headers.origin ?? site}) via ${who}`);
      return answer(res, 403, { error: 'actions are taken only from the dashboard page itself' });
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return answer(res, 415, { error: 'send {"action": "..."} as application/json' });
    if (performance.now() < pausedUntil) return answer(res, 429, { error: 'a wrong token was given a moment ago: try again in a second' }, { 'retry-after': '1' });
    const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      pausedUntil = performance.now() + WRONG_TOKEN_PAUSE_MS;
      o.logger.log(`dashboard: refused an action with a ${given === undefined ? 'missing' : 'wrong'} token via ${who}`);
      return answer(res, 403, { error: 'wrong or missing token' });
    }
    readBody(req, MAX_ACTION_BODY).then(
      (body) => {
        const action = actionOf(body);
        if (action === undefined) return answer(res, 400, { error: `unknown action: send one of ${Object.keys(DASHBOARD_ACTIONS).join(', ')}` });
        o.logger.log(`dashboard: ${action} asked for via ${who}`);
        control(DASHBOARD_ACTIONS[action]!);
        answer(res, 202, { ok: true, action });
      },
      (err: Error) => answer(res, 413, { error: err.message }, { connection: 'close' }),
    );
  };
}

/** Equal-length digests, so that comparing them tells nothing of the token's length or prefix. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function actionOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const action = typeof parsed === 'object' && parsed !== null ? (parsed as { action?: unknown }).action : undefined;
    return typeof action === 'string' && Object.hasOwn(DASHBOARD_ACTIONS, action) ? action : undefined;
  } catch {
    // not JSON: the caller answers 400
    return undefined;
  }
}

/** The request body as text, refused past `max` bytes (the server's request timeout bounds the time). */
function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // the rest is read and dropped; the answer closes the connection
      if (size > max) reject(new Error(`an action body is at most ${max} bytes`));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
