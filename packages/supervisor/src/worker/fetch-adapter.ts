import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FetchHandler, NodeHandler } from './load-app.js';

/**
 * Serves a WHATWG fetch handler from Node's http server: the request becomes
 * a `Request` (the body streamed, not buffered), the `Response` is written
 * back with its status, headers (several Set-Cookie kept apart) and streamed body.
 * A client that goes away aborts `Request.signal` and cancels the response body,
 * so the handler's upstream streams and subscriptions are released.
 */
export function fetchToNode(handler: FetchHandler): NodeHandler {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const response = await handler(toRequest(req, res));
    await writeResponse(response, res);
  };
}

function toRequest(req: IncomingMessage, res: ServerResponse): Request {
  const host = req.headers.host ?? 'localhost';
  const url = `http://${host}${req.url ?? '/'}`;
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const method = req.method ?? 'GET';
  const aborted = new AbortController();
  // 'close' before the response finished: the client is gone (or the response was cut)
  res.once('close', () => {
    if (!res.writableFinished) aborted.abort(new Error('the client closed the connection'));
  });
  const init: RequestInit & { duplex?: 'half' } = { method, headers, signal: aborted.signal };
  if (method !== 'GET' && method !== 'HEAD') {
    init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  return new Request(url, init);
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: [string, string][] = [];
  response.headers.forEach((value, key) => {
    if (key !== 'set-cookie') headers.push([key, value]);
  });
  for (const cookie of response.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [k, v] of headers) res.appendHeader(k, v);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  let closed = res.destroyed;
  // A stream that produces rarely (server-sent events) would otherwise learn of the
  // closed client only at its next chunk: cancelling ends the pending read now.
  const onClose = (): void => {
    closed = true;
    reader.cancel().catch(() => undefined);
  };
  res.once('close', onClose);
  try {
    while (!closed) {
      const { done, value } = await reader.read();
      if (done || closed) break;
      if (!res.write(value) && !(await drained(res))) break;
    }
  } finally {
    res.off('close', onClose);
  }
  if (closed) {
    await reader.cancel().catch(() => undefined);
    return;
  }
  res.end();
}

/** Resolves true on 'drain', false when the response closes first (then 'drain' never comes). */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off('drain', onDrain);
      res.off('close', onEnd);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onEnd = (): void => done(false);
    res.once('drain', onDrain);
    res.once('close', onEnd);
  });
}
