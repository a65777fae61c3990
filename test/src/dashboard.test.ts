/**
 * The live dashboard of stats-http, end to end: JSON clients (curl, readStats, raw HTTP as
 * uwsgitop reads it) still get uWSGI's document from `GET /`; a browser gets the page;
 * actions are off by default and, when on, need the token and the page's own origin. Then
 * a real headless Chromium opens the page on a running `supervise` and watches it: one row
 * per worker, request counts rising under load, a recycled worker's new pid after
 * max-requests, "disconnected" while the master is down and recovery when it is back on
 * the same stats port.
 *
 * The browser part needs Debian's `chromium` (.ci/run installs it) and is skipped with a
 * message without it. `TSGI_DASHBOARD_SCREENSHOT=docs/dashboard-under-load.png` makes it
 * run the load half a minute longer and write the screenshot there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { readStats } from '@tsgi/stats-protocol';
import { FIXTURES, Supervise, freePort, killAll, load, request, sleep, startApp, tmp, writeIni } from './harness.js';
import { readToEof } from './stats-clients.js';

after(killAll);

const run = promisify(execFile);

/** What Chromium sends when it opens a page. */
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';
const TOKEN = 'dashboard-test-token-0123456789';

/** `GET /` on the stats address as raw bytes, with these header lines. */
function rawGet(stats: string, headers: string, target = '/'): Promise<string> {
  const [host, port] = stats.split(':');
  return readToEof({ host: host!, port: Number(port) }, `GET ${target} HTTP/1.1\r\nHost: ${stats}\r\nConnection: close\r\n${headers}\r\n`);
}

/** POST /dashboard/action with these headers and body. */
function postAction(stats: string, headers: Record<string, string>, body = '{"action":"reload"}'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return request(Number(stats.split(':')[1]), '/dashboard/action', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
}

const UWSGI_HEAD = 'HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n';

describe('GET / on stats-http: JSON for JSON clients, the page for browsers', () => {
  test('curl, readStats, uwsgitop-style and fetch-style requests get the document; a browser gets the page', async () => {
    const { sup, stats } = await startApp({ processes: 2, stats: true, ini: 'stats-http = true\n' });
    try {
      // curl's own request (Accept: */*)
      const curl = await run('curl', ['-s', '-i', '--max-time', '5', `http://${stats}/`]);
      assert.ok(curl.stdout.startsWith(UWSGI_HEAD), curl.stdout.slice(0, 200));
      assert.equal(JSON.parse(curl.stdout.slice(UWSGI_HEAD.length)).workers.length, 2);
      // uwsgitop (urllib: no Accept), fetch (*/*), readStats and tsgitop (application/json), a browser preferring JSON
      for (const accept of ['', 'Accept: */*\r\n', 'Accept: application/json\r\n', 'Accept: text/html;q=0.5, application/json\r\n', 'Accept: text/*\r\n']) {
        const raw = await rawGet(stats, accept);
        assert.ok(raw.startsWith(UWSGI_HEAD), `${JSON.stringify(accept)}: ${raw.slice(0, 120)}`);
        assert.equal(JSON.parse(raw.slice(UWSGI_HEAD.length)).workers.length, 2);
      }
      assert.equal((await readStats(`http://${stats}/`)).workers.length, 2);
      // a browser asking for the JSON by URL gets it too
      assert.ok((await rawGet(stats, `Accept: ${BROWSER_ACCEPT}\r\n`, '/?json')).startsWith(UWSGI_HEAD));

      const page = await rawGet(stats, `Accept: ${BROWSER_ACCEPT}\r\n`);
      const [head = '', html = ''] = page.split('\r\n\r\n');
      assert.match(head, /^HTTP\/1\.1 200 OK/);
      assert.match(head, /content-type: text\/html; charset=utf-8/i);
      assert.match(head, /content-security-policy: default-src 'none'; script-src 'self'/i);
      assert.match(head, /x-frame-options: DENY/i);
      assert.match(html, /<script type="module" src="dashboard\/main\.js"><\/script>/);
      assert.match(html, /data-actions="off"/, 'read-only without a token');
      for (const asset of ['/dashboard/main.js', '/dashboard/model.js', '/dashboard/view.js', '/dashboard/dashboard.css', '/dashboard/icon.svg']) {
        assert.equal((await request(Number(stats.split(':')[1]), asset)).status, 200, asset);
      }
      for (const bad of ['/dashboard/../package.json', '/dashboard/model.test.js', '/dashboard/index.html', '/dashboard/nope.js']) {
        assert.equal((await request(Number(stats.split(':')[1]), bad)).status, 404, bad);
      }
      // the page is only for this server's own names, as the JSON is (DNS rebinding)
      assert.match(await readToEof({ host: '127.0.0.1', port: Number(stats.split(':')[1]) }, `GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\nAccept: ${BROWSER_ACCEPT}\r\n\r\n`), /^HTTP\/1\.1 403 /);
      // the master read none of it before the first browser came
      assert.doesNotMatch(sup.log, /dashboard: cannot read/);
    } finally {
      await sup.kill();
    }
  });

  test('stats-http-dashboard = false: browsers get the JSON too, and no page files are served', async () => {
    const { sup, stats } = await startApp({ processes: 1, stats: true, ini: 'stats-http = true\nstats-http-dashboard = false\n' });
    try {
      assert.ok((await rawGet(stats, `Accept: ${BROWSER_ACCEPT}\r\n`)).startsWith(UWSGI_HEAD));
      assert.equal((await request(Number(stats.split(':')[1]), '/dashboard/main.js')).status, 404);
    } finally {
      await sup.kill();
    }
  });
});

describe('dashboard actions', () => {
  test('off by default: an action is refused even from the page itself', async () => {
    const { sup, stats } = await startApp({ processes: 1, stats: true, ini: 'stats-http = true\n' });
    try {
      const r = await postAction(stats, { origin: `http://${stats}`, authorization: 'Bearer anything-at-all-0123456789' });
      assert.equal(r.status, 403);
      assert.match(r.body, /read-only/);
      await sleep(300);
      assert.doesNotMatch(sup.log, /gracefully reloading/);
    } finally {
      await sup.kill();
    }
  });

  test('with a token: only same-origin requests with the right token act, a wrong token pauses guessing, the token is in no page file', async () => {
    const { sup, stats } = await startApp({
      processes: 3,
      stats: true,
      ready: 1,
      ini: `stats-http = true\nstats-http-cors = https://dash.example\nstats-http-actions-token = ${TOKEN}\ncheaper = 1\ncheaper-initial = 1\n`,
    });
    try {
      const own = `http://${stats}`;
      const auth = `Bearer ${TOKEN}`;
      // another web origin, even the one stats-http-cors lets read the stats
      assert.equal((await postAction(stats, { origin: 'https://dash.example', authorization: auth })).status, 403);
      assert.equal((await postAction(stats, { origin: 'http://evil.example', authorization: auth })).status, 403);
      assert.equal((await postAction(stats, { 'sec-fetch-site': 'cross-site', authorization: auth })).status, 403);
      // a form post (no preflight) is not JSON
      assert.equal((await postAction(stats, { origin: own, authorization: auth, 'content-type': 'text/plain' })).status, 415);
      assert.equal((await request(Number(stats.split(':')[1]), '/dashboard/action', { headers: { origin: own, authorization: auth } })).status, 405);
      // a wrong token, then even the right one for a second
      assert.equal((await postAction(stats, { origin: own, authorization: 'Bearer wrong-token-0123456789' })).status, 403);
      assert.equal((await postAction(stats, { origin: own, authorization: auth })).status, 429);
      await sleep(1100);
      assert.equal((await postAction(stats, { origin: own, authorization: auth }, '{"action":"rm -rf"}')).status, 400);
      assert.equal((await postAction(stats, { origin: own, authorization: auth }, `{"action":"${'x'.repeat(2000)}"}`)).status, 413);
      assert.doesNotMatch(sup.log, /spawned tsgi worker 2/);

      const more = await postAction(stats, { origin: own, authorization: auth }, '{"action":"more"}');
      assert.equal(more.status, 202, more.body);
      await sup.waitFor(/spawned tsgi worker 2 \(pid: \d+/, 10000);
      assert.match(sup.log, /dashboard: more asked for via 127\.0\.0\.1/);
      // no Origin: a script, not a browser; the token is still needed
      assert.equal((await postAction(stats, { authorization: auth }, '{"action":"chain-reload"}')).status, 202);
      await sup.waitFor(/chain reload starting/, 10000);

      const port = Number(stats.split(':')[1]);
      const page = await rawGet(stats, `Accept: ${BROWSER_ACCEPT}\r\n`);
      assert.match(page, /data-actions="on"/);
      for (const file of ['/dashboard/main.js', '/dashboard/view.js', '/dashboard/model.js', '/dashboard/columns.js', '/dashboard/dashboard.css']) {
        assert.doesNotMatch((await request(port, file)).body, new RegExp(TOKEN), file);
      }
      assert.doesNotMatch(page, new RegExp(TOKEN));
      assert.doesNotMatch(sup.log, new RegExp(TOKEN), 'the log never shows the token');
      assert.doesNotMatch((await request(port, '/')).body, new RegExp(TOKEN));
    } finally {
      await sup.kill();
    }
  });
});

// ---- in a real browser ------------------------------------------------------------------

const CHROMIUM = process.env.TSGI_CHROMIUM ?? '/usr/bin/chromium';
const noBrowser = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: apt-get install chromium (.ci/run does) to run the browser tests`;
const SCREENSHOT = process.env.TSGI_DASHBOARD_SCREENSHOT;

/** The flags without which Chromium's own connections out are refused on a closed network. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface PageRow {
  wid: number;
  pid: number;
  req: number;
  status: string;
}

/** The worker table as the page shows it. */
function pageRows(page: Page): Promise<PageRow[]> {
  return page.$$eval('#workers tbody tr', (trs) =>
    trs.map((tr) => {
      const cell = (col: string): string => tr.querySelector(`td[data-col="${col}"]`)?.textContent ?? '';
      return { wid: Number(cell('WID')) || 0, pid: Number(cell('PID')) || 0, req: Number(cell('REQ').replaceAll(',', '')), status: cell('STATUS') };
    }),
  );
}

/** Polls `check` until it returns something truthy, or fails after `ms` with `what`. */
async function eventually<T>(what: string, ms: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

describe('the dashboard in headless Chromium', { skip: noBrowser }, () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30000 });
  });
  after(async () => {
    await browser?.close();
  });

  test('rows per worker, live counts under load, a recycled pid, disconnected then back after a master restart', async () => {
    const dir = tmp('tsgi-dashboard-');
    const port = await freePort();
    const statsPort = await freePort();
    const stats = `127.0.0.1:${statsPort}`;
    const markers = tmp('tsgi-markers-');
    const ini = writeIni(
      dir,
      [
        '[tsgi]',
        `app = ${path.join(FIXTURES, 'dashboard-app.mjs')}`,
        `http-socket = 127.0.0.1:${port}`,
        // three workers and a cheap slot: the table shows both kinds of row
        'processes = 4',
        'cheaper = 3',
        `stats = ${stats}`,
        'stats-http = true',
        'stats-push = 0.5',
        'memory-report = true',
        'disable-logging = true',
        // a recycle every few seconds per worker under this load, at different times
        'max-requests = 400',
        'max-requests-delta = 150',
        'min-worker-lifetime = 1',
        `spooler = ${path.join(dir, 'spool')}`,
        `spooler-import = ${path.join(FIXTURES, 'spool-tasks.mjs')}`,
        'spooler-frequency = 1',
        'spooler-quiet = true',
        `env = TSGI_TEST_MARKERS=${markers}`,
        '',
      ].join('\n'),
    );
    let sup = new Supervise(['--ini', ini], { env: { TSGI_TEST_MARKERS: markers } });
    await sup.waitReady(3);
    const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // a refused WebSocket while the master is down is what the test does, not an error of the page
    page.on('console', (m) => m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text()) && errors.push(m.text()));
    let traffic: ReturnType<typeof load> | undefined;
    let spooling: ReturnType<typeof load> | undefined;
    try {
      await page.goto(`http://${stats}/`, { timeout: 15000 });
      await page.waitForSelector('#connection.live', { timeout: 15000 });
      const first = await eventually('a row per worker', 10000, async () => {
        const rows = await pageRows(page);
        return rows.length === 4 && rows.filter((r) => r.pid > 0).length === 3 && rows;
      });
      const bootPids = new Map(first.filter((r) => r.pid > 0).map((r) => [r.wid, r.pid]));
      const running = (await readStats(`http://${stats}/`)).workers.filter((w) => w.pid > 0);
      assert.deepEqual(new Set(bootPids.values()), new Set(running.map((w) => w.pid)));
      assert.equal(first.find((r) => r.pid === 0)?.status, 'cheap');
      const before = first.reduce((n, r) => n + r.req, 0);

      traffic = load(port, { connections: 6, keepAlive: true, maxMs: 90000 });
      spooling = load(port, { connections: 1, keepAlive: true, path: '/spool', maxMs: 90000 });
      // counts rise on the page while the load runs, each worker's included
      await eventually('request counts rising on the page', 20000, async () => {
        const rows = await pageRows(page);
        return rows.reduce((n, r) => n + r.req, 0) >= before + 200 && rows.filter((r) => bootPids.has(r.wid)).every((r) => r.req > 0);
      });
      const rps = Number(await page.textContent('[data-card="rps"] .card-value'));
      assert.ok(rps > 0, `requests/s on the page under load: ${rps}`);

      // max-requests: the page shows the slot's new pid and lists the recycle with its reason
      const recycle = await eventually('a max-requests recycle on the page', 60000, async () => {
        const rows = await pageRows(page);
        const moved = rows.find((r) => r.pid > 0 && bootPids.has(r.wid) && r.pid !== bootPids.get(r.wid));
        const listed = await page.$$eval('#recycles tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent ?? '')));
        const entry = moved && listed.find(([, wid, oldPid, newPid, reason]) => Number(wid) === moved.wid && Number(oldPid) === bootPids.get(moved.wid) && reason === 'max-requests' && Number(newPid) > 0);
        return entry && { wid: moved.wid, oldPid: Number(entry[2]), newPid: Number(entry[3]) };
      });
      assert.ok(sup.allWorkerPids().includes(recycle.newPid), `the new pid ${recycle.newPid} is one supervise spawned`);
      // the master starts the successor as the worker nears the limit, or the worker reaches it first
      await sup.waitFor(new RegExp(`\\(pid: ${recycle.oldPid}\\) nears max-requests|The work of process ${recycle.oldPid} is done \\(max requests reached`), 10000);

      if (SCREENSHOT) await sleep(30000);
      const shot = path.join(dir, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 20000, 'a screenshot of a drawn page');
      assert.deepEqual([...readFileSync(shot).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
      if (SCREENSHOT) copyFileSync(shot, SCREENSHOT);

      const result = await traffic.stop();
      traffic = undefined;
      await spooling.stop();
      spooling = undefined;
      assert.equal(result.failed, 0, `no request failed: ${JSON.stringify([...result.errors])}`);

      // at rest the page agrees with the JSON, pid for pid and request for request
      let seen = '';
      await eventually('the page agreeing with the JSON at rest', 10000, async () => {
        const doc = await readStats(`http://${stats}/`);
        const rows = await pageRows(page);
        seen = JSON.stringify({ json: doc.workers.map((w) => [w.id, w.pid, w.requests]), page: rows });
        return doc.workers.every((w) => rows.some((r) => r.wid === w.id && r.pid === w.pid && r.req === w.requests));
      }).catch((err: Error) => assert.fail(`${err.message}: ${seen}`));

      // sortable: PID ascending, then descending
      await page.click('#workers th[data-col="PID"] button');
      const ascending = (await pageRows(page)).map((r) => r.pid);
      assert.deepEqual(ascending, [...ascending].sort((a, b) => a - b));
      await page.click('#workers th[data-col="PID"] button');
      const descending = (await pageRows(page)).map((r) => r.pid);
      assert.deepEqual(descending, [...ascending].sort((a, b) => b - a));
      assert.equal(await page.getAttribute('#workers th[data-col="PID"]', 'aria-sort'), 'descending');

      // the master goes away: the page says so and keeps the last data
      const oldMaster = sup.pid;
      sup.signal('SIGINT');
      await sup.waitExit(20000);
      await page.waitForSelector('#connection.disconnected', { timeout: 15000 });
      assert.match((await page.textContent('#connection')) ?? '', /disconnected/);
      assert.equal((await pageRows(page)).length, 4, 'the last snapshot stays on the page');

      // a new master on the same stats port: the page reconnects by itself
      sup = new Supervise(['--ini', ini], { env: { TSGI_TEST_MARKERS: markers } });
      await sup.waitReady(3);
      await page.waitForSelector('#connection.live', { timeout: 20000 });
      await eventually('the new master on the page', 10000, async () => ((await page.textContent('#server')) ?? '').includes(`master ${sup.pid}`));
      assert.notEqual(sup.pid, oldMaster);
      assert.match((await page.textContent('#notice')) ?? '', new RegExp(`master restarted \\(pid ${oldMaster} → ${sup.pid}\\)`));
      const fresh = new Set((await readStats(`http://${stats}/`)).workers.map((w) => w.pid));
      await eventually("the new master's workers on the page", 10000, async () => {
        const rows = await pageRows(page);
        return rows.length === 4 && rows.filter((r) => r.pid > 0).length >= 3 && rows.every((r) => fresh.has(r.pid));
      });
      assert.deepEqual(errors, [], 'no script error on the page');
    } finally {
      await traffic?.stop();
      await spooling?.stop();
      await page.close();
      await sup.kill();
    }
  });

  test('actions from the page: refused without the token, one worker more with it', async () => {
    const { sup, stats } = await startApp({
      processes: 3,
      stats: true,
      ready: 1,
      ini: `stats-http = true\nstats-push = 0.5\nstats-http-actions-token = ${TOKEN}\ncheaper = 1\ncheaper-initial = 1\n`,
    });
    const page = await browser.newPage();
    try {
      await page.goto(`http://${stats}/`, { timeout: 15000 });
      await page.waitForSelector('#connection.live', { timeout: 15000 });
      const running = async (): Promise<number> => (await pageRows(page)).filter((r) => r.pid > 0).length;
      await eventually('one running worker', 10000, async () => (await running()) === 1);
      assert.equal(await page.isVisible('#actions'), true);

      await page.click('#actions button[data-action="more"]');
      await page.waitForSelector('#action-result.error', { timeout: 5000 });
      assert.match((await page.textContent('#action-result')) ?? '', /refused: wrong or missing token/);

      await sleep(1100); // past the pause a wrong token costs
      await page.fill('#token', TOKEN);
      await page.click('#actions button[data-action="more"]');
      await page.waitForSelector('#action-result.ok', { timeout: 5000 });
      await eventually('a second running worker on the page', 15000, async () => (await running()) === 2);
      assert.match(sup.log, /dashboard: more asked for via 127\.0\.0\.1/);
    } finally {
      await page.close();
      await sup.kill();
    }
  });
});

test('the page ships: npm pack of the supervisor package holds its scripts and static files, and no test', async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: path.join(FIXTURES, '../../packages/supervisor') });
  const [report] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  const files = report.files.map((f) => f.path);
  for (const f of ['dist/stats/dashboard.js', 'dist/dashboard/main.js', 'dist/dashboard/model.js', 'dist/dashboard/view.js', 'dashboard/static/index.html', 'dashboard/static/dashboard.css']) {
    assert.ok(files.includes(f), `${f} is not in the tarball`);
  }
  assert.deepEqual(files.filter((f) => /dashboard/.test(f) && /\.test\.|tsbuildinfo|\/src\//.test(f)), []);
});
