import { test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { LOG_VARIABLES } from '@tsgi/config';
import { ByteLine } from './byte-line.js';
import { rawHeader } from './headers.js';
import { RENDERED_VARIABLES, compileJsonLine, compileLogFormat, type Exchange, type LineTemplate } from './request-format.js';

test("every variable the config accepts is rendered here, a number where the docs say so", () => {
  const rendered = new Map(RENDERED_VARIABLES);
  assert.deepEqual([...rendered.keys()].sort(), Object.keys(LOG_VARIABLES).sort());
  for (const [name, v] of Object.entries(LOG_VARIABLES)) assert.equal(rendered.get(name), v.kind === 'number', name);
});

/**
 * Serves one raw request on node:http and renders its lines when the response is finished,
 * as the worker does; returns the lines, the exchange and the bytes the client received.
 */
async function exchangeOf(
  raw: Buffer,
  answer: (req: IncomingMessage, res: ServerResponse) => void,
  render: ReadonlyArray<LineTemplate>,
): Promise<{ x: Exchange; lines: string[]; received: number }> {
  let resolveX!: (x: { x: Exchange; lines: string[] }) => void;
  const finished = new Promise<{ x: Exchange; lines: string[] }>((r) => (resolveX = r));
  const server = http.createServer((req, res) => {
    const t0 = performance.now();
    const before = req.socket.bytesWritten;
    res.on('finish', () => {
      const x: Exchange = {
        req,
        res,
        head: (res as unknown as { _header: string })._header,
        tx: req.socket.bytesWritten - before,
        ms: performance.now() - t0,
        end: performance.timeOrigin + performance.now(),
        core: 0,
      };
      resolveX({ x, lines: render.map((r) => written(r, x)) });
    });
    answer(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    const received = await new Promise<number>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1', () => sock.end(raw));
      let n = 0;
      sock.on('data', (d: Buffer) => (n += d.length));
      sock.on('end', () => resolve(n));
      sock.on('error', reject);
      sock.setTimeout(5000, () => reject(new Error('no answer in 5 s')));
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the response never finished (a 400 from the parser?)')), 5000)));
    const done = await Promise.race([finished, late]).finally(() => clearTimeout(timer));
    return { ...done, received };
  } finally {
    server.close();
  }
}

/** A template's line of `x`, written as bytes (as the worker does) and checked against its string. */
function written(t: LineTemplate, x: Exchange): string {
  const bound = t.measure(x);
  const out = new ByteLine(Buffer.alloc(bound));
  t.emit(out);
  const text = t.text();
  assert.equal(out.buffer.toString('latin1', 0, out.at), text, 'the bytes are the string');
  assert.ok(out.at <= bound, `within the bound measured (${out.at} <= ${bound})`);
  return text;
}

const ALL_KEYS = [...Object.keys(LOG_VARIABLES), 'var.HTTP_X_REQUEST_ID', 'var.QUERY_STRING', 'var.PATH_INFO', 'var.REMOTE_PORT', 'var.CONTENT_TYPE'];

test('a POST with a body, a non-ASCII target and header, through node:http: every variable as uWSGI means it', async () => {
  const body = 'name=caf%C3%A9';
  const head = [
    // Node's parser takes a non-ASCII target percent-encoded, as browsers and curl send it (raw bytes are a 400)
    'POST /caf%C3%A9/x?q=1 HTTP/1.1',
    'Host: example.test:8080',
    'User-Agent: probe/1.0 "quoted"',
    // a header value may carry raw UTF-8 bytes (obs-text)
    'Referer: https://example.test/d\u00e9j\u00e0',
    'X-Request-Id: abc-123',
    'Content-Type: application/x-www-form-urlencoded',
    `Content-Length: ${body.length}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  const raw = Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(body)]);
  const json = compileJsonLine(ALL_KEYS, { pid: 4242, wid: 3, xForwardedFor: false, ftime: '%Y' });
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 201;
      res.setHeader('content-type', 'text/plain');
      res.end('created\n');
    });
  };
  const { x, lines, received } = await exchangeOf(raw, answer, [json]);
  const line = lines[0]!;
  assert.ok(line.endsWith('}\n'));
  // the log is written as latin1: the file holds the client's bytes, here UTF-8
  const o = JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as Record<string, unknown>;
  const now = Date.now();
  assert.equal(o['uri'], '/caf%C3%A9/x?q=1');
  assert.equal(o['method'], 'POST');
  assert.equal(o['user'], null);
  assert.equal(o['addr'], '127.0.0.1');
  assert.equal(o['host'], 'example.test:8080');
  assert.equal(o['proto'], 'HTTP/1.1');
  assert.equal(o['uagent'], 'probe/1.0 "quoted"');
  assert.equal(o['referer'], 'https://example.test/déjà', "the client's bytes, UTF-8 in the file");
  assert.equal(o['status'], 201);
  assert.equal(o['size'], received, 'size is what the client received');
  assert.equal(o['rsize'], 'created\n'.length);
  assert.equal((o['hsize'] as number) + (o['rsize'] as number), received);
  assert.equal(o['headers'], (x.head.match(/\r\n/g)?.length ?? 0) - 2);
  assert.equal(o['cl'], body.length);
  assert.equal(o['vars'], 7);
  assert.equal(o['pktsize'], x.req.rawHeaders.join('').length);
  assert.equal(o['pid'], 4242);
  assert.equal(o['wid'], 3);
  assert.equal(o['core'], 0);
  assert.ok((o['msecs'] as number) >= 0 && (o['msecs'] as number) < 5000);
  assert.equal(o['micros'], Math.floor(x.ms * 1000));
  assert.equal(o['secs'], Number((x.ms / 1000).toFixed(6)));
  assert.ok(Math.abs((o['tmsecs'] as number) - now) < 5000 && Math.abs((o['time'] as number) - now / 1000) < 5);
  assert.equal(Math.floor((o['tmicros'] as number) / 1000), o['tmsecs']);
  assert.ok(Math.abs((o['epoch'] as number) - now / 1000) < 5);
  assert.match(o['ctime'] as string, /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
  assert.match(o['ltime'] as string, /^\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$/);
  assert.equal(o['ftime'], String(new Date(o['tmsecs'] as number).getFullYear()));
  assert.equal(o['isotime'], new Date(o['tmsecs'] as number).toISOString());
  assert.equal(o['switches'], 1);
  assert.ok((o['rss'] as number) > 1024 * 1024 && (o['vsz'] as number) >= (o['rss'] as number));
  assert.equal(o['rssM'], Math.floor((o['rss'] as number) / 1024 / 1024));
  assert.equal(o['var.HTTP_X_REQUEST_ID'], 'abc-123');
  assert.equal(o['var.QUERY_STRING'], 'q=1');
  assert.equal(o['var.PATH_INFO'], '/caf%C3%A9/x');
  assert.equal(o['var.CONTENT_TYPE'], 'application/x-www-form-urlencoded');
  assert.equal(typeof o['var.REMOTE_PORT'], 'string');
});

test('logformat: text as written, values unescaped, "-" for an empty one; %(addr) from X-Forwarded-For when asked', async () => {
  const raw = Buffer.from('GET /p HTTP/1.0\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n');
  const chunks = [{ name: 'addr' }, { text: ' "' }, { name: 'uagent' }, { text: '" 100% ' }, { name: 'status' }, { text: ' ' }, { name: 'proto' }];
  const render = [
    compileLogFormat(chunks, { pid: 1, wid: 1, xForwardedFor: false }),
    compileLogFormat(chunks, { pid: 1, wid: 1, xForwardedFor: true }),
    compileJsonLine([], { pid: 1, wid: 1, xForwardedFor: false }),
  ];
  const { lines } = await exchangeOf(raw, (_req, res) => res.end('ok'), render);
  assert.deepEqual(lines, ['127.0.0.1 "-" 100% 200 HTTP/1.0\n', '203.0.113.9 "-" 100% 200 HTTP/1.0\n', '{}\n']);
});

test("a header read from rawHeaders is what req.headers gives: the first of some, the others joined", async () => {
  const raw = Buffer.from(
    'GET / HTTP/1.1\r\nHost: a.test\r\nUser-Agent: first\r\nuser-agent: second\r\nX-Forwarded-For: 1.1.1.1\r\nx-forwarded-for: 2.2.2.2\r\nCookie: a=1\r\nCOOKIE: b=2\r\nX-Empty:\r\nConnection: close\r\n\r\n',
  );
  const { x } = await exchangeOf(raw, (_req, res) => res.end('ok'), []);
  for (const name of ['host', 'user-agent', 'x-forwarded-for', 'cookie', 'x-empty', 'referer']) {
    assert.equal(rawHeader(x.req.rawHeaders, name), x.req.headers[name], name);
  }
});
