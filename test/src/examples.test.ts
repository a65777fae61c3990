import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT, SUPERVISE, Supervise, freePort, killAll, request, tmp } from './harness.js';

after(killAll);

const EXAMPLES = path.join(ROOT, 'examples');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);

/** Every ini file under examples/, with the variables it needs. */
const inis = readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ini'))
  .map((f) => path.join(EXAMPLES, f));

describe('examples stay valid', () => {
  test('every example ini loads (supervise --show-config) without a warning, given the variables it names', () => {
    assert.ok(inis.length >= 5, inis.join(' '));
    for (const ini of inis) {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const [, name] of readFileSync(ini, 'utf8').matchAll(/\$\(([A-Z_]+)\)/g)) env[name!] = name!.endsWith('ADDR') ? '127.0.0.1' : '5000';
      const r = spawnSync(process.execPath, [SUPERVISE, '--ini', ini, '--show-config'], { env, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, `${path.relative(ROOT, ini)}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /warning:/, path.relative(ROOT, ini));
    }
  });

  test('every package an example app imports resolves from where the app lives', () => {
    const apps = readdirSync(EXAMPLES, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(m?js|cjs)$/.test(f));
    assert.ok(apps.length >= 2, apps.join(' '));
    for (const app of apps) {
      const file = path.join(EXAMPLES, app);
      const bare = [...readFileSync(file, 'utf8').matchAll(/^import .* from '([^.'][^']*)';$/gm)].map((m) => m[1]!).filter((s) => !s.startsWith('node:'));
      for (const spec of bare) {
        assert.doesNotThrow(() => createRequire(file).resolve(spec), `examples/${app} imports ${spec}: it must be a root devDependency to resolve from examples/`);
      }
    }
  });

  test('kubernetes: the grace period covers shutdown-delay and the mercy, and the probes name the stats port', () => {
    const ini = readFileSync(path.join(EXAMPLES, 'kubernetes/app.ini'), 'utf8');
    const yaml = readFileSync(path.join(EXAMPLES, 'kubernetes/deployment.yaml'), 'utf8');
    const num = (text: string, re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
    const grace = num(yaml, /terminationGracePeriodSeconds:\s*(\d+)/);
    const needed = num(ini, /^shutdown-delay\s*=\s*(\d+)/m) + num(ini, /^worker-reload-mercy\s*=\s*(\d+)/m);
    assert.ok(grace > needed, `terminationGracePeriodSeconds ${grace} must exceed shutdown-delay + mercy = ${needed}`);
    assert.match(yaml, /path: \/readyz/);
    assert.match(yaml, /path: \/livez/);
    assert.equal(num(yaml, /containerPort: (9191)/), num(ini, /^stats\s*=\s*:(\d+)/m));
  });

  for (const example of ['multi-host', 'websocket']) {
    test(`${example} nginx.conf passes nginx -t`, { skip: NGINX ? false : 'nginx is not installed' }, () => {
      // in a scratch prefix: nginx -t may create files there (its pid file)
      const dir = tmp('tsgi-nginx-t-');
      copyFileSync(path.join(EXAMPLES, example, 'nginx.conf'), path.join(dir, 'nginx.conf'));
      const r = spawnSync(NGINX!, ['-t', '-p', dir, '-c', 'nginx.conf'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, r.stderr);
    });
  }

  test('websocket: nginx.conf reaches the sockets app.ini binds, proxy_pass with what an upgrade needs (run behind nginx in nginx.test.ts)', () => {
    const ini = readFileSync(path.join(EXAMPLES, 'websocket/app.ini'), 'utf8');
    const conf = readFileSync(path.join(EXAMPLES, 'websocket/nginx.conf'), 'utf8');
    const httpSocket = /^http-socket\s*=\s*(\S+)/m.exec(ini)?.[1];
    const uwsgiSocket = /^socket\s*=\s*(\S+)/m.exec(ini)?.[1];
    const upstream = /upstream tsgi_http \{[^}]*server (\S+);/.exec(conf)?.[1];
    assert.ok(httpSocket && upstream === httpSocket, `proxy_pass upstream ${upstream} is the http-socket ${httpSocket}`);
    assert.ok(uwsgiSocket && conf.includes(`uwsgi_pass ${uwsgiSocket};`), `uwsgi_pass reaches the socket ${uwsgiSocket}`);
    for (const line of ['proxy_http_version 1.1;', 'proxy_set_header Upgrade $http_upgrade;', 'proxy_set_header Connection $connection_upgrade;', 'map $http_upgrade $connection_upgrade']) {
      assert.ok(conf.includes(line), `nginx.conf has ${line}`);
    }
  });

  test('multi-host: every metric the Prometheus rules use is served on /metrics by the example app.ini', async () => {
    const [port, stats] = await Promise.all([freePort(), freePort()]);
    const sup = new Supervise(
      ['--ini', path.join(EXAMPLES, 'multi-host/app.ini'), '--http-socket', `127.0.0.1:${port}`, '--stats', `127.0.0.1:${stats}`, '--processes', '2'],
      { env: { APP_ADDR: '127.0.0.1' } },
    );
    await sup.waitReady(2);
    assert.equal((await request(port, '/')).status, 200);
    const scrape = readFileSync(path.join(EXAMPLES, 'multi-host/prometheus.yml'), 'utf8');
    assert.match(scrape, /metrics_path: \/metrics/);
    const metrics = await request(stats, '/metrics');
    assert.equal(metrics.status, 200);
    const served = new Set([...metrics.body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const rules = readFileSync(path.join(EXAMPLES, 'multi-host/tsgi-rules.yml'), 'utf8');
    // metric names, not the recorded series (`instance:tsgi_requests:rate1m`)
    const used = new Set([...rules.matchAll(/(?<![:\w])(tsgi_[a-z_]+)\b(?!:)/g)].map((m) => m[1]));
    assert.ok(used.size >= 5, [...used].join(' '));
    for (const name of used) assert.ok(served.has(name), `${name} is used by tsgi-rules.yml but not served`);
    await sup.kill();
  });
});
