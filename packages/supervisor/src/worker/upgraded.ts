import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The body of the refusal an Upgrade gets when the app serves none. */
export const UPGRADE_REFUSED_TEXT = 'This app does not accept Upgrade requests (no upgrade export, no upgrade listener)\n';

/** WebSocket close code 1001 (RFC 6455, 7.4.1): the endpoint is going away (a server restarting). */
export const GOING_AWAY = 1001;

/** How long a connection told to go away may take to close its side before the worker closes it for good. */
const LINGER_MS = 2000;

const SERVICE_UNAVAILABLE = 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * Whether a request asks for a protocol switch that the app would have to serve. `h2c`
 * is not one: a server may ignore an Upgrade and answer in HTTP/1.1 (RFC 9110, 7.8), and
 * `curl --http2` on http:// asks for it on every request.
 */
export function isUpgradeRequest(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  if (!upgrade || /^\s*h2c\s*$/i.test(upgrade)) return false;
  const connection = req.headers.connection ?? '';
  return connection.split(',').some((token) => token.trim().toLowerCase() === 'upgrade');
}

/** A WebSocket close frame as a server sends it (unmasked), with `code` and a short reason. */
export function closeFrame(code: number, reason: string): Buffer {
  // a control frame's payload is at most 125 bytes, the code's 2 included
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const frame = Buffer.alloc(4 + text.length);
  frame[0] = 0x88; // FIN + opcode 8 (close)
  frame[1] = 2 + text.length;
  frame.writeUInt16BE(code, 2);
  text.copy(frame, 4);
  return frame;
}

/** The `ws` library's WebSocket on a socket it took over, as far as going away needs it. */
interface LibrarySocket {
  readyState: number;
  close(code: number, reason: string): void;
}

/**
 * The `ws` WebSocket that owns `socket`, if any: `ws` keeps it under its own symbol
 * (`Symbol('websocket')`), not exported, so it is found by its description.
 */
function libraryWebSocket(socket: Duplex): LibrarySocket | undefined {
  for (const sym of Object.getOwnPropertySymbols(socket)) {
    if (sym.description !== 'websocket') continue;
    const ws = (socket as unknown as Record<symbol, unknown>)[sym] as Partial<LibrarySocket> | undefined;
    if (ws && typeof ws.close === 'function' && typeof ws.readyState === 'number') return ws as LibrarySocket;
  }
  return undefined;
}

/**
 * Ends an upgraded connection that is still open when its worker leaves, never with a
 * reset. A `ws` WebSocket is closed through `ws` (1001: it sends the frame, waits for the
 * peer's and ends the TCP connection, and its own state stays right for the app's
 * 'close' listeners); any other is sent the close frame here, unless the app has ended
 * it already, then its write side is closed. What the peer still sends is read and
 * dropped (unread bytes would turn the final close into a reset), and a peer that does
 * not close its side within LINGER_MS is closed for good.
 */
export function goAway(socket: Duplex): void {
  if (socket.destroyed) return;
  const ws = libraryWebSocket(socket);
  if (ws) {
    // CONNECTING (0) and OPEN (1): a CLOSING one has sent its frame already
    if (ws.readyState <= 1) ws.close(GOING_AWAY, 'going away');
  } else {
    socket.resume();
    if (!socket.writableEnded) {
      // no handshake answered yet: the client is still waiting for an HTTP response
      const answered = ((socket as { bytesWritten?: number }).bytesWritten ?? 1) > 0;
      socket.end(answered ? closeFrame(GOING_AWAY, 'going away') : SERVICE_UNAVAILABLE);
    }
  }
  const linger = setTimeout(() => {
    socket.resume();
    socket.destroy();
  }, LINGER_MS);
  socket.once('close', () => clearTimeout(linger));
}
