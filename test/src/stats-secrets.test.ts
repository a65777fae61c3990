import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { statSync } from 'node:fs';
import { WebSocket } from 'ws';
import { decodeStats } from '@tsgi/stats-protocol';
import { killAll, request, sleep, startApp, tmp } from './harness.js';
import { readToEof as dump } from './stats-clients.js';

after(killAll);

const COOKIE = 'session=COOKIE-SECRET-4711';
const BEARER = 'Bearer BEARER-SECRET-4712';
const API_KEY = 'APIKEY-SECRET-4713';

/** A request held in flight by the fixture's `/hang`, carrying credentials; destroy it when done. */
function holdRequest(port: number): http.ClientRequest {
  const req = http.request({
    host: '127.0.0.1',
    port,
    path: '/hang?visible=1',
    agent: false,
    headers: { cookie: COOKIE, authorization: BEARER, 'proxy-authorization': BEARER, 'x-api-key': API_KEY, 'user-agent': 'secrets-test' },
  });
  req.on('error', () => undefined);
  req.end();
  return req;
}

/** The first WebSocket push. */
function firstPush(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no push within 3 s'));
    }, 3000);
    ws.on('message', (m) => {
      clearTimeout(timer);
      ws.close();
      resolve(String(m));
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Reads stats with `read` until a core shows the held request (bounded), then returns that text. */
async function whileInFlight(read: () => Promise<string>): Promise<string> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = await read();
    if (text.includes('REQUEST_URI=/hang?visible=1')) return text;
    if (Date.now() > deadline) throw new Error(`the held request never showed in stats:\n${text.slice(0, 2000)}`);
    await sleep(100);
  }
}

function assertNoSecrets(text: string, where: string): void {
  for (const secret of ['COOKIE-SECRET', 'BEARER-SECRET', 'APIKEY-SECRET', 'HTTP_COOKIE', 'HTTP_AUTHORIZATION', 'HTTP_PROXY_AUTHORIZATION', 'HTTP_X_API_KEY']) {
    assert.ok(!text.includes(secret), `${where} stats show ${secret}`);
  }
  assert.match(text, /REQUEST_METHOD=GET/, `${where}: the request line is still shown`);
  assert.match(text, /HTTP_USER_AGENT=secrets-test/, `${where}: harmless headers are still shown`);
}

describe('stats never show credentials of requests in flight', () => {
  test('tcp dump', async () => {
    const { sup, port, stats } = await startApp({ app: 'misbehaving.mjs', processes: 1, stats: true });
    const held = holdRequest(port);
    try {
      const [host, p] = stats.split(':');
      const text = await whileInFlight(() => dump({ host: host!, port: Number(p) }));
      assert.ok(decodeStats(text).ok);
      assertNoSecrets(text, 'tcp');
    } finally {
      held.destroy();
      await sup.kill();
    }
  });

  test('unix dump, whose socket is 0600 whatever chmod-socket says, or stats-chmod', async () => {
    const dir = tmp();
    const sock = path.join(dir, 'stats.sock');
    const { sup, port } = await startApp({ app: 'misbehaving.mjs', processes: 1, ini: `stats = ${sock}\nchmod-socket = 666\n` });
    const held = holdRequest(port);
    try {
      await whileInFlight(() => dump({ path: sock }).catch(() => ''));
      assert.equal(statSync(sock).mode & 0o777, 0o600, 'chmod-socket is for the app sockets, not the stats');
      assertNoSecrets(await whileInFlight(() => dump({ path: sock })), 'unix');
    } finally {
      held.destroy();
      await sup.kill();
    }
    const sock2 = path.join(dir, 'stats2.sock');
    const second = await startApp({ processes: 1, ready: 0, ini: `stats = ${sock2}\nstats-chmod = 640\n` });
    try {
      const deadline = Date.now() + 5000;
      while (!second.sup.log.includes('Stats server enabled') && Date.now() < deadline) await sleep(50);
      assert.equal(statSync(sock2).mode & 0o777, 0o640);
    } finally {
      await second.sup.kill();
    }
  });

  test('stats-http: GET /, /metrics and the /ws push', async () => {
    const { sup, port, stats } = await startApp({ app: 'misbehaving.mjs', processes: 1, stats: true, ini: 'stats-http = true\nstats-push = 0.2\n' });
    const held = holdRequest(port);
    try {
      const statsPort = Number(stats.split(':')[1]);
      assertNoSecrets(await whileInFlight(async () => (await request(statsPort, '/')).body), 'http');
      const metrics = (await request(statsPort, '/metrics')).body;
      for (const secret of ['COOKIE-SECRET', 'BEARER-SECRET', 'APIKEY-SECRET']) assert.ok(!metrics.includes(secret));
      assertNoSecrets(await whileInFlight(() => firstPush(`ws://${stats}/ws`)), 'ws');
    } finally {
      held.destroy();
      await sup.kill();
    }
  });
});
