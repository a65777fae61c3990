import assert from 'node:assert/strict';
import { test } from 'node:test';
import { corsOrigin, hostAllowed, originAllowed, type HttpAccess } from './access.js';

const none: HttpAccess = { cors: undefined, allowHosts: [], boundHost: '' };

test('Host: IPs, localhost, the bound name and configured names pass; other names are refused', () => {
  for (const h of [undefined, '127.0.0.1:9191', '10.0.0.11:9191', '[::1]:9191', 'localhost:9191', 'LOCALHOST', 'app.localhost:1']) {
    assert.equal(hostAllowed(h, none), true, String(h));
  }
  for (const h of ['evil.example:9191', 'x', '', '127.0.0.1.evil.example', 'localhost.evil.example', 'x@127.0.0.1', '127.0.0.1/evil', '127.0.0.1 evil']) assert.equal(hostAllowed(h, none), false, h);
  assert.equal(hostAllowed('stats.internal:9191', { ...none, boundHost: 'stats.internal' }), true);
  assert.equal(hostAllowed('Dash.Example', { ...none, allowHosts: ['dash.example'] }), true);
  assert.equal(hostAllowed('anything', { ...none, allowHosts: ['*'] }), true);
});

test('Origin: none, the same host and port, or the configured origin', () => {
  assert.equal(originAllowed(undefined, '127.0.0.1:9191', undefined), true);
  assert.equal(originAllowed('http://127.0.0.1:9191', '127.0.0.1:9191', undefined), true);
  assert.equal(originAllowed('http://127.0.0.1:8080', '127.0.0.1:9191', undefined), false);
  assert.equal(originAllowed('http://evil.example', '127.0.0.1:9191', undefined), false);
  assert.equal(originAllowed('null', '127.0.0.1:9191', undefined), false);
  assert.equal(originAllowed('https://dash.example', '127.0.0.1:9191', 'https://dash.example/'), true);
  assert.equal(originAllowed('https://other.example', '127.0.0.1:9191', 'https://dash.example'), false);
  assert.equal(originAllowed('https://other.example', '127.0.0.1:9191', '*'), true);
});

test('stats-http-cors is sent as an origin, or not at all', () => {
  assert.equal(corsOrigin('*'), '*');
  assert.equal(corsOrigin('https://Dash.example/'), 'https://dash.example');
  assert.equal(corsOrigin('http://127.0.0.1:3000/path'), 'http://127.0.0.1:3000');
  for (const bad of ['dash.example', 'file:///x', 'null', 'https://a b']) assert.equal(corsOrigin(bad), undefined, bad);
});
