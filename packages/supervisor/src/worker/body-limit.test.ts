import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { declaresTooMuch } from './body-limit.js';

/** A request whose `headers` counts its uses (Node builds the object from rawHeaders on the first one). */
function requestWith(contentLength: string | undefined): { req: IncomingMessage; reads: () => number } {
  let reads = 0;
  const req = {
    get headers() {
      reads++;
      return contentLength === undefined ? {} : { 'content-length': contentLength };
    },
  } as unknown as IncomingMessage;
  return { req, reads: () => reads };
}

test('a body declared over limit-post is too much; at or under it, or undeclared, it is not', () => {
  assert.equal(declaresTooMuch(requestWith('1001').req, 1000), true);
  assert.equal(declaresTooMuch(requestWith('1000').req, 1000), false);
  assert.equal(declaresTooMuch(requestWith(undefined).req, 1000), false);
});

test('without limit-post the request headers are never built', () => {
  const r = requestWith('99999999');
  assert.equal(declaresTooMuch(r.req, 0), false);
  assert.equal(r.reads(), 0);
});
