/**
 * `supervise --upgrade pidfile`: checks the configuration the master would read
 * now, sends it SIGURG, and follows the upgrade until the old master is gone
 * (the new one serves) or the new one is gone (the old one serves on).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { formatDiagnostic, loadConfig } from '@tsgi/config';
import { SupervisorError } from '@tsgi/supervisor';

/** How long an upgrade may take: the new master's boot, then the old workers' drain. */
const UPGRADE_TIMEOUT_MS = 180_000;

/** Runs the upgrade; resolves with the exit status (0 done, 1 failed, 2 the config has errors). */
export async function upgrade(pidfile: string, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const pid = readPid(pidfile);
  const cmdline = procText(pid, 'cmdline')?.split('\0').filter(Boolean);
  const script = cmdline?.findIndex((a) => /supervise(\.js)?$/.test(a)) ?? -1;
  if (!cmdline || script < 0) throw new SupervisorError('TSGI_NO_SUCH_PROCESS', `pid ${pid} (from pidfile ${pidfile}) is not a running tsgi master`);
  // the configuration the new master will read: its errors are reported here, and nothing is touched
  const env = Object.fromEntries((procText(pid, 'environ') ?? '').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const load = loadConfig({ argv: cmdline.slice(script + 1), env, cwd: readlinkSync(`/proc/${pid}/cwd`) });
  if (!load.config) {
    for (const e of load.errors) err(`error: ${formatDiagnostic(e)}`);
    err(`supervise: upgrade refused: the configuration has errors; the master (pid ${pid}) serves on unchanged`);
    return 2;
  }
  process.kill(pid, 'SIGURG');
  out(`sent SIGURG to the tsgi master (pid: ${pid}): upgrading...`);
  const deadline = Date.now() + UPGRADE_TIMEOUT_MS;
  let successor: number | undefined;
  while (Date.now() < deadline) {
    successor ??= childWithCmdline(pid, cmdline.slice(script));
    if (!alive(pid)) {
      // the new master wrote the pidfile when it started; by now it may have left the old one's children
      const now = tryReadPid(pidfile);
      const next = successor ?? (now !== undefined && now !== pid && sameCommand(now, cmdline.slice(script)) ? now : undefined);
      if (next !== undefined && alive(next)) return out(`upgraded: the new master is pid ${next}; the old one (pid ${pid}) drained and exited`), 0;
      return err(`supervise: the master (pid ${pid}) exited during the upgrade, with no new master running`), 1;
    }
    if (successor !== undefined && !alive(successor)) {
      err(`supervise: upgrade failed: the new master (pid ${successor}) exited before it was ready; the old master (pid ${pid}) serves on (its log says why)`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  err(`supervise: the upgrade did not complete within ${UPGRADE_TIMEOUT_MS / 1000} s; see the master's log`);
  return 1;
}

function readPid(pidfile: string): number {
  let text: string;
  try {
    text = readFileSync(pidfile, 'utf8');
  } catch (e) {
    throw new SupervisorError('TSGI_PIDFILE_MISSING', `cannot read pidfile ${pidfile}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new SupervisorError('TSGI_PIDFILE_INVALID', `pidfile ${pidfile} does not hold a pid`);
  return pid;
}

function tryReadPid(pidfile: string): number | undefined {
  try {
    return readPid(pidfile);
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` runs supervise with the same arguments (`command` is the script and
 * what follows it). The new master is started with the absolute script path and
 * Node's own path, where the old one may show what a shell typed: the script is
 * compared by its name, the arguments as they are.
 */
function sameCommand(pid: number, command: string[]): boolean {
  const args = procText(pid, 'cmdline')?.split('\0').filter(Boolean);
  const at = args?.findIndex((a) => /supervise(\.js)?$/.test(a)) ?? -1;
  if (!args || at < 0) return false;
  const mine = args.slice(at);
  return basename(mine[0]!) === basename(command[0]!) && mine.slice(1).join('\0') === command.slice(1).join('\0');
}

function procText(pid: number, what: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${what}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (a master's exit is what the upgrade waits for). */
function alive(pid: number): boolean {
  const stat = procText(pid, 'stat');
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** The child of `parent` running the same supervise command: the new master of an upgrade. */
function childWithCmdline(parent: number, command: string[]): number | undefined {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === parent) continue;
    const stat = procText(Number(e), 'stat');
    if (!stat || Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent) continue;
    if (sameCommand(Number(e), command)) return Number(e);
  }
  return undefined;
}
