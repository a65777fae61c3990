import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfig, type TsgiConfig } from './config.js';
import { OPTIONS, OPTION_GROUPS, fieldName, findOption, findShortOption, normaliseKey } from './options.js';
import { ignoredOption, refusal } from './uwsgi-options.js';
import { parseValue } from './values.js';

// Written out so the compiler checks it against the interface: adding a TsgiConfig field
// without listing it here (or listing one that does not exist) fails the build.
const CONFIG_FIELDS = {
  app: true, callable: true, chdir: true, env: true, argv: true, needApp: true, lazyApps: true, lazy: true,
  httpSocket: true, socket: true, http: true, httpSticky: true, protocol: true, listen: true, chmodSocket: true, chownSocket: true, umask: true,
  socketTimeout: true, bodyReadTimeout: true, httpKeepalive: true, maxConn: true, onAppError: true,
  bufferSize: true, limitPost: true, reloadMercy: true, touchWorkersReload: true, touchChainReload: true,
  processes: true, master: true, threads: true, autoProcname: true, procnamePrefix: true,
  procnamePrefixSpaced: true, procnameMaster: true, pidfile: true, vacuum: true, prio: true, workerPrio: true, uid: true, gid: true,
  daemonize: true, logto: true, disableLogging: true, dieOnTerm: true, touchReload: true, masterFifo: true,
  workerReloadMercy: true, shutdownDelay: true, probes: true, websocketDrain: true,
  reloadSurge: true, harakiri: true, harakiriVerbose: true, maxRequests: true, maxRequestsDelta: true,
  minWorkerLifetime: true, maxWorkerLifetime: true, maxWorkerLifetimeDelta: true, reloadOnRss: true,
  reloadOnAs: true, evilReloadOnRss: true, evilReloadOnAs: true, workerStartTimeout: true, forkbombDelay: true, respawnBackoffMax: true,
  memoryReport: true, rebalance: true, cheaper: true, cheaperInitial: true, cheaperStep: true, cheaperOverload: true,
  cheaperAlgo: true, cheaperBusynessMax: true, cheaperBusynessMin: true, cheaperBusynessMultiplier: true,
  cheaperBusynessPenalty: true, cheaperBusynessBacklogAlert: true, cheaperBusynessBacklogStep: true,
  idle: true, cheap: true, dieOnIdle: true, stats: true, statsHttp: true, statsMinified: true, statsPush: true,
  statsNoCores: true, spooler: true, spoolerProcesses: true, spoolerFrequency: true, spoolerImport: true,
  statsChmod: true, statsHttpCors: true, statsHttpAllowHost: true, statsHttpDashboard: true, statsHttpActionsToken: true,
  spoolerQuiet: true, spoolerMaxTasks: true, spoolerHarakiri: true, setPlaceholder: true,
  nodeArgs: true,
  log4xx: true, log5xx: true, logSlow: true, logBig: true, logZero: true, logMicros: true, logXForwardedFor: true,
  logformat: true, logJson: true, logdate: true, logPrefix: true, logMaxsize: true, logBackupname: true, logReopen: true,
  touchLogreopen: true, touchLogrotate: true, logger: true, reqLogger: true, logMaster: true, logfileChmod: true, logfileChown: true,
} satisfies Record<keyof TsgiConfig, true>;

test('every table entry has a TsgiConfig field and every field an entry', () => {
  const fromTable = OPTIONS.map((spec) => fieldName(spec.name)).sort();
  assert.deepEqual(Object.keys(defaultConfig(4)).sort(), fromTable);
  assert.deepEqual(Object.keys(CONFIG_FIELDS).sort(), fromTable);
});

test('names, aliases and short flags are unique and never an ignored or refused uWSGI option', () => {
  const names = OPTIONS.flatMap((spec) => [spec.name, ...(spec.aliases ?? [])]);
  assert.equal(new Set(names).size, names.length);
  const shorts = OPTIONS.flatMap((spec) => (spec.short === undefined ? [] : [spec.short]));
  assert.equal(new Set(shorts).size, shorts.length);
  assert.ok(!shorts.includes('h'), '-h is --help');
  for (const name of names) {
    assert.equal(ignoredOption(name), undefined, name);
    assert.equal(refusal(name), undefined, name);
  }
});

test('each entry is well formed: doc line, group, enum values, default of its own type', () => {
  for (const spec of OPTIONS) {
    assert.ok(spec.doc.length > 10 && !spec.doc.includes('\n'), spec.name);
    assert.ok(spec.group in OPTION_GROUPS, spec.name);
    assert.equal(spec.type === 'enum', spec.values !== undefined, spec.name);
    if (spec.default !== undefined) {
      const parsed = parseValue(spec, String(spec.default));
      assert.deepEqual(parsed, { ok: true, value: spec.default }, spec.name);
    }
    if (spec.repeatable !== true && spec.type !== 'bool' && spec.default === undefined && spec.dynamicDefault === undefined) {
      // unset is a value of its own for these: no text, no socket, the inherited nice value
      assert.ok(['string', 'path', 'address', 'mode', 'priority'].includes(spec.type), `${spec.name} needs a default`);
    }
  }
});

test('defaults follow uWSGI and the brief', () => {
  const config = defaultConfig(3);
  assert.equal(config.processes, 3);
  assert.equal(config.listen, 100);
  assert.equal(config.threads, 1);
  assert.equal(config.master, true);
  assert.equal(config.minWorkerLifetime, 10);
  assert.equal(config.workerReloadMercy, 60);
  assert.equal(config.forkbombDelay, 2);
  assert.equal(config.respawnBackoffMax, 30);
  assert.equal(config.cheaperAlgo, 'busyness');
  assert.equal(config.cheaperStep, 1);
  assert.equal(config.cheaperOverload, 3);
  assert.deepEqual([config.cheaperBusynessMax, config.cheaperBusynessMin], [50, 25]);
  assert.equal(config.statsPush, 1);
  assert.equal(config.spoolerFrequency, 30);
  assert.deepEqual(config.httpSocket, []);
  assert.equal(config.app, undefined);
  assert.equal(config.chmodSocket, undefined);
});

test('lookups accept aliases, `_` for `-`, and short flags; names stay case-sensitive', () => {
  assert.equal(findOption('workers')?.name, 'processes');
  assert.equal(findOption('max_requests')?.name, 'max-requests');
  assert.equal(findOption('stats-min')?.name, 'stats-minified');
  assert.equal(findOption('Processes'), undefined);
  assert.equal(findShortOption('p')?.name, 'processes');
  assert.equal(findShortOption('R')?.name, 'max-requests');
  assert.equal(normaliseKey('http_socket'), 'http-socket');
  assert.equal(fieldName('cheaper-busyness-backlog-alert'), 'cheaperBusynessBacklogAlert');
});

test('the options of the brief are planned or active as asked', () => {
  const planned = OPTIONS.filter((spec) => spec.status === 'planned').map((spec) => spec.name).sort();
  assert.deepEqual(planned, []);
  for (const name of ['callable', 'lazy-apps', 'lazy', 'master', 'http-socket']) assert.equal(findOption(name)?.status, 'active', name);
});
