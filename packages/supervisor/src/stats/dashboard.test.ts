import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { memoryLogger } from '../log/logger.js';
import { collectStats } from './collect.js';
import { acceptsHtml } from './dashboard.js';
import { startStatsServer, type StatsServer } from './servers.js';

const empty = collectStats(
  { pid: 1, uid: 0, gid: 0, cwd: '/', phase: 'running', startedAt: 0, reloads: 0, threads: 1, chdir: '', memoryReport: false, slots: [], workers: [], sockets: [], samples: new Map() },
  0,
);
const TOKEN = 'a-token-of-sixteen-or-more';

test('only a request naming text/html, not below application/json, gets the page', () => {
  const page = [
    'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', // Chromium, Firefox
    'text/html',
    'application/json;q=0.5, text/html',
    'TEXT/HTML; charset=utf-8',
  ];
  const json = [undefined, '', '*/*', 'application/json', 'text/*', 'text/html;q=0', 'text/html;q=0.4, application/json', 'text/html;q=nonsense', 'text/htmlx'];
  for (const a of page) assert.equal(acceptsHtml(a), true, a);
  for (const a of json) assert.equal(acceptsHtml(a), false, String(a));
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function ask(port: number, path: string, init: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(init.body);
  });
}

async function withServer(token: string | undefined, run: (port: number, letters: string[], log: string[]) => Promise<void>): Promise<void> {
  const letters: string[] = [];
  const logger = memoryLogger();
  const server: StatsServer = await startStatsServer({
    address: '127.0.0.1:0',
    http: true,
    minified: true,
    pushSeconds: 2,
    chmod: undefined,
    cors: 'https://dash.example',
    logger,
    snapshot: () => empty,
    dashboard: { actionsToken: token, pushSeconds: 2, control: (l) => letters.push(l), logger },
  });
  try {
    await run(server.port, letters, logger.lines);
  } finally {
    server.close();
  }
}

test('the page, its files, and the JSON beside them', async () => {
  await withServer(undefined, async (port) => {
    const page = await ask(port, '/', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type']!, /^text\/html/);
    assert.match(page.body, /data-actions="off" data-push="2"/);
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(page.headers.vary, 'Accept');
    const head = await ask(port, '/', { method: 'HEAD', headers: { accept: 'text/html' } });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    // JSON for everyone else, and for POST / whatever it accepts
    assert.equal(JSON.parse((await ask(port, '/')).body).pid, 1);
    assert.equal(JSON.parse((await ask(port, '/', { method: 'POST', headers: { accept: 'text/html' } })).body).pid, 1);
    const script = await ask(port, '/dashboard/model.js');
    assert.equal(script.status, 200);
    assert.match(script.headers['content-type']!, /^text\/javascript/);
    assert.equal((await ask(port, '/dashboard/dashboard.css')).headers['content-type'], 'text/css; charset=utf-8');
    for (const bad of ['/dashboard/', '/dashboard/x/../model.js', '/dashboard/%2e%2e/package.json', '/dashboard/Model.js', '/dashboard/model.test.js', '/dashboard/model.d.ts']) {
      assert.equal((await ask(port, bad)).status, 404, bad);
    }
    assert.equal((await ask(port, '/dashboard/model.js', { method: 'DELETE' })).status, 405);
    // /metrics and the probes are still the stats server's
    assert.equal((await ask(port, '/metrics')).status, 200);
  });
});

test('read-only without a token: every action is refused and nothing reaches the master', async () => {
  await withServer(undefined, async (port, letters) => {
    const r = await ask(port, '/dashboard/action', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: '{"action":"reload"}' });
    assert.equal(r.status, 403);
    assert.deepEqual(letters, []);
  });
});

test('actions: token, same origin, JSON, one known verb; a wrong token pauses the next try', async () => {
  await withServer(TOKEN, async (port, letters, log) => {
    const post = (headers: http.OutgoingHttpHeaders, body = '{"action":"more"}'): Promise<number> =>
      ask(port, '/dashboard/action', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then((r) => r.status);
    const own = { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` };
    assert.match((await ask(port, '/', { headers: { accept: 'text/html' } })).body, /data-actions="on"/);
    assert.equal(await post({ ...own, authorization: `Bearer ${TOKEN}` }), 202);
    assert.equal(await post({ ...own, authorization: `Bearer ${TOKEN}`, 'sec-fetch-site': 'same-origin' }, '{"action":"chain-reload"}'), 202);
    assert.equal(await post({ authorization: `Bearer ${TOKEN}` }, '{"action":"fewer"}'), 202, 'no Origin: not a browser');
    assert.equal(await post({ authorization: `Bearer ${TOKEN}` }, '{"action":"reload"}'), 202);
    assert.deepEqual(letters, ['+', 'c', '-', 'r']);

    assert.equal(await post({ origin: 'https://dash.example', authorization: `Bearer ${TOKEN}` }), 403, 'stats-http-cors lets a page read, not act');
    assert.equal(await post({ origin: 'null', authorization: `Bearer ${TOKEN}` }), 403);
    assert.equal(await post({ 'sec-fetch-site': 'same-site', authorization: `Bearer ${TOKEN}` }), 403);
    assert.equal(await post({ ...own, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }), 415);
    assert.equal(await post({ ...own, authorization: `Bearer ${TOKEN}` }, '{"action":"stop"}'), 400, 'only the four verbs');
    assert.equal(await post({ ...own, authorization: `Bearer ${TOKEN}` }, 'not json'), 400);
    assert.equal(await post({ ...own, authorization: `Bearer ${TOKEN}` }, `{"action":"${'m'.repeat(4096)}"}`), 413);
    assert.equal((await ask(port, '/dashboard/action', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 405);
    assert.deepEqual(letters, ['+', 'c', '-', 'r']);

    assert.equal(await post({ ...own, authorization: `Bearer ${TOKEN}x` }), 403);
    assert.equal(await post({ ...own, authorization: `Bearer ${TOKEN}` }), 429, 'even the right token waits a second after a wrong one');
    assert.equal(await post({ ...own }), 429);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await post({ ...own }), 403, 'no token');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await post({ ...own, authorization: `Basic ${TOKEN}` }), 403);
    assert.deepEqual(letters, ['+', 'c', '-', 'r']);
    assert.ok(log.some((l) => /dashboard: more asked for via 127\.0\.0\.1/.test(l)));
    assert.ok(log.every((l) => !l.includes(TOKEN)), 'the log never shows the token');
  });
});
