import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { killAll, request, startApp } from './harness.js';
import { readToEof } from './stats-clients.js';

after(killAll);

/** GET / on stats-http as raw bytes, with the given header lines. */
function rawGet(stats: string, headers: string): Promise<string> {
  const [host, port] = stats.split(':');
  return readToEof({ host: host!, port: Number(port) }, `GET / HTTP/1.1\r\n${headers}\r\n`);
}

/** Opens /ws with these headers: 'open', or the refusal's HTTP status. */
function tryWebSocket(stats: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${stats}/ws`, { headers });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('/ws neither opened nor was refused within 3 s'));
    }, 3000);
    ws.on('open', () => {
      clearTimeout(timer);
      ws.terminate();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(res.statusCode ?? 0);
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe('stats-http answers its own origins only', () => {
  test('no Access-Control-Allow-Origin by default; a foreign Origin or Host is refused', async () => {
    const { sup, stats } = await startApp({ processes: 1, stats: true, ini: 'stats-http = true\n' });
    try {
      const own = await rawGet(stats, `Host: ${stats}\r\nOrigin: http://evil.example\r\n`);
      assert.match(own, /^HTTP\/1\.0 200 OK\r\n/);
      assert.doesNotMatch(own.slice(0, own.indexOf('\r\n\r\n')), /access-control/i);
      assert.equal((await request(Number(stats.split(':')[1]), '/metrics')).headers['access-control-allow-origin'], undefined);

      assert.equal(await tryWebSocket(stats, { Origin: 'http://evil.example' }), 403, 'a web page elsewhere opens no /ws');
      assert.equal(await tryWebSocket(stats, { Origin: 'null' }), 403);
      assert.equal(await tryWebSocket(stats, {}), 'open', 'no Origin: not a browser');
      assert.equal(await tryWebSocket(stats, { Origin: `http://${stats}` }), 'open', 'a page the stats server itself serves');

      // DNS rebinding: the attacker's name resolves to 127.0.0.1, so only Host tells
      assert.match(await rawGet(stats, 'Host: evil.example\r\n'), /^HTTP\/1\.1 403 /);
      assert.equal(await tryWebSocket(stats, { Host: `rebind.evil.example:${stats.split(':')[1]}` }), 403);
      assert.match(await rawGet(stats, `Host: localhost:${stats.split(':')[1]}\r\n`), /^HTTP\/1\.0 200 OK/);
    } finally {
      await sup.kill();
    }
  });

  test('stats-http-cors and stats-http-allow-host widen it', async () => {
    const { sup, stats } = await startApp({
      processes: 1,
      stats: true,
      ini: 'stats-http = true\nstats-http-cors = https://dash.example\nstats-http-allow-host = stats.example\n',
    });
    try {
      const own = await rawGet(stats, `Host: ${stats}\r\n`);
      assert.match(own, /^HTTP\/1\.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: https:\/\/dash\.example\r\nContent-Type: application\/json\r\n\r\n\{/);
      assert.equal(await tryWebSocket(stats, { Origin: 'https://dash.example' }), 'open');
      assert.equal(await tryWebSocket(stats, { Origin: 'https://other.example' }), 403);
      assert.match(await rawGet(stats, 'Host: stats.example\r\n'), /^HTTP\/1\.0 200 OK/);
      assert.match(await rawGet(stats, 'Host: other.example\r\n'), /^HTTP\/1\.1 403 /);
    } finally {
      await sup.kill();
    }
  });
});
