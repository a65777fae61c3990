import { Duplex } from 'node:stream';
import type net from 'node:net';

/**
 * The uwsgi binary protocol (what nginx's `uwsgi_pass` with `include
 * uwsgi_params;` speaks): a 4-byte header — modifier1 (0 for a request),
 * the size of the vars block (u16 little-endian), modifier2 — then the vars
 * as u16-length-prefixed key/value pairs, then the body (CONTENT_LENGTH
 * bytes). The response is plain HTTP.
 *
 * A request is turned into an HTTP/1.0 request head and handed, with the
 * rest of the connection, to the worker's one http.Server as a Duplex: the
 * app sees an ordinary request, and the response goes back as it is, closed
 * after the body (uwsgi is one request per connection).
 *
 * An Upgrade (a WebSocket handshake) is the exception: nginx's uwsgi module
 * sends the client's Upgrade and Connection headers as HTTP_UPGRADE and
 * HTTP_CONNECTION, and turns the connection into a raw tunnel when the
 * answer is 101 (since nginx 1.3.14). Such a request becomes an HTTP/1.1
 * head with `connection: upgrade`, so the http.Server emits 'upgrade' and
 * the app's WebSocket library gets the connection as a socket of its own.
 */

export type UwsgiVars = Map<string, string>;

/** Parses one uwsgi packet at the start of `buf`: its vars and the bytes it used, or undefined if incomplete. */
export function parseUwsgiPacket(buf: Buffer): { vars: UwsgiVars; used: number } | undefined {
  if (buf.length < 4) return undefined;
  const modifier1 = buf[0]!;
  const size = buf.readUInt16LE(1);
  if (modifier1 !== 0) throw new Error(`uwsgi modifier1 ${modifier1} is not a request (tsgi serves modifier1 0)`);
  if (buf.length < 4 + size) return undefined;
  const vars: UwsgiVars = new Map();
  let i = 4;
  const end = 4 + size;
  while (i < end) {
    if (i + 2 > end) throw new Error('uwsgi vars block truncated');
    const klen = buf.readUInt16LE(i);
    i += 2;
    const key = buf.toString('latin1', i, i + klen);
    i += klen;
    if (i + 2 > end) throw new Error('uwsgi vars block truncated');
    const vlen = buf.readUInt16LE(i);
    i += 2;
    const value = buf.toString('latin1', i, i + vlen);
    i += vlen;
    if (i > end) throw new Error('uwsgi vars block truncated');
    vars.set(key, value);
  }
  return { vars, used: end };
}

/** Encodes vars as a uwsgi request packet (for clients and tests). */
export function encodeUwsgiPacket(vars: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(vars)) {
    const kb = Buffer.from(k, 'latin1');
    const vb = Buffer.from(v, 'latin1');
    const head = Buffer.alloc(2);
    head.writeUInt16LE(kb.length);
    const vhead = Buffer.alloc(2);
    vhead.writeUInt16LE(vb.length);
    parts.push(head, kb, vhead, vb);
  }
  const body = Buffer.concat(parts);
  const header = Buffer.from([0, body.length & 0xff, body.length >> 8, 0]);
  return Buffer.concat([header, body]);
}

/** A uwsgi request that parsed but cannot be served: answered 400, then closed. */
export class BadUwsgiRequest extends Error {}

// RFC 9110 token: what a method or a header name may hold. Anything else in a key could
// end the synthesized header line early and smuggle a header of its own past the filter.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Controls, space and DEL would split or end the request line.
const BAD_URI = /[\x00-\x20\x7f]/;
// A value holding these cannot be one header line: the var is dropped, as nginx never sends them.
const BAD_VALUE = /[\r\n\0]/;

/**
 * Whether the client asked nginx for a protocol switch the app has to serve: an
 * Upgrade header, and `upgrade` among the Connection tokens (without it the header
 * asks for nothing, RFC 9110, 7.8). Not in an HTTP/1.0 request (the same section:
 * a server must ignore it there), and not `h2c`, which a server may ignore and
 * answer in HTTP/1.1 (`curl --http2` asks for it on every request).
 */
export function asksUpgrade(vars: UwsgiVars): boolean {
  const upgrade = vars.get('HTTP_UPGRADE');
  if (!upgrade || BAD_VALUE.test(upgrade) || /^\s*h2c\s*$/i.test(upgrade)) return false;
  if (vars.get('SERVER_PROTOCOL') === 'HTTP/1.0') return false;
  const connection = vars.get('HTTP_CONNECTION') ?? '';
  return connection.split(',').some((token) => token.trim().toLowerCase() === 'upgrade');
}

/**
 * The HTTP request head a uwsgi request stands for; throws BadUwsgiRequest for bytes
 * outside the grammar. HTTP/1.0, so that the response ends with the connection, as
 * uwsgi's one request per connection wants, never chunked nor kept alive. An Upgrade
 * is HTTP/1.1 with `connection: upgrade` (a WebSocket handshake must be at least
 * HTTP/1.1, RFC 6455, 4.1); the client's own Connection header never passes, its
 * other tokens are about its hop to nginx.
 */
export function requestHead(vars: UwsgiVars): string {
  const method = vars.get('REQUEST_METHOD') || 'GET';
  const query = vars.get('QUERY_STRING');
  const uri = vars.get('REQUEST_URI') || `${vars.get('PATH_INFO') || '/'}${query ? `?${query}` : ''}`;
  if (!TOKEN.test(method)) throw new BadUwsgiRequest(`invalid REQUEST_METHOD ${JSON.stringify(method.slice(0, 40))}`);
  if (BAD_URI.test(uri)) throw new BadUwsgiRequest(`invalid bytes in the request URI ${JSON.stringify(uri.slice(0, 80))}`);
  const upgrade = asksUpgrade(vars);
  const lines = [`${method} ${uri} ${upgrade ? 'HTTP/1.1' : 'HTTP/1.0'}`];
  for (const [key, value] of vars) {
    if (!TOKEN.test(key)) throw new BadUwsgiRequest(`invalid var name ${JSON.stringify(key.slice(0, 40))}`);
    if (BAD_VALUE.test(value)) continue;
    if (key.startsWith('HTTP_')) {
      if (key.length === 5) continue;
      const name = key.slice(5).toLowerCase().replace(/_/g, '-');
      if (name !== 'connection' && name !== 'content-length' && name !== 'transfer-encoding') lines.push(`${name}: ${value}`);
    } else if (key === 'CONTENT_TYPE' && value) lines.push(`content-type: ${value}`);
    else if (key === 'CONTENT_LENGTH' && value) lines.push(`content-length: ${value}`);
  }
  if (upgrade) lines.push('connection: upgrade');
  return lines.join('\r\n') + '\r\n\r\n';
}

/**
 * One uwsgi connection seen as an HTTP one: reads yield the synthesized head
 * then the body bytes; writes go to the socket. It carries the socket-like
 * properties the http server and the accounting read.
 */
export class UwsgiConnection extends Duplex {
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  bytesWritten = 0;

  constructor(
    private readonly socket: net.Socket,
    head: string,
    rest: Buffer,
    vars: UwsgiVars,
  ) {
    super();
    this.remoteAddress = vars.get('REMOTE_ADDR') || socket.remoteAddress;
    this.remotePort = Number(vars.get('REMOTE_PORT')) || socket.remotePort;
    this.push(Buffer.from(head, 'latin1'));
    if (rest.length > 0) this.push(rest);
    socket.on('data', (d: Buffer) => {
      if (!this.push(d)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.bytesWritten += chunk.length;
    this.socket.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }

  /** bytes received on the connection, packet included (the worker's body-read timeout watches it) */
  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.socket.setTimeout(ms, cb);
    return this;
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }
}

const BAD_REQUEST = 'HTTP/1.0 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nBad Request\n';

/**
 * Reads the uwsgi packet from a new connection and calls `serve` with the
 * HTTP view of it. Until then the connection is the worker's alone: a reset,
 * a truncated or malformed packet, or a packet slower than `headMs` closes
 * it (a packet that parsed but breaks the grammar gets a 400 first) and is
 * reported through `onError`; nothing else on the worker notices.
 */
export function acceptUwsgi(
  socket: net.Socket,
  serve: (conn: UwsgiConnection) => void,
  onError: (err: Error) => void,
  headMs = 0,
): void {
  // Without it an ECONNRESET before the packet is complete is an uncaught 'error' event: the worker dies.
  const onSocketError = (): void => void socket.destroy();
  socket.on('error', onSocketError);
  // A deadline, not an idle timer: a packet dripped a byte at a time must not hold the connection.
  const deadline = headMs > 0 ? setTimeout(() => socket.destroy(), headMs) : undefined;
  const chunks: Buffer[] = [];
  let have = 0;
  // Bytes needed before parsing is worth trying: the 4-byte header, then the whole vars block.
  let need = 4;
  const stop = (): void => {
    socket.off('data', onData);
    socket.off('error', onSocketError);
    socket.off('close', stop);
    clearTimeout(deadline);
  };
  socket.once('close', stop);
  const onData = (d: Buffer): void => {
    chunks.push(d);
    have += d.length;
    if (have < need) return;
    const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, have);
    chunks.length = 0;
    chunks.push(buf);
    let parsed;
    let head;
    try {
      parsed = parseUwsgiPacket(buf);
      if (!parsed) {
        need = 4 + buf.readUInt16LE(1);
        return;
      }
      head = requestHead(parsed.vars);
    } catch (err) {
      stop();
      socket.on('error', () => undefined); // a reset while the 400 is written is no news
      onError(err as Error);
      if (err instanceof BadUwsgiRequest) {
        socket.end(BAD_REQUEST);
        // a client that never closes its side must not keep the fd
        socket.setTimeout(1000, () => socket.destroy());
      } else socket.destroy();
      return;
    }
    stop();
    socket.pause();
    serve(new UwsgiConnection(socket, head, buf.subarray(parsed.used), parsed.vars));
  };
  socket.on('data', onData);
}
