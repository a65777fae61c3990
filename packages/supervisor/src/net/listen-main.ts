/**
 * The listen helper (master/sockets.ts `listenSockets`): a short-lived process
 * that inherits the master's bound sockets, puts each in the LISTEN state and
 * exits in the same tick, before its event loop could accept a connection.
 * Arguments: one `fd:backlog` per socket. Exits 0 when every socket listens,
 * 2 on a malformed argument; a failing listen() throws (exit 1, reason on stderr).
 */
import net from 'node:net';
import { writeSync } from 'node:fs';

const targets = process.argv.slice(2).map((arg) => /^(\d+):(\d+)$/.exec(arg));
if (targets.some((m) => m === null)) {
  writeSync(2, `tsgi listen helper: expected fd:backlog arguments, got ${process.argv.slice(2).join(' ')}\n`);
  process.exit(2);
}
for (const m of targets) net.createServer().listen({ fd: Number(m![1]), backlog: Number(m![2]) });
process.exit(0);
