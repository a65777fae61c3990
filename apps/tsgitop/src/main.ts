/**
 * tsgitop's entry: argv → one of the three modes (screen, `--once`, `--json`). The only
 * place that prints to the terminal outside the screen and the only `process.exit`.
 * Every way out of the screen (q, Ctrl-C, SIGTERM, SIGHUP, a crash) goes through
 * `restore()` first, so the terminal is never left in raw mode or the alternate screen.
 */
import os from 'node:os';
import { parseArgs, USAGE } from './args.js';
import { printJson, printOnce } from './once.js';
import { startTui, type TuiSession } from './tui.js';

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`tsgitop: ${parsed.error}\n${USAGE}`);
    return 2;
  }
  const { options } = parsed;
  const io = {
    out: (text: string) => void process.stdout.write(text),
    err: (text: string) => void process.stderr.write(text),
    hostname: os.hostname(),
  };
  if (options.mode === 'json') return printJson(options.addresses[0]!, io);
  if (options.mode === 'once') return printOnce(options.addresses, io);
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    process.stderr.write('tsgitop: the screen needs a terminal; use --once or --json in scripts\n');
    return 2;
  }
  return runScreen(options);
}

function runScreen(options: Parameters<typeof startTui>[0]): Promise<number> {
  let session: TuiSession | undefined;
  const crash = (error: unknown): void => {
    session?.restore();
    process.stderr.write(`tsgitop: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(70);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  process.on('exit', () => session?.restore());
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    process.on(signal, () => session?.quit(128 + (os.constants.signals[signal] ?? 0)));
  }
  session = startTui(options, { hostname: os.hostname(), onFatal: crash });
  return session.done;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`tsgitop: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
