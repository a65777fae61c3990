import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { BadUwsgiRequest, acceptUwsgi, asksUpgrade, encodeUwsgiPacket, parseUwsgiPacket, requestHead } from './uwsgi.js';

const vars = {
  REQUEST_METHOD: 'POST',
  REQUEST_URI: '/items?x=1',
  QUERY_STRING: 'x=1',
  PATH_INFO: '/items',
  SERVER_PROTOCOL: 'HTTP/1.1',
  CONTENT_TYPE: 'text/plain',
  CONTENT_LENGTH: '5',
  REMOTE_ADDR: '10.1.2.3',
  HTTP_HOST: 'example.org',
  HTTP_X_FORWARDED_FOR: '10.1.2.3',
  HTTP_CONNECTION: 'keep-alive',
};

test('a uwsgi packet round-trips and leaves the body after it', () => {
  const packet = encodeUwsgiPacket(vars);
  const withBody = Buffer.concat([packet, Buffer.from('hello')]);
  const parsed = parseUwsgiPacket(withBody)!;
  assert.equal(parsed.used, packet.length);
  assert.deepEqual(Object.fromEntries(parsed.vars), vars);
  assert.equal(withBody.subarray(parsed.used).toString(), 'hello');
});

test('an incomplete packet asks for more; a non-request modifier is an error', () => {
  const packet = encodeUwsgiPacket(vars);
  assert.equal(parseUwsgiPacket(packet.subarray(0, 3)), undefined);
  assert.equal(parseUwsgiPacket(packet.subarray(0, packet.length - 1)), undefined);
  const bad = Buffer.from(packet);
  bad[0] = 17;
  assert.throws(() => parseUwsgiPacket(bad), /modifier1 17/);
});

test('the HTTP head keeps method, uri, headers and body length; hop-by-hop headers are dropped', () => {
  const head = requestHead(parseUwsgiPacket(encodeUwsgiPacket(vars))!.vars);
  assert.equal(
    head,
    'POST /items?x=1 HTTP/1.0\r\ncontent-type: text/plain\r\ncontent-length: 5\r\nhost: example.org\r\nx-forwarded-for: 10.1.2.3\r\n\r\n',
  );
  const noUri = requestHead(new Map([['PATH_INFO', '/a'], ['QUERY_STRING', 'b=1']]));
  assert.match(noUri, /^GET \/a\?b=1 HTTP\/1\.0\r\n/);
});

test('a method, URI or var name outside its grammar is a BadUwsgiRequest; a value with CR, LF or NUL is dropped', () => {
  const head = (v: Record<string, string>): string => requestHead(new Map(Object.entries(v)));
  assert.throws(() => head({ REQUEST_METHOD: 'GET /x HTTP/1.1\r\nX:' }), BadUwsgiRequest);
  assert.throws(() => head({ REQUEST_URI: '/a b' }), BadUwsgiRequest);
  assert.throws(() => head({ REQUEST_URI: '/a\r\nx: 1' }), BadUwsgiRequest);
  assert.throws(() => head({ 'HTTP_X: y\r\nCONNECTION': 'keep-alive' }), BadUwsgiRequest);
  assert.throws(() => head({ 'HTTP X': '1' }), BadUwsgiRequest);
  assert.equal(head({ REQUEST_URI: '/', HTTP_A: 'x\ny', HTTP_B: 'z\0', HTTP_C: 'ok' }), 'GET / HTTP/1.0\r\nc: ok\r\n\r\n');
});

/** What nginx's uwsgi module sends for a browser's WebSocket handshake (uwsgi_params plus the client's headers). */
const handshake = {
  REQUEST_METHOD: 'GET',
  REQUEST_URI: '/ws?room=1',
  QUERY_STRING: 'room=1',
  SERVER_PROTOCOL: 'HTTP/1.1',
  REMOTE_ADDR: '10.1.2.3',
  HTTP_HOST: 'example.org',
  HTTP_CONNECTION: 'keep-alive, Upgrade',
  HTTP_UPGRADE: 'websocket',
  HTTP_SEC_WEBSOCKET_KEY: 'dGhlIHNhbXBsZSBub25jZQ==',
  HTTP_SEC_WEBSOCKET_VERSION: '13',
};

test('an Upgrade the client asked for becomes an HTTP/1.1 head with connection: upgrade, and only then', () => {
  const head = (v: Record<string, string>): string => requestHead(new Map(Object.entries(v)));
  assert.equal(
    head(handshake),
    'GET /ws?room=1 HTTP/1.1\r\nhost: example.org\r\nupgrade: websocket\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\nconnection: upgrade\r\n\r\n',
  );
  assert.equal(asksUpgrade(new Map(Object.entries(handshake))), true);
  const notAsked: Record<string, string>[] = [
    { ...handshake, HTTP_CONNECTION: 'keep-alive' }, // Upgrade without the Connection token asks for nothing
    { ...handshake, HTTP_UPGRADE: '' },
    { ...handshake, HTTP_UPGRADE: 'h2c' }, // answered in HTTP/1.1 by the handler
    { ...handshake, SERVER_PROTOCOL: 'HTTP/1.0' }, // ignored in HTTP/1.0
    { ...handshake, HTTP_UPGRADE: 'websocket\r\nx-injected: 1' },
  ];
  for (const vars of notAsked) {
    const h = head(vars);
    assert.match(h, /^GET \/ws\?room=1 HTTP\/1\.0\r\n/, JSON.stringify(vars));
    assert.doesNotMatch(h, /connection|x-injected/i, JSON.stringify(vars));
  }
  const { HTTP_UPGRADE: _, ...noUpgrade } = handshake;
  assert.doesNotMatch(head({ ...noUpgrade, HTTP_CONNECTION: 'upgrade' }), /connection/);
});

/** An http.Server fed by acceptUwsgi, whose 'upgrade' listener answers 101 and echoes the tunnel. */
async function upgradeServer(): Promise<{ port: number; upgrades: string[]; requests: string[]; close: () => void }> {
  const upgrades: string[] = [];
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.httpVersion}`);
    res.end('plain\n');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.push(`${req.url} ${req.httpVersion} ${req.headers.upgrade} ${req.headers['sec-websocket-key']}`);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    if (head.length > 0) socket.write(head);
    socket.pipe(socket);
  });
  const listener = net.createServer((s) => acceptUwsgi(s, (conn) => server.emit('connection', conn), () => undefined));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;
  return { port, upgrades, requests, close: () => listener.close() };
}

/** Sends a uwsgi packet, waits for the answer's head, then sends `after` and collects what comes back until the server ends. */
function tunnel(port: number, vars: Record<string, string>, after: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    let sent = false;
    const c = net.connect(port, '127.0.0.1', () => c.write(encodeUwsgiPacket(vars)));
    const bound = setTimeout(() => c.destroy(new Error(`no end within 3 s: ${JSON.stringify(data)}`)), 3000);
    c.on('data', (d) => {
      data += d.toString('latin1');
      if (!sent && data.includes('\r\n\r\n')) {
        sent = true;
        c.end(after);
      }
    });
    c.on('error', reject);
    c.on('close', () => {
      clearTimeout(bound);
      resolve(data);
    });
  });
}

test('through acceptUwsgi, an Upgrade reaches the server as one and the connection is a tunnel both ways after 101', async () => {
  const s = await upgradeServer();
  try {
    const answer = await tunnel(s.port, handshake, 'frames after the switch');
    assert.equal(answer, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nframes after the switch');
    assert.deepEqual(s.upgrades, ['/ws?room=1 1.1 websocket dGhlIHNhbXBsZSBub25jZQ==']);
    // the same packet without the Connection token is an ordinary request, answered and closed
    const plain = await tunnel(s.port, { ...handshake, HTTP_CONNECTION: 'keep-alive' }, '');
    assert.match(plain, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nplain\n$/);
    assert.deepEqual(s.requests, ['GET /ws?room=1 1.0']);
    assert.equal(s.upgrades.length, 1);
  } finally {
    s.close();
  }
});
