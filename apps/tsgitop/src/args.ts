/**
 * The command line: `tsgitop ADDRESS... [--frequency s] [--once | --json]`. uwsgitop takes
 * one address and an integer `--frequency`; tsgitop takes several addresses (one screen
 * each) and fractional seconds. Parsing returns errors instead of printing or exiting:
 * only main does that.
 */
import { parseAddress, StatsError } from '@tsgi/stats-protocol';

export interface Options {
  addresses: string[];
  /** Seconds between an answer and the next ask. */
  frequency: number;
  mode: 'tui' | 'once' | 'json';
}

export type ParsedArgs = { kind: 'run'; options: Options } | { kind: 'help' } | { kind: 'error'; error: string };

export const USAGE = `usage: tsgitop ADDRESS... [--frequency SECONDS] [--once | --json]

Shows the workers of a tsgi (or uWSGI) master from its stats server, like uwsgitop.

  ADDRESS            host:port, a unix socket path, @abstract-name or http://host:port/
                     (several addresses: one screen each, switched with Tab or 1-9)
  --frequency S      seconds between refreshes (default 1; fractions allowed)
  --once             print the table once as plain text and exit
  --json             print the raw stats document and exit
  -h, --help         this help; press h inside tsgitop for the keys
`;

const MIN_FREQUENCY = 0.1;

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const addresses: string[] = [];
  let frequency = 1;
  let once = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (flag === '-h' || flag === '--help') return { kind: 'help' };
    if (flag === '--once') once = true;
    else if (flag === '--json') json = true;
    else if (flag === '--frequency' || flag === '-f') {
      const value = inline ?? argv[++i];
      const seconds = value === undefined || value.trim() === '' ? NaN : Number(value);
      if (!(seconds >= MIN_FREQUENCY) || !Number.isFinite(seconds)) {
        return { kind: 'error', error: `--frequency wants a number of seconds >= ${MIN_FREQUENCY}, got ${JSON.stringify(value ?? '')}` };
      }
      frequency = seconds;
    } else if (flag.startsWith('-') && flag.length > 1) return { kind: 'error', error: `unknown option ${flag}` };
    else addresses.push(arg);
  }
  if (addresses.length === 0) return { kind: 'error', error: 'no stats address given (e.g. tsgitop 127.0.0.1:9191)' };
  if (once && json) return { kind: 'error', error: '--once and --json do not go together' };
  if (json && addresses.length > 1) return { kind: 'error', error: '--json prints one raw document: give one address' };
  for (const address of addresses) {
    const problem = addressProblem(address);
    if (problem) return { kind: 'error', error: problem };
  }
  return { kind: 'run', options: { addresses, frequency, mode: json ? 'json' : once ? 'once' : 'tui' } };
}

function addressProblem(address: string): string | undefined {
  try {
    parseAddress(address);
    return undefined;
  } catch (error) {
    if (error instanceof StatsError) return error.message;
    throw error;
  }
}
