/**
 * @tsgi/stats-protocol: the stats document of uWSGI 2.0 and tsgi — types, JSON Schema
 * (`@tsgi/stats-protocol/schema.json`), a tolerant decoder, a byte-exact encoder and a
 * client for every address form uwsgitop accepts. Depends on nothing but Node.
 */
export type * from './types.js';
export { decodeStats, type DecodeResult } from './decode.js';
export { encodeStats, type EncodeOptions } from './encode.js';
export { parseAddress, formatAddress, type StatsAddress } from './address.js';
export { readStats, fetchStats, fetchStatsText, type ReadOptions } from './read.js';
export { StatsError, type StatsErrorCode } from './errors.js';
export { documentShape, type Shape, type FieldSpec, type ValueSpec, type Presence } from './shape.js';
