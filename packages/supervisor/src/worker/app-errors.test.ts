import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppErrors, type AppErrorHooks } from './app-errors.js';
import { RequestScope } from './serve.js';

function hooks(policy: AppErrorHooks['policy'], current: () => RequestScope | undefined = () => undefined) {
  const seen = { lines: [] as string[], counted: 0, retired: [] as string[], exited: 0 };
  const h: AppErrorHooks = {
    id: 3,
    policy,
    current,
    log: (l) => seen.lines.push(l),
    count: () => seen.counted++,
    retire: (d) => seen.retired.push(d),
    exit: () => seen.exited++,
  };
  return { errors: new AppErrors(h), seen };
}

test('retire: every error is logged and counted, the successor is asked once', () => {
  const { errors, seen } = hooks('retire');
  errors.handle('uncaught exception', new Error('one'));
  errors.handle('unhandled rejection', 'two');
  assert.equal(seen.counted, 2);
  assert.deepEqual(seen.retired, ['uncaught exception outside any request']);
  assert.match(seen.lines[0]!, /^tsgi worker 3 \(pid: \d+\): uncaught exception outside any request: Error: one\n\s+at /);
  assert.match(seen.lines.join('\n'), /unhandled rejection outside any request: non-error value "two"/);
  assert.equal(seen.exited, 0);
});

test('keep stays; exit exits', () => {
  const keep = hooks('keep');
  keep.errors.handle('uncaught exception', new Error('x'));
  assert.deepEqual([keep.seen.counted, keep.seen.retired.length, keep.seen.exited], [1, 0, 0]);
  const exit = hooks('exit');
  exit.errors.handle('uncaught exception', new Error('x'));
  assert.deepEqual([exit.seen.counted, exit.seen.retired.length, exit.seen.exited], [1, 0, 1]);
});

test('the request the error came from is named and answered 500', async () => {
  let errors: AppErrors | undefined;
  let seen: { lines: string[] } | undefined;
  const server = http.createServer((_req, res) => {
    res.setHeader('x-app', 'half-built');
    const scope = new RequestScope(res);
    ({ errors, seen } = hooks('keep', () => scope));
    errors.handle('uncaught exception', new Error('in a timer'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/p?q=1`);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-app'), null);
    assert.equal(await res.text(), 'Internal Server Error\n');
    assert.match(seen!.lines[0]!, /uncaught exception in GET \/p\?q=1: Error: in a timer/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
