import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publicVars } from './collect.js';

test('request vars keep the request line and harmless headers, never credentials', () => {
  const vars = [
    'REQUEST_METHOD=GET',
    'PATH_INFO=/slow',
    'REQUEST_URI=/slow?a=1',
    'QUERY_STRING=a=1',
    'SERVER_PROTOCOL=HTTP/1.1',
    'REMOTE_ADDR=127.0.0.1',
    'HTTP_HOST=example.com',
    'HTTP_USER_AGENT=curl/8',
    'HTTP_COOKIE=session=SECRET',
    'HTTP_AUTHORIZATION=Bearer SECRET',
    'HTTP_PROXY_AUTHORIZATION=Basic SECRET',
    'HTTP_X_API_KEY=SECRET',
    'HTTP_X_AUTH_TOKEN=SECRET',
    'HTTP_X_CSRF_TOKEN=SECRET',
    'http_host=lower',
    'NOEQUALS',
    '',
  ];
  const kept = publicVars(vars);
  assert.deepEqual(kept, [...vars.slice(0, 8), '']);
  assert.ok(!kept.join('\n').includes('SECRET'));
  assert.deepEqual(publicVars([]), ['']);
});
