import http, { type IncomingMessage } from 'node:http';
import net from 'node:net';

/**
 * `limit-post`, the largest request body. uWSGI checks only the declared CONTENT_LENGTH and
 * drops the request without an answer; tsgi answers 413, and bounds chunked bodies too:
 *
 * - a Content-Length above the limit is answered before the app is called, and with
 *   `Expect: 100-continue` without the 100 that would make the client send the body;
 * - a body without one is counted as the parser hands it over: past the limit no byte
 *   reaches the app (not even its end), and the request is ended: 413 if nothing was sent
 *   yet, else its connection is cut. An app that had answered already keeps its answer.
 *
 * After a 413 the connection closes: the rest of the body never reaches the app and is not
 * waited for. A client may still be writing it, though, and a socket closed with bytes
 * unread makes the kernel send a reset that can reach the client before it has read the 413
 * (Node's own client then reports EPIPE). So, as nginx's lingering close, the connection is
 * shut for writing after the 413 and what still arrives is dropped for at most LINGER_MS.
 */

/** How long a connection refused for its body keeps dropping what arrives after the 413. */
export const LINGER_MS = 2000;

/** True when the request declares a body longer than `limit` bytes (0: no limit). */
export function declaresTooMuch(req: IncomingMessage, limit: number): boolean {
  // req.headers is built on first use: without limit-post, a request never pays for it here
  if (limit <= 0) return false;
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) > limit;
}

/** A request whose body the app gets no more of. */
const refused = new WeakSet<IncomingMessage>();

/** From now on the request's body bytes are dropped, its end too. */
export function dropBody(req: IncomingMessage): void {
  refused.add(req);
}

/**
 * The request class of a server with a body limit: it counts the body bytes the HTTP parser
 * pushes and, once they pass `limit`, calls `over` once with the request. The bytes of a
 * request past its limit, or refused (dropBody), are dropped and the connection read on, so
 * that it can linger.
 */
export function boundedRequestClass(limit: number, over: (req: IncomingMessage) => void): typeof http.IncomingMessage {
  return class BoundedRequest extends http.IncomingMessage {
    private bodyBytes = 0;

    override push(chunk: unknown, encoding?: BufferEncoding): boolean {
      // past the limit not even the end goes through: the app must not take a cut body for a whole one
      if (refused.has(this)) return true;
      if (chunk === null) return super.push(chunk, encoding);
      this.bodyBytes += Buffer.isBuffer(chunk) ? chunk.length : Buffer.byteLength(String(chunk));
      if (this.bodyBytes <= limit) return super.push(chunk, encoding);
      dropBody(this);
      over(this);
      return true;
    }
  };
}

/**
 * The lingering close of a connection whose response is its last: when Node closes it after
 * that response (`destroySoon`, which http.Server calls then), the write side is shut and the
 * socket destroyed once the client has closed too, or after LINGER_MS.
 */
export function lingerOnClose(socket: unknown): void {
  if (!(socket instanceof net.Socket)) return;
  socket.destroySoon = function (this: net.Socket): void {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
  };
}
