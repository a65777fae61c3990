import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Hosts on one machine: Linux network namespaces joined by veth pairs to a
 * bridge that lives in a namespace of its own, so nothing is added to the
 * machine's own network (no interface, route or address outside the lab).
 * Every namespace is named `tsgi<pid>x<n>-…` after the test process that made
 * it; `destroy` kills what runs inside and deletes them, and a later run
 * sweeps what a killed run left behind.
 */

const IP = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p));
const TAG = /^tsgi(\d+)x\d+-/;
let labs = 0;

export interface Host {
  name: string;
  addr: string;
  ns: string;
  /** the host's port on the lab's switch: down is a pulled cable */
  port: string;
}

/** Why a lab cannot be built here, or false when it can. */
export function labSkip(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  if (!IP) return 'iproute2 (ip) is not installed';
  const probe = `tsgi${process.pid}x999-probe`;
  const made = spawnSync(IP, ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) return `cannot create a network namespace: ${made.stderr.trim()}`;
  spawnSync(IP, ['netns', 'del', probe]);
  return false;
}

function ip(...args: string[]): string {
  const r = spawnSync(IP!, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || r.error?.message || `exit ${r.status}`}`);
  return r.stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills every process inside `ns` and deletes it. */
function removeNamespace(ns: string): void {
  const pids = spawnSync(IP!, ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
  spawnSync(IP!, ['netns', 'del', ns]);
}

export class Lab {
  readonly tag = `tsgi${process.pid}x${labs++}`;
  readonly hosts = new Map<string, Host>();
  private readonly sw = `${this.tag}-sw`;
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();

  /** `subnet`: the first three octets of the lab's /24 (inside the lab only) */
  constructor(readonly subnet = '10.0.0') {}

  /** Deletes the namespaces of earlier test processes that are gone (a run killed before its cleanup). */
  static sweep(): void {
    if (!IP) return;
    const names = spawnSync(IP, ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!);
    for (const ns of names) {
      const m = TAG.exec(ns);
      if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) removeNamespace(ns);
    }
  }

  /** The switch: a bridge in its own namespace. */
  create(): this {
    Lab.sweep();
    this.addNamespace(this.sw);
    ip('-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.sw, 'link', 'set', 'br0', 'up');
    return this;
  }

  /** A host plugged into the switch with address `<subnet>.<octet>`. */
  addHost(name: string, octet: number): Host {
    const ns = `${this.tag}-${name}`;
    const port = `p-${name}`;
    this.addNamespace(ns);
    ip('-n', this.sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('-n', this.sw, 'link', 'set', port, 'master', 'br0', 'up');
    const addr = `${this.subnet}.${octet}`;
    ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    const host = { name, addr, ns, port };
    this.hosts.set(name, host);
    return host;
  }

  /** Pulls (false) or plugs back (true) a host's cable. */
  plug(name: string, up: boolean): void {
    ip('-n', this.sw, 'link', 'set', this.host(name).port, up ? 'up' : 'down');
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name} in the lab`);
    return h;
  }

  /** The argv prefix that runs a command inside a host (ip execs it: the pid is the command's). */
  prefix(name: string): string[] {
    return [IP!, 'netns', 'exec', this.host(name).ns];
  }

  /** Starts `cmd` inside a host, in its own process group; destroy() kills it. */
  spawn(name: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    const [file, ...pre] = this.prefix(name);
    const child = spawn(file!, [...pre, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts, detached: true });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs `cmd` inside a host to its end (bounded by `ms`). */
  run(name: string, cmd: string, args: string[], ms = 15_000): { status: number | null; stdout: string; stderr: string } {
    const [file, ...pre] = this.prefix(name);
    const r = spawnSync(file!, [...pre, cmd, ...args], { encoding: 'utf8', timeout: ms });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** Kills everything started in the lab and deletes its namespaces. Safe to call twice. */
  destroy(): void {
    for (const child of this.children) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    this.children.clear();
    for (const ns of this.namespaces.splice(0).reverse()) removeNamespace(ns);
  }

  private addNamespace(ns: string): void {
    ip('netns', 'add', ns);
    this.namespaces.push(ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
}
