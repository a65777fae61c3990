/**
 * `supervise`: argv → config → master. The only place that prints to the
 * terminal on its own and calls process.exit (docs/conventions.md, "No console, no
 * process.exit in library code").
 */
import { writeSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, loadConfig, parseArgv, renderHelp, renderIni, type LoadResult } from '@tsgi/config';
import { LogMaster, Master, SupervisorError, VERSION, logOwner, openLogFile, signalPidfile, statsSink } from '@tsgi/supervisor';
import { startupDone } from './startup.js';

/** Exit status of a configuration error (nothing was started). */
const EXIT_CONFIG = 2;

const out = (text: string): void => void writeSync(1, text.endsWith('\n') ? text : text + '\n');
const err = (text: string): void => void writeSync(2, text.endsWith('\n') ? text : text + '\n');

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--init') return runInit(argv.slice(1));
  const parsed = parseArgv(argv);
  if (parsed.action === 'help') return out(renderHelp()), 0;
  if (parsed.action === 'version') return out(`tsgi ${VERSION}`), 0;
  if (parsed.action === 'signal' && parsed.signal === 'SIGURG') return (await import('./upgrade.js')).upgrade(parsed.pidfile, out, err);
  if (parsed.action === 'signal') {
    const pid = signalPidfile(parsed.pidfile, parsed.signal);
    out(`sent ${parsed.signal} to the tsgi master (pid: ${pid})`);
    return 0;
  }
  const load = (): LoadResult => loadConfig({ argv, env: process.env, cwd: process.cwd() });
  const first = load();
  for (const w of first.warnings) err(`warning: ${formatDiagnostic(w)}`);
  if (!first.config) {
    for (const e of first.errors) err(`error: ${formatDiagnostic(e)}`);
    err(`supervise: configuration error${first.errors.length > 1 ? 's' : ''}, nothing started (see supervise --help)`);
    return EXIT_CONFIG;
  }
  if (parsed.action === 'show-config') return out(renderIni(first.config)), 0;

  const config = first.config;
  // the log files are the first files supervise creates
  if (config.umask !== undefined) process.umask(config.umask);
  const owner = logOwner(config.uid, config.gid);
  const openLog = (file: string): number => openLogFile(file, owner, config.logfileChmod);
  const daemonLog = process.env['TSGI_DAEMONIZED'];
  if (config.daemonize && !daemonLog) return daemonize(openLog(config.daemonize), config.daemonize, argv);
  // the master writes every line: its own, the workers' and spoolers' output and the request log
  const logs = new LogMaster({ cfg: config, logto: daemonLog ?? config.logto, ...(owner ? { owner } : {}) });
  const master = new Master({
    config,
    stats: statsSink,
    logger: logs.logger,
    logs,
    readConfig: () => {
      const r = load();
      return {
        ...(r.config ? { config: r.config } : {}),
        errors: r.errors.map(formatDiagnostic),
        warnings: r.warnings.map(formatDiagnostic),
      };
    },
  });
  if (config.autoProcname || config.procnameMaster || config.procnamePrefix || config.procnamePrefixSpaced) {
    process.title = config.procnameMaster ?? `${config.procnamePrefix ?? (config.procnamePrefixSpaced ? config.procnamePrefixSpaced + ' ' : '')}tsgi master`;
  }
  startupDone(config.http.length > 0);
  const status = await master.run();
  // the workers' last lines (flushed as they exited) are still in the pipes
  await logs.close();
  return status;
}

/** `supervise --init [app]`: writes a starter app.ini (init.ts) and says how to run it. */
async function runInit(args: string[]): Promise<number> {
  if (args.length > 1 || args[0]?.startsWith('-')) return err('usage: supervise --init [app module]'), EXIT_CONFIG;
  const { init } = await import('./init.js');
  const done = init(process.cwd(), args[0]);
  if (!done.ok) return err(`supervise: ${done.error}`), 1;
  for (const line of done.lines) out(line);
  return 0;
}

/** `daemonize = logfile`: the same command, detached, logging to the file (open as `fd`); this process exits at once. */
function daemonize(fd: number, logfile: string, argv: string[]): number {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...argv], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, TSGI_DAEMONIZED: logfile },
  });
  child.unref();
  out(`supervise: daemonized (pid: ${child.pid}), logging to ${logfile}`);
  return 0;
}

/**
 * One line for an error that ended supervise. A SupervisorError is a known failure with
 * its code; anything else is an unwrapped system error (an unresolvable `stats` host's
 * ENOTFOUND, say) or a bug, and still gets one line with its errno code: a stack trace
 * only helps a developer, who sets TSGI_DEBUG to see it.
 */
function describeFailure(e: unknown, debug: boolean): string {
  if (e instanceof SupervisorError) return `supervise: ${e.message} [${e.code}]`;
  if (debug) return `supervise: internal error: ${(e as Error | undefined)?.stack ?? String(e)}`;
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const tagged = typeof code === 'string' && !message.includes(code) ? `${message} [${code}]` : message;
  return `supervise: ${tagged.split('\n')[0]}\n(an error tsgi does not describe: check the addresses and paths of the config; set TSGI_DEBUG=1 for the stack trace)`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    err(describeFailure(e, Boolean(process.env['TSGI_DEBUG'])));
    process.exit(1);
  },
);
