import net from 'node:net';
import type { Readable } from 'node:stream';

/**
 * Reads a child's pipe (a `stdio: 'pipe'` socket of child_process) into one buffer the
 * caller reuses for every read, with Node's `onread` option: what a chunk holds is gone
 * once `onData` returns. A stream reads each chunk into a fresh zeroed 64 KiB buffer,
 * which for the request log cost the master about 0.7 ms per read at a few dozen reads a
 * second (bench/request-log.mjs); the reused buffer costs a fraction of that. The socket
 * child_process made lets go of the pipe and closes at once (the child's 'close' event
 * does not wait for it); where Node offers no pipe handle, the stream is read as it is.
 */
export function readPipe(pipe: Readable, buffer: Buffer, onData: (chunk: Buffer) => void, onEnd: () => void): Readable {
  const handle = pipe instanceof net.Socket ? (pipe as unknown as { _handle?: object | null })._handle : undefined;
  let reader: Readable;
  if (handle) {
    // `handle` and `onread` are options of net.Socket that its types leave out
    const options = { handle, readable: true, writable: false, onread: { buffer, callback: (n: number, b: Buffer) => void onData(b.subarray(0, n)) } };
    reader = new net.Socket(options as net.SocketConstructorOpts);
    (pipe as unknown as { _handle: object | null })._handle = null;
    pipe.destroy();
  } else {
    reader = pipe;
    reader.on('data', onData);
  }
  // a pipe error (the child was killed mid-write) ends it like its end: what was read is kept
  reader.on('error', () => undefined);
  reader.once('close', onEnd);
  return reader;
}
