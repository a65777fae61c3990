import type { StatsDocument } from '@tsgi/stats-protocol';

/** SIGUSR1's summary in uWSGI's layout, from the stats document. */
export function statsSummary(doc: StatsDocument): string[] {
  const total = doc.workers.reduce((n, w) => n + w.requests, 0);
  const lines = [`\tworkers total requests: ${total}`, '-----------------'];
  doc.workers.forEach((w, i) => {
    lines.push(`\tworker ${i + 1} app 0 [] requests: ${w.requests} exceptions: ${w.exceptions}`, '-----------------');
  });
  return lines;
}
