/**
 * A stand-in tsgi stats server for tests and the CPU bench: a TCP socket on an ephemeral
 * 127.0.0.1 port that writes a tsgi-style document and closes, as uWSGI's stats server
 * does. Request counters grow with time, so a monitor sees non-zero rates. It can also
 * misbehave on demand (garbage, a truncated document, nothing at all) or vanish and come
 * back as a new master.
 */
import net from 'node:net';
import { encodeStats, type StatsDocument, type StatsWorker } from '@tsgi/stats-protocol';

export interface FakeServerOptions {
  workers?: number;
  /** Requests per second of worker 1; worker i serves i times as many. */
  rps?: number;
  masterPid?: number;
  /** Fixed port (to come back on the same address after `stop`); 0 picks one. */
  port?: number;
}

/** `ok` sends the document; the others are the ways a stats server can go wrong. */
export type FakeMode = 'ok' | 'garbage' | 'truncated' | 'empty';

export interface FakeServer {
  address: string;
  port: number;
  /** Connections answered so far. */
  answers: number;
  mode: FakeMode;
  /** The document a connection would get now. */
  document(): StatsDocument;
  close(): Promise<void>;
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const workers = options.workers ?? 4;
  const rps = options.rps ?? 25;
  const masterPid = options.masterPid ?? 41_000;
  const startedMs = Date.now();
  const startedAt = Math.floor(startedMs / 1000);
  const sockets = new Set<net.Socket>();
  const fake: FakeServer = {
    address: '',
    port: 0,
    answers: 0,
    mode: 'ok',
    document: () => fakeDocument({ workers, rps, masterPid, startedAt, elapsed: (Date.now() - startedMs) / 1000 }),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    fake.answers++;
    const text = encodeStats(fake.document());
    if (fake.mode === 'ok') socket.end(text);
    else if (fake.mode === 'garbage') socket.end('<html>not stats</html>');
    else if (fake.mode === 'truncated') socket.end(text.slice(0, Math.floor(text.length / 2)));
    else socket.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  fake.port = port;
  fake.address = `127.0.0.1:${port}`;
  return fake;
}

export interface FakeDocumentOptions {
  workers: number;
  rps: number;
  masterPid: number;
  startedAt: number;
  /** Seconds since the fake master started. */
  elapsed: number;
}

/** A tsgi document `elapsed` seconds after start: worker i has served i·rps requests a second. */
export function fakeDocument(options: FakeDocumentOptions): StatsDocument {
  const workers: StatsWorker[] = [];
  for (let id = 1; id <= options.workers; id++) {
    const requests = Math.floor(options.elapsed * options.rps * id);
    const busy = id % 3 === 1;
    workers.push({
      id,
      pid: options.masterPid + id,
      accepting: 1,
      requests,
      delta_requests: requests,
      exceptions: id === 2 ? 1 : 0,
      harakiri_count: 0,
      signals: 0,
      signal_queue: 0,
      status: busy ? 'busy' : 'idle',
      rss: (40 + id) * 1024 * 1024,
      vsz: 1_100 * 1024 * 1024,
      running_time: requests * 1500,
      last_spawn: options.startedAt,
      respawn_count: 1,
      tx: requests * 130,
      avg_rt: 1500 + id * 10,
      apps: [{ id: 0, modifier1: 0, mountpoint: '', startup_time: 0, requests, exceptions: 0, chdir: '' }],
      cores: [
        {
          id: 0,
          requests,
          static_requests: 0,
          routed_requests: 0,
          offloaded_requests: 0,
          write_errors: 0,
          read_errors: 0,
          in_request: busy ? 1 : 0,
          vars: [],
          req_info: {},
        },
      ],
      elu: busy ? 0.75 : 0.125,
      cpu: busy ? 62.5 : 3.5,
      in_flight: busy ? 1 : 0,
      draining: 0,
      recycle_reason: '',
      backoff: 0,
      ready: 1,
    });
  }
  return {
    version: '0.1.0-tsgi',
    listen_queue: 0,
    listen_queue_errors: 0,
    signal_queue: 0,
    load: 0,
    pid: options.masterPid,
    uid: 1000,
    gid: 1000,
    cwd: '/srv/fake',
    locks: [],
    sockets: [{ name: '127.0.0.1:8080', proto: 'http', queue: 0, max_queue: 100, shared: 0, can_offload: 0 }],
    workers,
    tsgi: { version: '0.1.0', started_at: options.startedAt, reloads: 0, phase: 'running', draining: [] },
  };
}
