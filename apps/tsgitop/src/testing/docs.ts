/**
 * Documents and snapshots for the unit tests. The uWSGI sample is found from this file's
 * URL, so tests run the same from a fresh clone as in the workspace.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeStats, type StatsDocument, type StatsWorker } from '@tsgi/stats-protocol';
import { ServerModel } from '../model.js';
import type { PollResult } from '../poller.js';

export const SAMPLE_PATH = fileURLToPath(new URL('../../test-fixtures/uwsgi-stats-sample.json', import.meta.url));

/** The raw dump of a real uWSGI 2.0.21: slots cheaped (1), idle (2), busy (3), never spawned (0). */
export function sampleText(): string {
  return readFileSync(SAMPLE_PATH, 'utf8');
}

export function sampleDoc(): StatsDocument {
  const decoded = decodeStats(sampleText());
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.doc;
}

/** The sample with each worker's fields overridden by `changes[id]`. */
export function withWorkers(doc: StatsDocument, changes: Record<number, Partial<StatsWorker>>): StatsDocument {
  return { ...doc, workers: doc.workers.map((worker) => ({ ...worker, ...changes[worker.id] })) };
}

/** A poll result carrying `doc`, answered at epoch ms `at` (monotonic clock = `at`). */
export function answer(doc: StatsDocument, at: number, address = '127.0.0.1:9191'): PollResult {
  return { address, at, clock: at, outcome: { kind: 'document', doc, warnings: [] } };
}

export function downResult(at: number, error = 'no stats server at 127.0.0.1:9191 (connection refused)'): PollResult {
  return { address: '127.0.0.1:9191', at, clock: at, outcome: { kind: 'down', error, code: 'ERR_STATS_UNREACHABLE' } };
}

/** A model that has received `docs`, one a second from `start`. */
export function modelWith(docs: readonly StatsDocument[], start = 1_795_303_760_000): ServerModel {
  const model = new ServerModel('127.0.0.1:9191', { host: '127.0.0.1' });
  docs.forEach((doc, i) => model.ingest(answer(doc, start + i * 1000)));
  return model;
}
