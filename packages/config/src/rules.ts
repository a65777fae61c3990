/**
 * Cross-field rules, checked once every value is parsed and normalised: contradictions
 * between options (errors), options that are set but can have no effect (warnings), and
 * what the host imposes (`listen` above somaxconn). Pure: a function of the config, where
 * each option was set, and the host facts.
 */
import type { TsgiConfig } from './config.js';
import { describeLocation, diagnostic, type ConfigDiagnostic, type SourceLocation } from './diagnostics.js';
import { OPTIONS, findOption } from './options.js';
import { appExportName } from './app-spec.js';
import type { HostFacts } from './placeholders.js';
import { nodeArgsProblem } from './node-args.js';

/** What the rules need besides the config. */
export interface RuleContext {
  /** Where each option that was set explicitly got its (last) value, by table name. */
  sources: ReadonlyMap<string, SourceLocation>;
  host: Pick<HostFacts, 'somaxconn'>;
  /** Location for global errors (no app, no socket): the first config file, if any. */
  origin?: SourceLocation;
  /** Options whose value is unknown because of an earlier error (a rejected value, an
   * unreadable file): rules about them would only repeat that error. */
  invalid?: ReadonlySet<string>;
  /** An ignored uWSGI option that names a Python app (`wsgi-file`, `module`), where it was set. */
  pythonApp?: { option: string; where: SourceLocation };
}

/** Errors and warnings found by the rules. */
export interface RuleFindings {
  errors: ConfigDiagnostic[];
  warnings: ConfigDiagnostic[];
}

type Rule = (config: TsgiConfig, context: RuleContext, found: RuleFindings) => void;

/** `"processes" (4, set at app.ini:3)`: an option, its value and where it came from. */
function valueAt(name: string, value: number, context: RuleContext): string {
  const where = context.sources.get(name);
  if (where !== undefined) return `"${name}" (${value}, set at ${describeLocation(where)})`;
  const cpus = findOption(name)?.dynamicDefault === 'cpus' ? ': the CPUs this process may use' : '';
  return `"${name}" (${value}, its default${cpus})`;
}

/** True when none of `names` had a rejected value. */
function valid(context: RuleContext, ...names: string[]): boolean {
  return !names.some((name) => context.invalid?.has(name) === true);
}

/** The location of whichever of `names` was set, preferring the first. */
function locate(context: RuleContext, ...names: string[]): { where: SourceLocation; option: string } {
  for (const name of names) {
    const where = context.sources.get(name);
    if (where !== undefined) return { where, option: name };
  }
  return { where: context.origin ?? {}, option: names[0] ?? '' };
}

const requireAppAndSocket: Rule = (config, context, found) => {
  if (config.app === undefined && valid(context, 'app')) {
    const python = context.pythonApp;
    const message = python ? `no app configured: "${python.option}" names a Python app of uWSGI, which tsgi cannot run; set app = ./server.js` : 'no app configured: set app = ./server.js';
    found.errors.push(diagnostic('TSGI_CONFIG_NO_APP', message, python?.where ?? context.origin, 'app'));
  }
  if (config.httpSocket.length + config.socket.length + config.http.length === 0 && valid(context, 'http-socket', 'socket', 'http')) {
    found.errors.push(diagnostic('TSGI_CONFIG_NO_SOCKET', 'no socket configured: set http-socket = :8080 (or a unix socket path)', context.origin, 'http-socket'));
  }
  if (config.app !== undefined && config.callable !== undefined && appExportName(config.app) !== undefined) {
    const { where } = locate(context, 'callable');
    const message = `option "callable": "${config.callable}" conflicts with the export named in app = ${config.app}; keep one`;
    found.errors.push(diagnostic('TSGI_CONFIG_APP_CONFLICT', message, where, 'callable'));
  }
};

const checkCheaper: Rule = (config, context, found) => {
  if (!valid(context, 'cheaper', 'processes', 'cheaper-initial', 'cheaper-busyness-min', 'cheaper-busyness-max')) return;
  const { cheaper, processes, cheaperInitial } = config;
  if (cheaper > 0 && cheaper >= processes) {
    const message = `option "cheaper": ${cheaper} must be lower than ${valueAt('processes', processes, context)}`;
    found.errors.push(diagnostic('TSGI_CONFIG_CHEAPER_TOO_HIGH', message, locate(context, 'cheaper').where, 'cheaper'));
  } else if (cheaper > 0 && context.sources.has('cheaper-initial') && (cheaperInitial < cheaper || cheaperInitial > processes)) {
    const message = `option "cheaper-initial": ${cheaperInitial} must be between ${valueAt('cheaper', cheaper, context)} and ${valueAt('processes', processes, context)}`;
    found.errors.push(diagnostic('TSGI_CONFIG_CHEAPER_INITIAL_RANGE', message, locate(context, 'cheaper-initial').where, 'cheaper-initial'));
  }
  if (config.cheaperBusynessMin >= config.cheaperBusynessMax && (context.sources.has('cheaper-busyness-min') || context.sources.has('cheaper-busyness-max'))) {
    const { where, option } = locate(context, 'cheaper-busyness-min', 'cheaper-busyness-max');
    const message = `option "cheaper-busyness-min": ${config.cheaperBusynessMin} must be lower than ${valueAt('cheaper-busyness-max', config.cheaperBusynessMax, context)}`;
    found.errors.push(diagnostic('TSGI_CONFIG_BUSYNESS_ORDER', message, where, option));
  }
};

const checkLifetimes: Rule = (config, context, found) => {
  if (!valid(context, 'min-worker-lifetime', 'max-worker-lifetime', 'forkbomb-delay', 'respawn-backoff-max')) return;
  if (config.maxWorkerLifetime > 0 && config.minWorkerLifetime >= config.maxWorkerLifetime) {
    const { where, option } = locate(context, 'min-worker-lifetime', 'max-worker-lifetime');
    const message = `option "min-worker-lifetime": ${config.minWorkerLifetime} must be lower than ${valueAt('max-worker-lifetime', config.maxWorkerLifetime, context)}`;
    found.errors.push(diagnostic('TSGI_CONFIG_LIFETIME_ORDER', message, where, option));
  }
  if (config.respawnBackoffMax < config.forkbombDelay) {
    const { where, option } = locate(context, 'respawn-backoff-max', 'forkbomb-delay');
    const message = `option "respawn-backoff-max": ${config.respawnBackoffMax} must not be lower than ${valueAt('forkbomb-delay', config.forkbombDelay, context)}`;
    found.errors.push(diagnostic('TSGI_CONFIG_BACKOFF_ORDER', message, where, option));
  }
};

const checkListen: Rule = (config, context, found) => {
  const limit = context.host.somaxconn;
  if (limit !== undefined && config.listen > limit) {
    const message = `option "listen": ${config.listen} exceeds net.core.somaxconn (${limit}); the kernel will silently cap the backlog at ${limit}`;
    found.warnings.push(diagnostic('TSGI_CONFIG_LISTEN_ABOVE_SOMAXCONN', message, locate(context, 'listen').where, 'listen'));
  }
};

/**
 * `websocket-drain` against `worker-reload-mercy`: the drain's close frames come only once
 * it has passed, and the mercy's SIGKILL comes first when the drain is not shorter, so the
 * WebSockets it was meant to close cleanly are reset instead.
 */
const checkWebsocketDrain: Rule = (config, context, found) => {
  if (!valid(context, 'websocket-drain', 'worker-reload-mercy') || config.websocketDrain < config.workerReloadMercy) return;
  const { where, option } = locate(context, 'websocket-drain', 'worker-reload-mercy');
  const [drain, mercy] = [config.websocketDrain, config.workerReloadMercy];
  const conflict =
    option === 'websocket-drain'
      ? `option "websocket-drain": ${drain} s is not shorter than ${valueAt('worker-reload-mercy', mercy, context)}`
      : `option "worker-reload-mercy": ${mercy} s is not longer than ${valueAt('websocket-drain', drain, context)}`;
  const message = `${conflict}: a draining worker is killed before its WebSockets get their close frame 1001, so they are reset`;
  found.warnings.push(diagnostic('TSGI_CONFIG_DRAIN_OUTLASTS_MERCY', message, where, option));
};

const checkNodeArgs: Rule = (config, context, found) => {
  for (const value of config.nodeArgs) {
    const problem = nodeArgsProblem(value);
    if (problem !== undefined) found.errors.push(diagnostic('TSGI_CONFIG_INVALID_VALUE', `option "node-args": ${problem}`, locate(context, 'node-args').where, 'node-args'));
  }
};

/** Options that do nothing unless another is set: [options, is it in effect, why not]. */
const DEPENDENT_OPTIONS: ReadonlyArray<readonly [RegExp, (c: TsgiConfig) => boolean, string]> = [
  [/^cheaper-/, (c) => c.cheaper > 0, 'without cheaper'],
  [/^cheaper-busyness-/, (c) => c.cheaperAlgo === 'busyness', 'unless cheaper-algo = busyness'],
  [/^max-requests-delta$/, (c) => c.maxRequests > 0, 'without max-requests'],
  [/^max-worker-lifetime-delta$/, (c) => c.maxWorkerLifetime > 0, 'without max-worker-lifetime'],
  [/^harakiri-verbose$/, (c) => c.harakiri > 0, 'without harakiri'],
  [/^stats-/, (c) => c.stats !== undefined, 'without stats'],
  [/^stats-http-(dashboard|actions-token)$/, (c) => c.statsHttp, 'without stats-http'],
  [/^stats-http-actions-token$/, (c) => c.statsHttpDashboard, 'with stats-http-dashboard = false'],
  [/^die-on-idle$/, (c) => c.idle > 0, 'without idle'],
  [/^http-sticky$/, (c) => c.http.length > 0, 'without the http router (http =)'],
];

/** Printable ASCII, as an HTTP header carries it, and long enough not to be guessed. */
const ACTIONS_TOKEN = /^[\x21-\x7e]{16,}$/;

/**
 * `stats-http-actions-token` guards reloads and scaling from anyone who can reach the
 * stats: a short one is guessed. The message never repeats the token.
 */
const checkActionsToken: Rule = (config, context, found) => {
  const token = config.statsHttpActionsToken;
  if (token === undefined || ACTIONS_TOKEN.test(token) || !valid(context, 'stats-http-actions-token')) return;
  const message = `option "stats-http-actions-token": the token (${token.length} characters) must be at least 16 printable ASCII characters without spaces, such as the output of \`openssl rand -hex 16\``;
  found.errors.push(diagnostic('TSGI_CONFIG_ACTIONS_TOKEN', message, locate(context, 'stats-http-actions-token').where, 'stats-http-actions-token'));
};

const warnNoEffect: Rule = (config, context, found) => {
  for (const [name, where] of context.sources) {
    const reason = DEPENDENT_OPTIONS.find(([pattern, inEffect]) => pattern.test(name) && !inEffect(config))?.[2];
    if (reason !== undefined) {
      found.warnings.push(diagnostic('TSGI_CONFIG_NO_EFFECT', `option "${name}" has no effect ${reason}`, where, name));
    }
  }
};

const warnPlanned: Rule = (_config, context, found) => {
  for (const spec of OPTIONS) {
    const where = context.sources.get(spec.name);
    if (spec.status === 'planned' && where !== undefined) {
      found.warnings.push(diagnostic('TSGI_CONFIG_NOT_IMPLEMENTED', `option "${spec.name}" is not implemented yet; it has no effect`, where, spec.name));
    }
  }
};

const RULES: readonly Rule[] = [requireAppAndSocket, checkCheaper, checkLifetimes, checkListen, checkActionsToken, checkWebsocketDrain, checkNodeArgs, warnNoEffect, warnPlanned];

/** Run every cross-field rule over a parsed, normalised config. */
export function checkRules(config: TsgiConfig, context: RuleContext): RuleFindings {
  const found: RuleFindings = { errors: [], warnings: [] };
  for (const rule of RULES) rule(config, context, found);
  return found;
}
