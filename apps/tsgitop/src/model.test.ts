import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRestart, ServerModel, workerKey } from './model.js';
import { answer, downResult, sampleDoc, withWorkers } from './testing/docs.js';

const T0 = 1_795_303_760_000;

function fresh(): ServerModel {
  return new ServerModel('127.0.0.1:9191', { host: '127.0.0.1', historySize: 5 });
}

describe('ServerModel rates', () => {
  it('has no rate on the first answer (uwsgitop shows a spike there)', () => {
    const model = fresh();
    model.ingest(answer(sampleDoc(), T0));
    const rates = model.latest!.rates;
    assert.equal(rates.interval, undefined);
    assert.equal(rates.total, undefined);
    assert.ok([...rates.workers.values()].every((rate) => rate === undefined));
    assert.equal(model.history[0]!.rps, undefined);
  });

  it('derives requests/s per worker, per core and in total from counter deltas', () => {
    const model = fresh();
    const doc = sampleDoc();
    model.ingest(answer(doc, T0));
    const later = withWorkers(sampleDoc(), { 2: { requests: 31 }, 3: { requests: 13 } });
    later.workers[1]!.cores[0]!.requests = 31;
    model.ingest(answer(later, T0 + 2000));
    const rates = model.latest!.rates;
    assert.equal(rates.interval, 2);
    assert.equal(rates.workers.get('w1'), 0);
    assert.equal(rates.workers.get('w2'), 10);
    assert.equal(rates.workers.get('w3'), 2.5);
    assert.equal(rates.cores.get('w2:0'), 10);
    assert.equal(rates.total, 12.5);
    assert.equal(model.history.at(-1)!.rps, 12.5);
  });

  it('gives no rate, never a negative one, when a counter goes down (uWSGI reload)', () => {
    const model = fresh();
    const doc = sampleDoc();
    model.ingest(answer(doc, T0));
    model.ingest(answer(withWorkers(doc, { 2: { requests: 3 }, 3: { requests: 10 } }), T0 + 1000));
    const rates = model.latest!.rates;
    assert.equal(rates.workers.get('w2'), undefined);
    assert.equal(rates.workers.get('w3'), 2);
    assert.equal(rates.total, 2);
    for (const rate of rates.workers.values()) assert.ok(rate === undefined || rate >= 0);
  });

  it('restarts the comparison when the master changes, with a notice', () => {
    const model = fresh();
    const doc = sampleDoc();
    model.ingest(answer(doc, T0));
    model.ingest(answer({ ...withWorkers(doc, { 2: { requests: 500 } }), pid: 12345 }, T0 + 1000));
    assert.equal(model.latest!.rates.total, undefined);
    assert.match(model.notice!.text, /restarted \(master pid 9499 -> 12345\)/);
    model.ingest(answer({ ...withWorkers(doc, { 2: { requests: 510 } }), pid: 12345 }, T0 + 2000));
    assert.equal(model.latest!.rates.workers.get('w2'), 10);
  });

  it('keys never-spawned slots (all id 0) by position, so they do not share a counter', () => {
    const doc = sampleDoc();
    assert.equal(workerKey(doc.workers[3]!, 3), '#3');
    assert.equal(workerKey(doc.workers[0]!, 0), 'w1');
  });

  it('recognises a tsgi restart by started_at even with the same pid', () => {
    const doc = sampleDoc();
    const tsgi = { version: '0.1.0', started_at: 100, reloads: 0, phase: 'running', draining: [] };
    assert.equal(describeRestart({ ...doc, tsgi }, { ...doc, tsgi: { ...tsgi, reloads: 1 } }), undefined);
    assert.match(describeRestart({ ...doc, tsgi }, { ...doc, tsgi: { ...tsgi, started_at: 200 } }) ?? '', /restarted/);
  });
});

describe('ServerModel connection', () => {
  it('goes connecting → down → up, keeps the last good snapshot meanwhile, and says it is back', () => {
    const model = fresh();
    assert.equal(model.connection.state, 'connecting');
    model.ingest(downResult(T0));
    model.ingest(downResult(T0 + 1000));
    assert.deepEqual(model.connection, { state: 'down', since: T0, error: 'no stats server at 127.0.0.1:9191 (connection refused)' });
    model.ingest(answer(sampleDoc(), T0 + 2000));
    assert.deepEqual(model.connection, { state: 'up', since: T0 + 2000 });
    assert.equal(model.notice!.text, 'stats server is back');
    model.ingest(downResult(T0 + 3000));
    assert.equal(model.latest!.at, T0 + 2000);
  });

  it('marks a malformed answer without losing data or crashing', () => {
    const model = fresh();
    model.ingest(answer(sampleDoc(), T0));
    model.ingest({ address: 'x', at: T0 + 1000, clock: T0 + 1000, outcome: { kind: 'malformed', error: 'truncated stats document' } });
    assert.equal(model.connection.state, 'malformed');
    assert.equal(model.snapshots.length, 1);
  });

  it('bounds its history and snapshots', () => {
    const model = fresh();
    for (let i = 0; i < 20; i++) model.ingest(answer(sampleDoc(), T0 + i * 1000));
    assert.equal(model.history.length, 5);
    assert.equal(model.snapshots.length, 3);
    assert.equal(model.history.at(-1)!.at, T0 + 19_000);
  });

  it('notes a tsgi reload', () => {
    const model = fresh();
    const tsgi = { version: '0.1.0', started_at: 100, reloads: 0, phase: 'running', draining: [] };
    model.ingest(answer({ ...sampleDoc(), tsgi }, T0));
    model.ingest(answer({ ...sampleDoc(), tsgi: { ...tsgi, reloads: 1 } }, T0 + 1000));
    assert.equal(model.notice!.text, 'server reloaded (reload #1)');
    assert.notEqual(model.latest!.rates.total, undefined);
  });
});
