import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { AsyncLocalStorage } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_LIMITS, type WorkerLimits } from '../protocol.js';
import { Accounting } from './accounting.js';
import { DRAIN_SPREAD_MS, drainClosesDue, RequestScope, WorkerServer } from './serve.js';
import { encodeUwsgiPacket } from './uwsgi.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** A WorkerServer fed by a listener on an ephemeral 127.0.0.1 port, as a worker's inherited socket would. */
async function serve(handler: Handler, limits: Partial<WorkerLimits> = {}, proto: 'http' | 'uwsgi' = 'http', now?: () => number) {
  const acct = new Accounting(1);
  const lines: string[] = [];
  const ws = new WorkerServer(handler, acct, () => undefined, () => undefined, {
    limits: { ...DEFAULT_LIMITS, ...limits },
    log: (l) => lines.push(l),
    ...(now ? { now } : {}),
  });
  const sockets = new Set<net.Socket>();
  const listener = net.createServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    ws.accept(s, proto, 'test');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;
  const close = (): void => {
    listener.close();
    for (const s of sockets) s.destroy();
  };
  return { port, ws, acct, lines, close };
}

interface Exchange {
  data: string;
  /** ms from connect until the server closed the connection; undefined if it stayed open until `ms` */
  closedAfter: number | undefined;
}

/** Sends `bytes` (then `later` pieces every `every` ms) and collects the answer until the server closes, bounded by `ms`. */
function exchange(port: number, bytes: string | Buffer, ms: number, drip?: { every: number; piece: string }): Promise<Exchange> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(bytes);
      if (drip) timer = setInterval(() => s.writable && s.write(drip.piece), drip.every);
    });
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('error', () => undefined);
    const bound = setTimeout(() => {
      clearInterval(timer);
      s.destroy();
      resolve({ data, closedAfter: undefined });
    }, ms);
    s.on('close', () => {
      clearTimeout(bound);
      clearInterval(timer);
      resolve({ data, closedAfter: Date.now() - t0 });
    });
  });
}

const hello: Handler = (_req, res) => void res.end('hello\n');

test('a request head that does not arrive within socket-timeout gets 408; the server goes on', async () => {
  const s = await serve(hello, { headMs: 300 });
  try {
    const slow = await exchange(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 5000);
    assert.ok(slow.closedAfter !== undefined && slow.closedAfter < 2000, `closed after ${slow.closedAfter} ms`);
    assert.match(slow.data, /^HTTP\/1\.1 408 /);
    const ok = await exchange(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2000);
    assert.match(ok.data, /^HTTP\/1\.1 200 [^]*hello\n$/);
  } finally {
    s.close();
  }
});

test('a head dripped a byte at a time still has to arrive within socket-timeout', async () => {
  const s = await serve(hello, { headMs: 400 });
  try {
    const slow = await exchange(s.port, 'GET / HTTP/1.1\r\n', 5000, { every: 50, piece: 'X' });
    assert.ok(slow.closedAfter !== undefined && slow.closedAfter < 2500, `closed after ${slow.closedAfter} ms`);
    assert.match(slow.data, /^HTTP\/1\.1 408 /);
  } finally {
    s.close();
  }
});

test('a body that does not arrive within body-read-timeout gets 408', async () => {
  const s = await serve(
    (req, res) => {
      req.resume();
      req.on('end', () => res.end('got it\n'));
    },
    { headMs: 200, bodyMs: 600 },
  );
  try {
    const slow = await exchange(s.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc', 5000, { every: 100, piece: 'a' });
    assert.ok(slow.closedAfter !== undefined && slow.closedAfter < 3000, `closed after ${slow.closedAfter} ms`);
    assert.match(slow.data, /^HTTP\/1\.1 408 /);
  } finally {
    s.close();
  }
});

const readBody: Handler = (req, res) => {
  let n = 0;
  req.on('data', (d: Buffer) => (n += d.length));
  req.on('end', () => res.end(`got ${n}\n`));
};

test('a body that stops arriving for socket-timeout while the app reads it gets 408; one that keeps coming is served', async () => {
  const s = await serve(readBody, { headMs: 400, bodyMs: 0 });
  try {
    const stalled = await exchange(s.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc', 5000);
    assert.ok(stalled.closedAfter !== undefined && stalled.closedAfter < 2000, `closed after ${stalled.closedAfter} ms`);
    assert.match(stalled.data, /^HTTP\/1\.1 408 /);
    assert.match(s.lines.join('\n'), /timeout reading the body of POST \/ \(no byte for 0\.4 s\): 408/);
    const dripped = await exchange(s.port, 'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 12\r\n\r\n', 5000, { every: 150, piece: 'a' });
    assert.match(dripped.data, /^HTTP\/1\.1 200 [^]*got 12\n$/);
  } finally {
    s.close();
  }
});

test('uwsgi: a body that stops arriving for socket-timeout gets 408', async () => {
  const s = await serve(readBody, { headMs: 400, bodyMs: 0 }, 'uwsgi');
  try {
    const packet = encodeUwsgiPacket({ REQUEST_METHOD: 'POST', REQUEST_URI: '/', CONTENT_LENGTH: '10' });
    const stalled = await exchange(s.port, Buffer.concat([packet, Buffer.from('abc')]), 5000);
    assert.ok(stalled.closedAfter !== undefined && stalled.closedAfter < 2000, `closed after ${stalled.closedAfter} ms`);
    assert.match(stalled.data, /^HTTP\/1\.1 408 /);
  } finally {
    s.close();
  }
});

test('http-keepalive = 0 closes every connection after its response', async () => {
  const s = await serve(hello, { keepAliveMs: 0 });
  try {
    const r = await exchange(s.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 2000);
    assert.match(r.data, /^HTTP\/1\.1 200 [^]*Connection: close/i);
    assert.ok(r.closedAfter !== undefined);
  } finally {
    s.close();
  }
});

/** A keep-alive client connection: one GET at a time, each answer read whole (by its Content-Length); resolves its head. */
async function keepAliveClient(port: number) {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await new Promise((r) => s.once('connect', r));
  let buf = '';
  let waiting: ((head: string) => void) | undefined;
  s.on('data', (d) => {
    buf += d.toString('latin1');
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0 || !waiting) return;
    const head = buf.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    if (buf.length < end + 4 + length) return;
    buf = buf.slice(end + 4 + length);
    const w = waiting;
    waiting = undefined;
    w(head);
  });
  return {
    socket: s,
    get: () =>
      new Promise<string>((resolve) => {
        waiting = resolve;
        s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      }),
  };
}

test('drainClosesDue: one close at once, then evenly over the spread, then every one', () => {
  assert.equal(drainClosesDue(0, 16), 1);
  assert.equal(drainClosesDue(DRAIN_SPREAD_MS / 2, 16), 9);
  assert.equal(drainClosesDue(DRAIN_SPREAD_MS - 1, 16), 16);
  assert.equal(drainClosesDue(DRAIN_SPREAD_MS, 16), Infinity);
  assert.equal(drainClosesDue(0, 0), 1);
});

test('a drain closes its keep-alive connections one after another over the spread, not all on their next response', { timeout: 10_000 }, async () => {
  let now = 1000;
  const s = await serve(hello, {}, 'http', () => now);
  const clients = await Promise.all([1, 2, 3, 4].map(() => keepAliveClient(s.port)));
  try {
    for (const c of clients) assert.doesNotMatch(await c.get(), /connection: close/i);
    const drained = s.ws.drain();
    const open = new Set(clients);
    /** one request on every connection still open; how many of the answers closed theirs */
    const round = async (): Promise<number> => {
      const heads = await Promise.all([...open].map(async (c) => [c, await c.get()] as const));
      let closed = 0;
      for (const [c, head] of heads) {
        assert.match(head, /^HTTP\/1\.1 200 /);
        if (/connection: close/i.test(head)) (closed++, open.delete(c));
      }
      return closed;
    };
    assert.equal(await round(), 1, 'at the drain: one connection closes, three keep going');
    assert.equal(await round(), 0, 'no time has passed: none more');
    now += DRAIN_SPREAD_MS / 2;
    assert.equal(await round(), 2, 'half the spread: three of the four in all');
    now += DRAIN_SPREAD_MS / 2;
    assert.equal(await round(), 1, 'the spread is over: the last one');
    await drained;
    assert.equal(s.ws.connectionCount, 0);
  } finally {
    for (const c of clients) c.socket.destroy();
    s.close();
  }
});

test('a drain without spread (a shutdown, a worker recycling itself), or told to stop spreading, closes every connection on its next response', { timeout: 10_000 }, async () => {
  for (const how of ['no spread', 'closeEvery'] as const) {
    const s = await serve(hello, {}, 'http', () => 1000);
    const clients = await Promise.all([1, 2, 3].map(() => keepAliveClient(s.port)));
    try {
      for (const c of clients) assert.doesNotMatch(await c.get(), /connection: close/i);
      const drained = s.ws.drain(how === 'closeEvery');
      if (how === 'closeEvery') s.ws.closeEvery();
      const heads = await Promise.all(clients.map((c) => c.get()));
      assert.deepEqual(heads.map((h) => /connection: close/i.test(h)), [true, true, true], how);
      await drained;
    } finally {
      for (const c of clients) c.socket.destroy();
      s.close();
    }
  }
});

test('past max-conn a connection is answered 503 and closed; the ones already open are served', async () => {
  const s = await serve(hello, { maxConnections: 2 });
  const held: net.Socket[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const c = net.connect(s.port, '127.0.0.1');
      c.on('error', () => undefined);
      await new Promise((r) => c.once('connect', r));
      held.push(c);
    }
    await new Promise((r) => setTimeout(r, 50));
    const third = await exchange(s.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 2000);
    assert.match(third.data, /^HTTP\/1\.1 503 /);
    assert.match(s.lines.join('\n'), /max-conn \(2\) reached/);
    const answer = new Promise<string>((resolve) => {
      let d = '';
      held[0]!.on('data', (b) => {
        d += b.toString();
        if (d.includes('hello')) resolve(d);
      });
    });
    held[0]!.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(await answer, /^HTTP\/1\.1 200 /);
  } finally {
    for (const c of held) c.destroy();
    s.close();
  }
});

test('harakiri with a free loop: the old request alone gets 504, its neighbours are served', async () => {
  const s = await serve(
    (req, res) => {
      if (req.url === '/hang') return; // never answers
      if (req.url === '/slow') {
        setTimeout(() => res.end('slow done\n'), 200);
        return;
      }
      res.end('hello\n');
    },
    { harakiriMs: 500 },
  );
  try {
    const hang = exchange(s.port, 'GET /hang HTTP/1.1\r\nHost: x\r\n\r\n', 5000);
    const slow = exchange(s.port, 'GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 5000);
    const hung = await hang;
    assert.match(hung.data, /^HTTP\/1\.1 504 [^]*Connection: close[^]*Gateway Timeout\n$/);
    assert.ok(hung.closedAfter !== undefined && hung.closedAfter < 2000, `closed after ${hung.closedAfter} ms`);
    assert.match((await slow).data, /slow done/);
    assert.match(s.lines.join('\n'), /HARAKIRI ON REQUEST GET \/hang/);
    assert.equal(s.ws.harakiris, 1);
    const after = await exchange(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2000);
    assert.match(after.data, /hello/);
  } finally {
    s.close();
  }
});

test('harakiri cuts a request whose answer had begun, and a write after that is harmless', async () => {
  let late: (() => void) | undefined;
  const s = await serve(
    (_req, res) => {
      res.write('partial ');
      late = () => res.write('too late');
    },
    { harakiriMs: 300 },
  );
  try {
    const r = await exchange(s.port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 3000);
    assert.match(r.data, /^HTTP\/1\.1 200 [^]*partial/);
    assert.ok(r.closedAfter !== undefined && r.closedAfter < 2000);
    late?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    s.close();
  }
});

test('uwsgi: a reset before the packet is complete is harmless', async () => {
  const s = await serve(hello, {}, 'uwsgi');
  try {
    for (const bytes of [Buffer.alloc(0), Buffer.from([0]), encodeUwsgiPacket({ REQUEST_METHOD: 'GET' }).subarray(0, 9)]) {
      const c = net.connect(s.port, '127.0.0.1');
      c.on('error', () => undefined);
      await new Promise((r) => c.once('connect', r));
      if (bytes.length) c.write(bytes);
      await new Promise((r) => setTimeout(r, 30));
      c.resetAndDestroy();
    }
    await new Promise((r) => setTimeout(r, 100));
    const ok = await exchange(s.port, encodeUwsgiPacket({ REQUEST_METHOD: 'GET', REQUEST_URI: '/' }), 2000);
    assert.match(ok.data, /^HTTP\/1\.1 200 [^]*hello\n$/);
  } finally {
    s.close();
  }
});

test('uwsgi: a packet slower than socket-timeout is closed; the connection counts until then', async () => {
  const s = await serve(hello, { headMs: 300 }, 'uwsgi');
  try {
    const pending = exchange(s.port, Buffer.from([0, 200]), 5000);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(s.ws.connectionCount, 1);
    const r = await pending;
    assert.ok(r.closedAfter !== undefined && r.closedAfter < 2000, `closed after ${r.closedAfter} ms`);
    assert.equal(r.data, '');
  } finally {
    s.close();
  }
});

test('uwsgi: a packet dripped a byte at a time still has to arrive within socket-timeout', async () => {
  const s = await serve(hello, { headMs: 400 }, 'uwsgi');
  try {
    const r = await exchange(s.port, Buffer.from([0, 0xff, 0xff, 0]), 5000, { every: 50, piece: 'x' });
    assert.ok(r.closedAfter !== undefined && r.closedAfter < 2500, `closed after ${r.closedAfter} ms`);
  } finally {
    s.close();
  }
});

test('an adopted connection (cheap mode, the router) is read with the protocol of its listener', async () => {
  const s = await serve(hello);
  const up = net.createServer((c) => {
    c.pause();
    s.ws.adopt(c, 'uwsgi');
  });
  await new Promise<void>((resolve) => up.listen(0, '127.0.0.1', resolve));
  try {
    const r = await exchange((up.address() as net.AddressInfo).port, encodeUwsgiPacket({ REQUEST_METHOD: 'GET', REQUEST_URI: '/' }), 2000);
    assert.match(r.data, /^HTTP\/1\.1 200 [^]*hello\n$/);
  } finally {
    up.close();
    s.close();
  }
});

test('uwsgi: keys, method and URI outside their grammar get 400, so no header rides in through a var', async () => {
  const seen: string[] = [];
  const s = await serve(
    (req, res) => {
      seen.push(JSON.stringify(req.headers));
      res.end('served\n');
    },
    {},
    'uwsgi',
  );
  try {
    const bad: Record<string, string>[] = [
      { REQUEST_METHOD: 'GET', REQUEST_URI: '/', 'HTTP_X: y\r\nCONNECTION': 'keep-alive' },
      { REQUEST_METHOD: 'GET', REQUEST_URI: '/a HTTP/1.0\r\nx-injected: 1\r\n' },
      { REQUEST_METHOD: 'GET\r\nX: 1', REQUEST_URI: '/' },
      { REQUEST_METHOD: 'G T', REQUEST_URI: '/' },
      { REQUEST_METHOD: 'GET', REQUEST_URI: '/\0' },
      { REQUEST_METHOD: 'GET', REQUEST_URI: '/', 'HTTP_X\0': '1' },
    ];
    for (const vars of bad) {
      const r = await exchange(s.port, encodeUwsgiPacket(vars), 3000);
      assert.match(r.data, /^HTTP\/1\.0 400 /, JSON.stringify(vars));
      assert.ok(r.closedAfter !== undefined);
    }
    assert.deepEqual(seen, []);
    assert.equal(s.lines.filter((l) => /bad uwsgi request on test/.test(l)).length, bad.length);
    const ok = await exchange(s.port, encodeUwsgiPacket({ REQUEST_METHOD: 'GET', REQUEST_URI: '/', HTTP_X_A: 'b\r\nc: d' }), 2000);
    assert.match(ok.data, /served/);
    assert.doesNotMatch(seen[0]!, /"c"/);
  } finally {
    s.close();
  }
});

test('an app throw after its response ended leaves that response alone', async () => {
  const s = await serve((_req, res) => {
    res.end('done\n');
    throw new Error('late');
  });
  try {
    const r = await exchange(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2000);
    assert.match(r.data, /^HTTP\/1\.1 200 [^]*done\n$/);
    assert.equal(s.acct.exceptions, 1);
  } finally {
    s.close();
  }
});

test('buffer-size: a longer request head gets 431 and its connection closes; the server goes on', async () => {
  const s = await serve(hello, { maxHeadBytes: 2048 });
  try {
    const big = await exchange(s.port, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(3000)}\r\n\r\n`, 5000);
    assert.match(big.data, /^HTTP\/1\.1 431 /);
    assert.ok(big.closedAfter !== undefined, 'the connection is closed');
    const fits = await exchange(s.port, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(1500)}\r\nConnection: close\r\n\r\n`, 5000);
    assert.match(fits.data, /^HTTP\/1\.1 200 [^]*hello\n$/);
  } finally {
    s.close();
  }
});

test('buffer-size: a uwsgi packet whose vars make a longer head gets 431', async () => {
  const s = await serve(hello, { maxHeadBytes: 2048 }, 'uwsgi');
  try {
    const vars = { REQUEST_METHOD: 'GET', REQUEST_URI: '/', HTTP_HOST: 'x' };
    const big = await exchange(s.port, encodeUwsgiPacket({ ...vars, HTTP_COOKIE: 'c'.repeat(3000) }), 5000);
    assert.match(big.data, /^HTTP\/1\.1 431 /);
    const fits = await exchange(s.port, encodeUwsgiPacket({ ...vars, HTTP_COOKIE: 'c'.repeat(1500) }), 5000);
    assert.match(fits.data, /^HTTP\/1\.[01] 200 [^]*hello\n$/);
  } finally {
    s.close();
  }
});

/** An app that reads the whole body and answers with its length; `calls` counts the requests it saw. */
function bodyCounter(): { handler: Handler; calls: number; ends: number } {
  const state = {
    calls: 0,
    ends: 0,
    handler: (req: IncomingMessage, res: ServerResponse) => {
      state.calls++;
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => {
        state.ends++;
        res.end(`got ${n}\n`);
      });
    },
  };
  return state;
}

test('limit-post: a declared body over the limit gets 413 before the app, and the body at the limit is served', async () => {
  const app = bodyCounter();
  const s = await serve(app.handler, { maxBodyBytes: 1000 });
  try {
    const over = await exchange(s.port, `POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n${'x'.repeat(64 * 1024)}`, 5000);
    assert.match(over.data, /^HTTP\/1\.1 413 [^]*Payload Too Large\n$/);
    assert.ok(over.closedAfter !== undefined, 'the connection is closed, the rest never read');
    assert.equal(app.calls, 0, 'the app never saw it');
    assert.match(s.lines.join('\n'), /the body of POST \/up is over limit-post \(1000 bytes\): 413/);
    const at = await exchange(s.port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n${'x'.repeat(1000)}`, 5000);
    assert.match(at.data, /^HTTP\/1\.1 200 [^]*got 1000\n$/);
  } finally {
    s.close();
  }
});

test('limit-post: with Expect: 100-continue a body over the limit gets 413 and no 100; one within gets its 100', async () => {
  const app = bodyCounter();
  const s = await serve(app.handler, { maxBodyBytes: 1000 });
  try {
    const over = await exchange(s.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n', 5000);
    assert.match(over.data, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(over.data, /100 Continue/);
    const within = await new Promise<string>((resolve) => {
      let data = '';
      const c = net.connect(s.port, '127.0.0.1', () => c.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n'));
      c.on('data', (d) => {
        data += d.toString('latin1');
        if (/100 Continue\r\n\r\n$/.test(data)) c.write('0123456789');
      });
      c.on('close', () => resolve(data));
      setTimeout(() => c.destroy(), 5000);
    });
    assert.match(within, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 [^]*got 10\n$/);
  } finally {
    s.close();
  }
});

test('limit-post: a chunked body is cut at the limit; the app never sees its end, and the server goes on', async () => {
  const app = bodyCounter();
  const s = await serve(app.handler, { maxBodyBytes: 1000 });
  try {
    const chunk = `200\r\n${'y'.repeat(0x200)}\r\n`;
    const over = await exchange(s.port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(8)}0\r\n\r\n`, 5000);
    assert.match(over.data, /^HTTP\/1\.1 413 /);
    assert.ok(over.closedAfter !== undefined);
    assert.equal(app.calls, 1);
    assert.equal(app.ends, 0, 'a cut body never ends as if whole');
    const small = await exchange(s.port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunk}0\r\n\r\n`, 5000);
    assert.match(small.data, /^HTTP\/1\.1 200 [^]*got 512\n$/);
  } finally {
    s.close();
  }
});

test("an async resource the app leaves behind does not keep the request's response alive (the context's store lets it go)", async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const context = new AsyncLocalStorage<RequestScope>();
  let response: WeakRef<ServerResponse> | undefined;
  let scope: RequestScope | undefined;
  const ws = new WorkerServer(
    (_req, res) => {
      response = new WeakRef(res);
      scope = context.getStore();
      // made in the request's context, outliving it, as Node's own keep-alive timer does
      setTimeout(() => undefined, 60_000).unref();
      res.end('hello\n');
    },
    new Accounting(1),
    () => undefined,
    () => undefined,
    { context },
  );
  const listener = net.createServer((s) => ws.accept(s, 'http', 'test'));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  try {
    const got = await exchange((listener.address() as net.AddressInfo).port, 'GET /p?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 5000);
    assert.match(got.data, /hello\n$/);
    for (let i = 0; i < 50 && scope?.res !== undefined; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual([scope?.res, scope?.method, scope?.url], [undefined, 'GET', '/p?q=1'], 'the scope names the request, without its response');
    // a full collection: the response goes unless something still holds it
    await new Promise((r) => setImmediate(r));
    gc();
    assert.equal(response?.deref(), undefined, 'the response outlived its request');
  } finally {
    listener.close();
  }
});
