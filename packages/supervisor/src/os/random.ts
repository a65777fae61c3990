import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * `bytes` random bytes in hex, for temporary file names no other process can guess.
 * node:crypto loads at the first call rather than at import: it costs a process ~1 MB,
 * and a master without a pidfile or a unix socket never needs it.
 */
export function randomHex(bytes: number): string {
  return (require('node:crypto') as typeof import('node:crypto')).randomBytes(bytes).toString('hex');
}
