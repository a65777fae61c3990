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

const UNSAFE = /[\r\n]/;

/** The HTTP/1.0 request head a uwsgi request stands for. */
export function requestHead(vars: UwsgiVars): string {
  const method = vars.get('REQUEST_METHOD') || 'GET';
  const query = vars.get('QUERY_STRING');
  const uri = vars.get('REQUEST_URI') || `${vars.get('PATH_INFO') || '/'}${query ? `?${query}` : ''}`;
  const lines = [`${method} ${uri} HTTP/1.0`];
  for (const [key, value] of vars) {
    if (UNSAFE.test(value)) continue;
    if (key.startsWith('HTTP_')) {
      const name = key.slice(5).toLowerCase().replace(/_/g, '-');
      if (name !== 'connection' && name !== 'content-length' && name !== 'transfer-encoding') lines.push(`${name}: ${value}`);
    } else if (key === 'CONTENT_TYPE' && value) lines.push(`content-type: ${value}`);
    else if (key === 'CONTENT_LENGTH' && value) lines.push(`content-length: ${value}`);
  }
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

/**
 * Reads the uwsgi packet from a new connection and calls `serve` with the
 * HTTP view of it; a malformed packet closes the connection (and is reported).
 */
export function acceptUwsgi(socket: net.Socket, serve: (conn: UwsgiConnection) => void, onError: (err: Error) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  const onData = (d: Buffer): void => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    let parsed;
    try {
      parsed = parseUwsgiPacket(buf);
    } catch (err) {
      socket.off('data', onData);
      onError(err as Error);
      socket.destroy();
      return;
    }
    if (!parsed) {
      if (buf.length > 4 + 65535) socket.destroy();
      return;
    }
    socket.off('data', onData);
    socket.pause();
    serve(new UwsgiConnection(socket, requestHead(parsed.vars), buf.subarray(parsed.used), parsed.vars));
  };
  socket.on('data', onData);
}
