import type { TsgiConfig } from '@tsgi/config';
import { parseJsonKeys, parseLogDate, parseLogFormat, resolveAppSpec } from '@tsgi/config';
import { workerLimits, type RequestLogRules, type WorkerBoot } from '../protocol.js';

/** Report interval of the workers; stats are never staler than this plus a loop turn. */
export const REPORT_INTERVAL_MS = 250;

/** What a worker of `slot` is told at spawn (its sockets are added by the spawner). */
export function workerBoot(
  c: TsgiConfig,
  o: { slot: number; generation: number; cwd: string; slotRequests: number; procname: string | undefined },
): Omit<WorkerBoot, 'sockets'> {
  const app = resolveAppSpec(c, o.cwd)!; // loadConfig rejects a config without app
  return {
    id: o.slot,
    masterPid: process.pid,
    generation: o.generation,
    appFile: app.file,
    ...(app.exportName ? { exportName: app.exportName } : {}),
    argv: c.argv ? c.argv.split(/\s+/).filter(Boolean) : [],
    log: requestLogRules(c),
    threads: c.threads,
    // max-requests-delta: worker i recycles at N + (i-1)·delta, so workers do not recycle together
    maxRequests: c.maxRequests > 0 ? c.maxRequests + (o.slot - 1) * c.maxRequestsDelta : 0,
    minWorkerLifetime: c.minWorkerLifetime,
    reloadOnRss: c.reloadOnRss * 1024 * 1024,
    reloadOnAs: c.reloadOnAs * 1024 * 1024,
    reportIntervalMs: REPORT_INTERVAL_MS,
    ...(o.procname ? { procname: o.procname } : {}),
    ...(c.workerPrio !== undefined ? { priority: c.workerPrio } : {}),
    slotRequests: o.slotRequests,
    limits: workerLimits(c),
    ...(c.http.length > 0 ? { routed: true } : {}),
  };
}

/**
 * Which requests get a line and in which format: the templates are parsed here, in the
 * master, so the worker renders them without loading the config package (the config was
 * checked at load, so they parse).
 */
export function requestLogRules(c: TsgiConfig): RequestLogRules {
  const json = parseJsonKeys(c.logJson);
  const format = c.logformat === undefined ? undefined : parseLogFormat(c.logformat);
  const date = parseLogDate(c.logdate);
  return {
    all: !c.disableLogging,
    status4xx: c.log4xx,
    status5xx: c.log5xx,
    slowMs: c.logSlow,
    bigBytes: c.logBig,
    zero: c.logZero,
    micros: c.logMicros,
    xForwardedFor: c.logXForwardedFor,
    ...(json.ok && json.value ? { json: [...json.value] } : format?.ok ? { format: format.value.map((chunk) => ({ ...chunk })) } : {}),
    ...(date.kind === 'strftime' ? { ftime: date.format } : {}),
  };
}

/** The worker's environment: the master's, then `env = K=V` lines, then its ids (PM2's too). */
export function workerEnv(base: NodeJS.ProcessEnv, c: TsgiConfig, slot: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // systemd speaks to the master: a worker (or an app's sd-notify library) must not answer for it
  for (const k of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'TSGI_INHERIT_FDS', 'TSGI_UPGRADE_FROM']) delete env[k];
  for (const kv of c.env) {
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  env['TSGI_WORKER_ID'] = String(slot);
  env['NODE_APP_INSTANCE'] = String(slot - 1);
  return env;
}

/** `auto-procname`, `procname-prefix[-spaced]`: `tsgi worker 3` in ps and top. */
export function procname(c: TsgiConfig, role: string): string | undefined {
  if (!c.autoProcname && !c.procnamePrefix && !c.procnamePrefixSpaced) return undefined;
  const prefix = c.procnamePrefix ?? (c.procnamePrefixSpaced ? `${c.procnamePrefixSpaced} ` : '');
  return `${prefix}tsgi ${role}`;
}
