import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadUwsgiRequest, encodeUwsgiPacket, parseUwsgiPacket, requestHead } from './uwsgi.js';

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
