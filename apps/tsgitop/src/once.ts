/**
 * `--once` and `--json`: one answer, printed as plain text, for scripts and tests. No
 * terminal handling at all. `--once` prints the same header lines and table as the screen
 * with every column (a pipe has no width); RPS shows `-`, since one answer has no interval
 * to measure. Exit codes: 0 printed, 1 a server did not answer with a stats document.
 */
import { decodeStats, fetchStatsText } from '@tsgi/stats-protocol';
import { displayHost } from './address.js';
import { ServerModel } from './model.js';
import { Poller, type FetchText, type PollResult } from './poller.js';
import { headerLines } from './views/header.js';
import { DEFAULT_SORT } from './views/columns.js';
import { buildTable } from './views/table.js';

export interface OnceIo {
  out(text: string): void;
  err(text: string): void;
  hostname: string;
  fetchText?: FetchText;
  timeoutMs?: number;
}

const TIMEOUT_MS = 3000;

/** Prints each server's table, a blank line between servers. */
export async function printOnce(addresses: readonly string[], io: OnceIo): Promise<number> {
  let code = 0;
  for (const [i, address] of addresses.entries()) {
    const model = new ServerModel(address, { host: displayHost(address, io.hostname) });
    model.ingest(await askOnce(address, io));
    const text = renderOnce(model);
    if (text === undefined) {
      const { connection } = model;
      io.err(`tsgitop: ${connection.state === 'down' || connection.state === 'malformed' ? connection.error : 'no answer'}\n`);
      code = 1;
      continue;
    }
    io.out(`${i > 0 ? '\n' : ''}${text}\n`);
  }
  return code;
}

/** The plain-text screen of a model, or undefined without any snapshot. */
export function renderOnce(model: ServerModel): string | undefined {
  const snapshot = model.latest;
  if (!snapshot) return undefined;
  const header = headerLines(snapshot, { host: model.host, address: model.address, averages: false });
  const table = buildTable(snapshot, { view: 'workers', sort: { column: DEFAULT_SORT, reverse: false } });
  return [...header, table.header, ...table.lines.map((line) => line.text)].join('\n');
}

/** Prints the document exactly as received; exits 1 (after printing) if it is not a stats document. */
export async function printJson(address: string, io: OnceIo): Promise<number> {
  let text: string;
  try {
    text = await (io.fetchText ?? fetchStatsText)(address, { timeoutMs: io.timeoutMs ?? TIMEOUT_MS });
  } catch (error) {
    io.err(`tsgitop: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  io.out(text.endsWith('\n') ? text : `${text}\n`);
  const decoded = decodeStats(text);
  if (decoded.ok) return 0;
  io.err(`tsgitop: ${decoded.error}\n`);
  return 1;
}

/** One ask through the same poller the screen uses, so both read servers the same way. */
function askOnce(address: string, io: OnceIo): Promise<PollResult> {
  return new Promise((resolve) => {
    const poller: Poller = new Poller(address, { intervalMs: 0, timeoutMs: io.timeoutMs ?? TIMEOUT_MS, fetchText: io.fetchText }, (result) => {
      poller.stop();
      resolve(result);
    });
    poller.start();
  });
}
