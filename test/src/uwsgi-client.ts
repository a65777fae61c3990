/**
 * A client connection to a uwsgi `socket` that behaves as nginx's `uwsgi_pass` does:
 * the HTTP request head an HTTP client writes goes out as a uwsgi packet (the vars of
 * nginx's uwsgi_params, and every header as `HTTP_NAME`), and every byte after it, either
 * way, passes as it is. Given to `ws` as `createConnection`, the real WebSocket client
 * speaks to the app through the uwsgi protocol, its handshake carried by HTTP_UPGRADE and
 * HTTP_CONNECTION.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import { encodeUwsgiPacket } from '@tsgi/supervisor/uwsgi';

/** The vars nginx sends for an HTTP/1.x request head (uwsgi_params, then the headers). */
export function uwsgiVars(head: string, port: number): Record<string, string> {
  const [requestLine = '', ...headerLines] = head.split('\r\n');
  const [method = 'GET', uri = '/', protocol = 'HTTP/1.1'] = requestLine.split(' ');
  const q = uri.indexOf('?');
  const vars: Record<string, string> = {
    QUERY_STRING: q < 0 ? '' : uri.slice(q + 1),
    REQUEST_METHOD: method,
    CONTENT_TYPE: '',
    CONTENT_LENGTH: '',
    REQUEST_URI: uri,
    PATH_INFO: q < 0 ? uri : uri.slice(0, q),
    DOCUMENT_ROOT: '/usr/share/nginx/html',
    SERVER_PROTOCOL: protocol,
    REQUEST_SCHEME: 'http',
    REMOTE_ADDR: '127.0.0.1',
    REMOTE_PORT: '0',
    SERVER_PORT: String(port),
    SERVER_NAME: 'localhost',
  };
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (/^content-(type|length)$/i.test(name)) vars[name.toUpperCase().replace('-', '_')] = value;
    vars[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = value;
  }
  return vars;
}

/** A Duplex over a TCP connection to 127.0.0.1:`port` that turns the first request head into a uwsgi packet. */
export class UwsgiClientConnection extends Duplex {
  private readonly socket: net.Socket;
  private head: Buffer | undefined = Buffer.alloc(0);

  constructor(private readonly port: number) {
    super();
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      if (!this.push(d)) this.socket.pause();
    });
    this.socket.on('end', () => this.push(null));
    this.socket.on('error', (err) => this.destroy(err));
    this.socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.head === undefined) {
      this.socket.write(chunk, cb);
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    const end = this.head.indexOf('\r\n\r\n');
    if (end < 0) {
      cb();
      return;
    }
    const packet = encodeUwsgiPacket(uwsgiVars(this.head.toString('latin1', 0, end), this.port));
    const rest = this.head.subarray(end + 4);
    this.head = undefined;
    this.socket.write(rest.length > 0 ? Buffer.concat([packet, rest]) : packet, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }

  setNoDelay(noDelay?: boolean): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.socket.setTimeout(ms, cb);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }
}
