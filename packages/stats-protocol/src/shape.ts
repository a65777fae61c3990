/**
 * The document's shape as data: for every object, its keys in emission order, their JSON
 * kinds and whether uWSGI always sends them. The encoder takes key order from here (so the
 * supervisor may build objects in any order), the decoder takes kinds and defaults, and a
 * test checks `schema.json` against it so the three cannot drift apart.
 *
 * `ShapeOf<T>` makes the compiler reject a shape that misses or invents a key of `T`.
 */
import type {
  StatsApp,
  StatsCache,
  StatsCore,
  StatsCron,
  StatsDaemon,
  StatsDocument,
  StatsLegion,
  StatsLegionMember,
  StatsMetric,
  StatsReqInfo,
  StatsSocket,
  StatsSpooler,
  StatsWorker,
  TsgiDrainingWorker,
  TsgiStats,
} from './types.js';

/**
 * How a key's absence is treated.
 * - `always`: uWSGI 2.0 always sends it; schema `required`; the decoder fills a default and warns.
 * - `fill`: uWSGI omits it in some setups (non-Linux, `stats-no-cores`); schema `required` (tsgi
 *   and uWSGI on Linux always send it); the decoder fills a default quietly.
 * - `optional`: present only with a feature (daemons, caches, ...); left absent.
 * - `tsgi`: a tsgi addition; left absent (uWSGI's documents do not have it).
 */
export type Presence = 'always' | 'fill' | 'optional' | 'tsgi';

/** A JSON value's expected kind. `int` is how uWSGI prints every number. */
export type ValueSpec =
  | { kind: 'int' }
  | { kind: 'number' }
  | { kind: 'string' }
  | { kind: 'list'; of: ValueSpec }
  | { kind: 'object'; shape: Shape }
  /** An object whose keys are data (lock names, metric names). */
  | { kind: 'map'; of: ValueSpec };

export type FieldSpec = ValueSpec & { presence: Presence };

/** An object kind: `name` is also its `$defs` name in schema.json. */
export interface Shape {
  name: string;
  fields: Record<string, FieldSpec>;
}

type ShapeOf<T> = { name: string; fields: { [K in keyof T]-?: FieldSpec } };

const int = (presence: Presence = 'always'): FieldSpec => ({ kind: 'int', presence });
const num = (presence: Presence): FieldSpec => ({ kind: 'number', presence });
const str = (presence: Presence = 'always'): FieldSpec => ({ kind: 'string', presence });
const list = (of: ValueSpec, presence: Presence = 'always'): FieldSpec => ({ kind: 'list', of, presence });
const obj = (shape: Shape, presence: Presence = 'always'): FieldSpec => ({ kind: 'object', shape, presence });
const objOf = (shape: Shape): ValueSpec => ({ kind: 'object', shape });

export const daemonShape: ShapeOf<StatsDaemon> = {
  name: 'daemon',
  fields: { cmd: str(), pid: int(), respawns: int() },
};

export const cacheShape: ShapeOf<StatsCache> = {
  name: 'cache',
  fields: {
    name: str(),
    hash: str(),
    hashsize: int(),
    keysize: int(),
    max_items: int(),
    blocks: int(),
    blocksize: int(),
    items: int(),
    hits: int(),
    miss: int(),
    full: int(),
    last_modified_at: int(),
  },
};

export const metricShape: ShapeOf<StatsMetric> = {
  name: 'metric',
  fields: { type: int(), oid: str(), value: int() },
};

export const socketShape: ShapeOf<StatsSocket> = {
  name: 'socket',
  fields: {
    name: str(),
    proto: str(),
    queue: int(),
    max_queue: int(),
    shared: int(),
    can_offload: int(),
  },
};

export const appShape: ShapeOf<StatsApp> = {
  name: 'app',
  fields: {
    id: int(),
    modifier1: int(),
    mountpoint: str(),
    startup_time: int(),
    requests: int(),
    exceptions: int(),
    chdir: str(),
  },
};

export const reqInfoShape: ShapeOf<StatsReqInfo> = {
  name: 'req_info',
  fields: { request_start: int('optional') },
};

export const coreShape: ShapeOf<StatsCore> = {
  name: 'core',
  fields: {
    id: int(),
    requests: int(),
    static_requests: int(),
    routed_requests: int(),
    offloaded_requests: int(),
    write_errors: int(),
    read_errors: int(),
    in_request: int(),
    vars: list({ kind: 'string' }),
    req_info: obj(reqInfoShape),
  },
};

export const workerShape: ShapeOf<StatsWorker> = {
  name: 'worker',
  fields: {
    id: int(),
    pid: int(),
    accepting: int(),
    requests: int(),
    delta_requests: int(),
    exceptions: int(),
    harakiri_count: int(),
    signals: int(),
    signal_queue: int(),
    status: str(),
    rss: int(),
    vsz: int(),
    running_time: int(),
    last_spawn: int(),
    respawn_count: int(),
    tx: int(),
    avg_rt: int(),
    apps: list(objOf(appShape)),
    cores: list(objOf(coreShape), 'fill'),
    // tsgi's additions: after every uWSGI key.
    elu: num('tsgi'),
    cpu: num('tsgi'),
    in_flight: int('tsgi'),
    draining: int('tsgi'),
    recycle_reason: str('tsgi'),
    backoff: num('tsgi'),
    ready: int('tsgi'),
    upgraded: int('tsgi'),
    responses_5xx: int('tsgi'),
  },
};

export const spoolerShape: ShapeOf<StatsSpooler> = {
  name: 'spooler',
  fields: { dir: str(), pid: int(), tasks: int(), respawns: int(), running: int() },
};

export const cronShape: ShapeOf<StatsCron> = {
  name: 'cron',
  fields: {
    minute: int(),
    hour: int(),
    day: int(),
    month: int(),
    week: int(),
    command: str(),
    unique: int(),
    legion: str('optional'),
    pid: int(),
    started_at: int(),
  },
};

export const legionMemberShape: ShapeOf<StatsLegionMember> = {
  name: 'legion_member',
  fields: { name: str(), uuid: str(), valor: int(), checksum: int(), last_seen: int() },
};

export const legionShape: ShapeOf<StatsLegion> = {
  name: 'legion',
  fields: {
    legion: str(),
    addr: str(),
    uuid: str(),
    valor: int(),
    checksum: int(),
    quorum: int(),
    i_am_the_lord: int(),
    lord_valor: int(),
    lord_uuid: str(),
    nodes: list({ kind: 'string' }),
    members: list(objOf(legionMemberShape)),
  },
};

export const tsgiDrainingShape: ShapeOf<TsgiDrainingWorker> = {
  name: 'tsgi_draining',
  fields: { id: int(), pid: int(), reason: str(), since: int(), in_flight: int() },
};

export const tsgiShape: ShapeOf<TsgiStats> = {
  name: 'tsgi',
  fields: {
    version: str(),
    started_at: int(),
    reloads: int(),
    phase: str(),
    draining: list(objOf(tsgiDrainingShape)),
  },
};

export const documentShape: ShapeOf<StatsDocument> = {
  name: 'document',
  fields: {
    version: str(),
    listen_queue: int('fill'),
    listen_queue_errors: int('fill'),
    signal_queue: int(),
    load: int(),
    pid: int(),
    uid: int(),
    gid: int(),
    cwd: str(),
    daemons: list(objOf(daemonShape), 'optional'),
    locks: list({ kind: 'map', of: { kind: 'int' } }),
    caches: list(objOf(cacheShape), 'optional'),
    metrics: { kind: 'map', of: objOf(metricShape), presence: 'optional' },
    sockets: list(objOf(socketShape)),
    workers: list(objOf(workerShape)),
    spoolers: list(objOf(spoolerShape), 'optional'),
    crons: list(objOf(cronShape), 'optional'),
    legions: list(objOf(legionShape), 'optional'),
    // tsgi's addition: after every uWSGI key, including the optional trailing ones.
    tsgi: obj(tsgiShape, 'tsgi'),
  },
};

/** Every object shape, for tests that compare them with schema.json. */
export const allShapes: readonly Shape[] = [
  documentShape,
  daemonShape,
  cacheShape,
  metricShape,
  socketShape,
  workerShape,
  appShape,
  coreShape,
  reqInfoShape,
  spoolerShape,
  cronShape,
  legionShape,
  legionMemberShape,
  tsgiShape,
  tsgiDrainingShape,
];
