import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES, ROOT, Supervise, sleep, tmp } from './harness.js';
import { Lab, labSkip } from './netns.js';

/**
 * examples/multi-host, live: three application hosts and a balancer host, each a
 * network namespace on a bridge of the test's own (10.0.0.0/24 inside the lab
 * only), `supervise` on every application host from the example's app.ini,
 * nginx (then HAProxy) in front from the example's config, and Prometheus with
 * the example's scrape config and rules. The load comes from the balancer
 * host: wrk, and a Node client that records when each request ran and which
 * worker answered it.
 */

const EXAMPLE = path.join(ROOT, 'examples/multi-host');
const find = (cands: string[], arg: string): string | undefined => cands.find((p) => existsSync(p) && spawnSync(p, [arg]).status === 0);
const NGINX = find(['/usr/sbin/nginx', '/usr/bin/nginx'], '-v');
const HAPROXY = find(['/usr/sbin/haproxy', '/usr/bin/haproxy'], '-v');
const WRK = find(['/usr/bin/wrk', '/usr/local/bin/wrk'], '-v') ?? (existsSync('/usr/bin/wrk') ? '/usr/bin/wrk' : undefined);
const PROMETHEUS = find(['/usr/bin/prometheus', '/usr/local/bin/prometheus'], '--version');
const CURL = find(['/usr/bin/curl'], '--version');

const LAB_SKIP = labSkip();
const missing = [!NGINX && 'nginx (nginx-light)', !WRK && 'wrk', !CURL && 'curl'].filter(Boolean);
const SKIP = LAB_SKIP || (missing.length ? `needs ${missing.join(', ')}: apt-get install them` : false);

const FRONT = 'http://10.0.0.10/';
const LOAD_CONNECTIONS = 32;
const PROBE_CONNECTIONS = 2;
const HOSTS = [
  ['h1', 11],
  ['h2', 12],
  ['h3', 13],
] as const;

interface Outcome {
  /** requests wrk and the probe completed, and those that failed (any error, any status but 200) */
  requests: number;
  failed: number;
  wrk: string;
  /** the probe's requests: [ms since `start`, ms taken, status or error code, worker pid] */
  timeline: [number, number, number | string, number][];
  start: number;
}

/** wrk's summary: requests and every error it counts (socket errors and non-2xx/3xx answers). */
function parseWrk(out: string): { requests: number; failed: number } {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const failed = non2xx + (sock ? sock.slice(1).reduce((s, n) => s + Number(n), 0) : 0);
  if (!Number.isFinite(requests)) throw new Error(`cannot read wrk's output:\n${out}`);
  return { requests, failed };
}

function collect(child: ChildProcess, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no end within ${ms} ms: ${err}`));
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`exit ${code}: ${err}${out}`));
    });
  });
}

class Site {
  readonly lab = new Lab().create();
  readonly sups = new Map<string, Supervise>();
  readonly dir = tmp('tsgi-multihost-');
  balancer: ChildProcess | undefined;
  prometheus: ChildProcess | undefined;

  constructor() {
    this.lab.addHost('lb', 10);
    for (const [name, octet] of HOSTS) this.lab.addHost(name, octet);
  }

  /** `supervise --ini examples/multi-host/app.ini` on a host, with APP_ADDR its address; two workers. */
  async startHost(name: string): Promise<Supervise> {
    const host = this.lab.host(name);
    const sup = new Supervise(['--ini', path.join(EXAMPLE, 'app.ini'), '--processes', '2'], {
      env: { APP_ADDR: host.addr },
      prefix: this.lab.prefix(name),
    });
    this.sups.set(name, sup);
    await sup.waitReady(2, 20_000);
    return sup;
  }

  /** The example's nginx.conf, unchanged but for the hosts `extra` adds to the upstream. */
  writeNginx(extra: string[] = []): void {
    const conf = readFileSync(path.join(EXAMPLE, 'nginx.conf'), 'utf8');
    const servers = extra.map((addr) => `        server ${addr}:5000 max_fails=3 fail_timeout=10s;\n`).join('');
    writeFileSync(path.join(this.dir, 'nginx.conf'), conf.replace(/(        server 10\.0\.0\.13:5000[^\n]*\n)/, `$1${servers}`));
  }

  writeHaproxy(extra: string[] = []): void {
    const conf = readFileSync(path.join(EXAMPLE, 'haproxy.cfg'), 'utf8');
    const servers = extra.map((addr, i) => `    server x${i + 1} ${addr}:5000\n`).join('');
    writeFileSync(path.join(this.dir, 'haproxy.cfg'), conf.replace(/(    server h3 [^\n]*\n)/, `$1${servers}`));
  }

  async startNginx(): Promise<void> {
    this.writeNginx();
    this.balancer = this.lab.spawn('lb', NGINX!, ['-p', this.dir, '-c', 'nginx.conf', '-g', 'daemon off;']);
    await this.waitFront();
  }

  async startHaproxy(): Promise<void> {
    this.writeHaproxy();
    this.balancer = this.lab.spawn('lb', HAPROXY!, ['-W', '-db', '-f', 'haproxy.cfg'], { cwd: this.dir });
    await this.waitFront();
  }

  /** Reload of the balancer: nginx and HAProxy (-W) re-read their config on SIGHUP / SIGUSR2. */
  reloadBalancer(kind: 'nginx' | 'haproxy'): void {
    process.kill(this.balancer!.pid!, kind === 'nginx' ? 'SIGHUP' : 'SIGUSR2');
  }

  async waitFront(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const r = this.lab.run('lb', CURL!, ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', FRONT]);
      if (r.stdout === '200') return;
      await sleep(100);
    }
    throw new Error('the balancer never answered 200');
  }

  async startPrometheus(): Promise<void> {
    const dir = path.join(this.dir, 'prometheus');
    mkdirSync(dir);
    for (const f of ['prometheus.yml', 'tsgi-rules.yml']) copyFileSync(path.join(EXAMPLE, f), path.join(dir, f));
    this.prometheus = this.lab.spawn('lb', PROMETHEUS!, [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--web.listen-address=127.0.0.1:9090',
    ]);
    this.prometheus.stdout!.resume();
    this.prometheus.stderr!.resume();
  }

  /** GET on Prometheus's HTTP API from the balancer host. */
  prom(query: string): any {
    const r = this.lab.run('lb', CURL!, ['-s', '--max-time', '2', `http://127.0.0.1:9090${query}`]);
    try {
      return JSON.parse(r.stdout);
    } catch {
      return undefined;
    }
  }

  /** wrk and the probe against the balancer for `ms`; `during` runs once the load is going. */
  async underLoad(ms: number, during: () => Promise<void>): Promise<Outcome> {
    const wrk = collect(
      this.lab.spawn('lb', WRK!, ['-t1', `-c${LOAD_CONNECTIONS}`, `-d${Math.round(ms / 1000)}s`, '--timeout', '5s', FRONT]),
      ms + 20_000,
    );
    const probe = collect(
      this.lab.spawn('lb', process.execPath, [path.join(FIXTURES, 'ns-probe.mjs'), FRONT, String(PROBE_CONNECTIONS), String(ms)]),
      ms + 20_000,
    );
    await sleep(500);
    await during();
    const [w, p] = await Promise.all([wrk, probe]);
    const { start, requests } = JSON.parse(p) as { start: number; requests: Outcome['timeline'] };
    const summary = parseWrk(w);
    const probeFailed = requests.filter((r) => r[2] !== 200).length;
    return { requests: summary.requests + requests.length, failed: summary.failed + probeFailed, wrk: w, timeline: requests, start };
  }

  pidsOf(name: string): Set<number> {
    return new Set(this.sups.get(name)!.allWorkerPids());
  }

  destroy(): void {
    for (const sup of this.sups.values()) void sup.kill();
    this.lab.destroy();
  }
}

/** ms from `at` (epoch) until the probe's requests stop failing or waiting more than 1 s: how long rerouting took. */
function rerouteMs(o: Outcome, at: number): number {
  const since = at - o.start;
  let last = since;
  for (const [t, ms, outcome] of o.timeline) {
    if (t + ms < since) continue;
    if (outcome !== 200 || ms > 1000) last = Math.max(last, t + ms);
  }
  return last - since;
}

/** ms from `at` (epoch) until the first request answered by one of `pids`, or -1. */
function firstServedBy(o: Outcome, at: number, pids: Set<number>): number {
  const since = at - o.start;
  const hit = o.timeline.filter(([t, , outcome, pid]) => t >= since && outcome === 200 && pids.has(pid)).map(([t, ms]) => t + ms);
  return hit.length ? Math.min(...hit) - since : -1;
}

function report(what: string, o: Outcome, more = ''): void {
  // the figures the closing note quotes
  console.log(`# ${what}: ${o.requests} requests, ${o.failed} failed${more}`);
}

/** At most one request per client connection: what a fault on one host may cost when `hosts` share the load. */
const boundFor = (hosts: number): number => Math.ceil((LOAD_CONNECTIONS + PROBE_CONNECTIONS) / hosts);

for (const kind of ['nginx', 'haproxy'] as const) {
  const kindSkip = SKIP || (kind === 'haproxy' && !HAPROXY ? 'needs haproxy: apt-get install haproxy' : false);
  describe(`examples/multi-host behind ${kind}: three hosts in network namespaces`, { skip: kindSkip }, () => {
    let site: Site;
    /** resolves with ms from h2's death to Prometheus's TsgiDown alert firing, -1 if it never did */
    let alerted: Promise<number> | undefined;
    before(async () => {
      site = new Site();
      await Promise.all(HOSTS.map(([name]) => site.startHost(name)));
      if (kind === 'nginx') await site.startNginx();
      else await site.startHaproxy();
      if (kind === 'nginx' && PROMETHEUS) await site.startPrometheus();
    });
    after(() => site?.destroy());

    test('rolling deploy: SIGHUP host by host under load, 0 failed requests; every host served', async () => {
      const o = await site.underLoad(6000, async () => {
        await sleep(1000);
        for (const [name] of HOSTS) {
          const sup = site.sups.get(name)!;
          const from = sup.log.length;
          sup.signal('SIGHUP');
          await sup.waitFor(/reload complete/, 20_000, from);
        }
      });
      report(`${kind}: rolling deploy`, o);
      assert.equal(o.failed, 0, o.wrk);
      const served = new Set(o.timeline.map((r) => r[3]));
      for (const [name] of HOSTS) assert.ok([...site.pidsOf(name)].some((p) => served.has(p)), `${name} serves`);
    });

    test('scale-out: a fourth host joins with a reload of the balancer and gets traffic', async () => {
      site.lab.addHost('h4', 14);
      await site.startHost('h4');
      let at = 0;
      const o = await site.underLoad(4000, async () => {
        if (kind === 'nginx') site.writeNginx(['10.0.0.14']);
        else site.writeHaproxy(['10.0.0.14']);
        at = Date.now();
        site.reloadBalancer(kind);
      });
      const joined = firstServedBy(o, at, site.pidsOf('h4'));
      report(`${kind}: scale-out`, o, `, the new host served ${joined} ms after the balancer's reload`);
      assert.ok(joined >= 0, 'the fourth host serves');
      if (kind === 'haproxy') assert.equal(o.failed, 0, o.wrk);
      // nginx's reload closes the old workers' idle client connections at once: a request a
      // client sends on one at that instant is lost unless the client retries it (browsers
      // and most HTTP libraries do; wrk does not). At most one per client connection.
      else assert.ok(o.failed <= LOAD_CONNECTIONS + PROBE_CONNECTIONS, `${o.failed} failed\n${o.wrk}`);
    });

    test('a host whose master is SIGKILLed: the balancer routes around it', async () => {
      const promUp = (): number =>
        (site.prom('/api/v1/query?query=up')?.data?.result ?? []).filter((r: any) => r.value?.[1] === '1').length;
      if (site.prometheus) {
        // every host scraped once before the fault
        for (let i = 0; i < 200 && promUp() < HOSTS.length; i++) await sleep(100);
        assert.equal(promUp(), HOSTS.length, 'Prometheus scrapes the three hosts');
      }
      const sup = site.sups.get('h2')!;
      let at = 0;
      const o = await site.underLoad(4000, async () => {
        await sleep(500);
        at = Date.now();
        sup.signal('SIGKILL');
      });
      if (site.prometheus) alerted = watchAlert(site, at);
      const reroute = rerouteMs(o, at);
      report(`${kind}: host h2 SIGKILLed`, o, `, rerouted within ${reroute} ms`);
      // four hosts share the load now (h4 joined)
      assert.ok(o.failed <= boundFor(4), `${o.failed} failed > ${boundFor(4)}\n${o.wrk}`);
    });

    test('a host taken off the network and plugged back: routed around, then it gets traffic again', async () => {
      let down = 0;
      let up = 0;
      const o = await site.underLoad(6000, async () => {
        await sleep(500);
        down = Date.now();
        site.lab.plug('h3', false);
        await sleep(2000);
        up = Date.now();
        site.lab.plug('h3', true);
      });
      const reroute = rerouteMs(o, down);
      const back = firstServedBy(o, up, site.pidsOf('h3'));
      report(`${kind}: host h3 off the network for 2 s`, o, `, rerouted within ${reroute} ms, serving again ${back} ms after it came back`);
      // h1, h3 and h4 share the load (h2 is dead)
      assert.ok(o.failed <= boundFor(3), `${o.failed} failed > ${boundFor(3)}\n${o.wrk}`);
      assert.ok(back >= 0, 'h3 serves again once it is back');
    });

    // Prometheus watches the nginx site only: one proof of the alert is enough
    if (kind === 'nginx') test('Prometheus fires TsgiDown for the dead host within scrape interval + for', { skip: PROMETHEUS ? false : 'needs prometheus: apt-get install prometheus' }, async () => {
      const ms = await alerted!;
      console.log(`# ${kind}: TsgiDown firing ${ms} ms after h2's master died`);
      // scrape interval 5 s + for 15 s, plus an evaluation interval (5 s) and a little slack
      assert.ok(ms >= 0 && ms <= 30_000, `TsgiDown fired after ${ms} ms`);
    });
  });
}

/** Polls Prometheus's alerts from `at` (h2's death) until TsgiDown fires for h2 (bounded: 45 s). */
async function watchAlert(site: Site, at: number): Promise<number> {
  while (Date.now() < at + 45_000) {
    const alerts = site.prom('/api/v1/alerts')?.data?.alerts ?? [];
    if (alerts.some((a: any) => a.labels?.alertname === 'TsgiDown' && a.labels?.instance === '10.0.0.12:9191' && a.state === 'firing')) return Date.now() - at;
    await sleep(500);
  }
  return -1;
}

describe('the lab cleans up after itself', { skip: LAB_SKIP }, () => {
  const namespaces = (): string[] => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);

  test('destroy() kills what runs in the hosts and deletes every namespace', async () => {
    const lab = new Lab().create();
    lab.addHost('a', 1);
    const child = lab.spawn('a', 'sleep', ['60']);
    await new Promise((r) => child.once('spawn', r));
    assert.ok(namespaces().some((n) => n.startsWith(`${lab.tag}-`)));
    lab.destroy();
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
    assert.deepEqual(namespaces().filter((n) => n.startsWith(`${lab.tag}-`)), []);
  });

  test('a run killed before its cleanup leaves namespaces that the next lab sweeps away', async () => {
    // a test process that builds a lab, then dies by SIGKILL (no after() hook runs)
    const script = `import { Lab } from ${JSON.stringify(path.join(ROOT, 'test/dist/netns.js'))};
      const lab = new Lab().create(); lab.addHost('a', 1); console.log(lab.tag); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const tag = await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal(namespaces().filter((n) => n.startsWith(`${tag}-`)).length, 2, 'the dead run left its switch and host');
    Lab.sweep();
    assert.deepEqual(namespaces().filter((n) => n.startsWith(`${tag}-`)), []);
  });
});
