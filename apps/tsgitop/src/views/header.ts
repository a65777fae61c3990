/**
 * The lines above the table. The first two are uwsgitop's, word for word:
 *
 *     uwsgi-2.0.21-debian - Sat Nov 21 23:33:54 2026 - req: 17823 - RPS: 4311 - lq: 0 - tx: 1.5M
 *     node: 127.0.0.1 - cwd: /srv/app - uid: 0 - gid: 0 - masterpid: 19636
 *
 * (a tsgi server shows `tsgi-<its version>` where uWSGI shows `uwsgi-<version>`); the third
 * adds what tsgi knows beyond uwsgitop: the workers by status, tsgi's phase, reloads and
 * draining workers, and the stats address. On a narrow screen the first line shows the
 * clock without the date, uwsgitop's lines break between their ` - ` parts rather than
 * lose their end, and the third line leaves out the parts that do not fit. Pure.
 */
import type { StatsDocument } from '@tsgi/stats-protocol';
import type { Snapshot } from '../model.js';
import { averageTotalRate } from './averages.js';
import { clip, clock, ctime, formatRate, humanSize, sumOf } from './format.js';

export interface HeaderContext {
  /** `node:` as uwsgitop shows it: the host of a tcp/http address, else this machine's name. */
  host: string;
  address: string;
  /** The `m` view: RPS averaged since start. */
  averages: boolean;
}

/** Header lines for `snapshot`, each at most `width` columns (no limit when undefined). */
export function headerLines(snapshot: Snapshot, context: HeaderContext, width?: number): string[] {
  const { doc } = snapshot;
  const rps = context.averages ? averageTotalRate(snapshot) : snapshot.rates.total;
  const first = (time: string) => [
    serverName(doc),
    time,
    `req: ${sumOf(doc.workers, (w) => w.requests)}`,
    `${context.averages ? 'RPS(avg)' : 'RPS'}: ${formatRate(rps)}`,
    `lq: ${doc.listen_queue}`,
    `tx: ${humanSize(sumOf(doc.workers, (w) => w.tx))}`,
  ];
  const date = new Date(snapshot.at);
  const full = first(ctime(date));
  // On a narrow screen the clock alone keeps uwsgitop's first line on one line.
  const top = width !== undefined && full.join(' - ').length > width ? first(clock(date)) : full;
  const second = [
    `node: ${context.host}`,
    `cwd: ${doc.cwd}`,
    `uid: ${doc.uid}`,
    `gid: ${doc.gid}`,
    `masterpid: ${doc.pid}`,
  ];
  const third = [workersSummary(doc), ...tsgiSummary(doc), `stats: ${context.address}`];
  return [...joinParts(top, width), ...joinParts(second, width), fitParts(third, width)];
}

/** uwsgitop prints `"uwsgi" + "-" + version`, or bare `uwsgi` without a version. */
export function serverName(doc: StatsDocument): string {
  if (doc.tsgi?.version) return `tsgi-${doc.tsgi.version}`;
  return doc.version ? `uwsgi-${doc.version}` : 'uwsgi';
}

/** `workers: 4 (busy 1, idle 1, cheap 2)`, statuses in the order first seen. */
export function workersSummary(doc: StatsDocument): string {
  const counts = new Map<string, number>();
  for (const worker of doc.workers) {
    const status = worker.status.startsWith('sig') ? 'sig' : worker.status;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const parts = [...counts].map(([status, count]) => `${status} ${count}`);
  return `workers: ${doc.workers.length}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

function tsgiSummary(doc: StatsDocument): string[] {
  if (!doc.tsgi) return [];
  const { phase, reloads, draining } = doc.tsgi;
  const parts = [`phase: ${phase}`, `reloads: ${reloads}`];
  if (draining.length > 0) {
    const inFlight = sumOf(draining, (d) => d.in_flight);
    parts.push(`draining: ${draining.length} (${inFlight} in flight)`);
  }
  return parts;
}

/** Joins parts with ` - `, starting a new line where the next part would pass `width`. */
export function joinParts(parts: readonly string[], width?: number): string[] {
  if (width === undefined) return [parts.join(' - ')];
  const lines: string[] = [];
  let line = '';
  for (const part of parts) {
    const candidate = line === '' ? part : `${line} - ${part}`;
    if (candidate.length <= width || line === '') line = candidate;
    else {
      lines.push(line);
      line = part;
    }
  }
  lines.push(line);
  return lines.map((text) => clip(text, width));
}

/** Joins the parts that fit in `width`, in order, leaving out those that do not. */
export function fitParts(parts: readonly string[], width?: number): string {
  if (width === undefined) return parts.join(' - ');
  let line = '';
  for (const part of parts) {
    const candidate = line === '' ? part : `${line} - ${part}`;
    if (candidate.length <= width) line = candidate;
  }
  return line === '' ? clip(parts[0] ?? '', width) : line;
}
