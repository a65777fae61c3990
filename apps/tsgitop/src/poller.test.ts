import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Poller, type PollOutcome, type PollResult } from './poller.js';
import { startFakeServer, type FakeServer } from './testing/fake-server.js';
import { sampleText } from './testing/docs.js';

/** Collects results; `next(ms)` waits (bounded) for the next one. */
function collector() {
  const results: PollResult[] = [];
  const waiters: Array<() => void> = [];
  return {
    results,
    onResult: (result: PollResult) => {
      results.push(result);
      waiters.shift()?.();
    },
    async count(n: number, ms = 3000): Promise<void> {
      const deadline = Date.now() + ms;
      while (results.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${results.length} of ${n} results within ${ms} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 20);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

describe('Poller', () => {
  it('asks again only after each answer, never two at once', async () => {
    let inFlight = 0;
    let most = 0;
    const fetchText = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight--;
      return sampleText();
    };
    const sink = collector();
    const poller = new Poller('127.0.0.1:9191', { intervalMs: 1, fetchText }, sink.onResult);
    poller.start();
    poller.pollNow();
    poller.pollNow();
    await sink.count(4);
    poller.stop();
    assert.equal(most, 1);
    assert.ok(sink.results.every((result) => result.outcome.kind === 'document'));
  });

  it('turns every failure into an outcome and keeps polling', async () => {
    let calls = 0;
    const answers = [
      () => Promise.reject(new Error('boom')),
      () => Promise.resolve('{"workers": [ {"id": 1, '),
      () => Promise.resolve('not json at all'),
      () => Promise.resolve(sampleText()),
    ];
    const sink = collector();
    const poller = new Poller('127.0.0.1:9191', { intervalMs: 1, fetchText: () => answers[calls++ % answers.length]!() }, sink.onResult);
    poller.start();
    await sink.count(4);
    poller.stop();
    const kinds = sink.results.slice(0, 4).map((result) => result.outcome.kind);
    assert.deepEqual(kinds, ['down', 'malformed', 'malformed', 'document']);
    assert.match((sink.results[1]!.outcome as Extract<PollOutcome, { kind: 'malformed' }>).error, /truncated/);
  });

  it('re-arms a long wait when the interval shortens (fast mode)', async () => {
    const sink = collector();
    const poller = new Poller('x:1', { intervalMs: 60_000, fetchText: async () => sampleText() }, sink.onResult);
    poller.start();
    await sink.count(1);
    poller.setInterval(5);
    await sink.count(3, 2000);
    poller.stop();
  });

  it('reports nothing after stop', async () => {
    const sink = collector();
    const poller = new Poller('x:1', { intervalMs: 1, fetchText: async () => sampleText() }, sink.onResult);
    poller.start();
    poller.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(sink.results.length, 0);
  });

  it('sends a bug in the result handler to onFatal instead of losing it', async () => {
    const fatal = await new Promise<unknown>((resolve) => {
      const poller: Poller = new Poller('x:1', { intervalMs: 1, fetchText: async () => sampleText(), onFatal: resolve }, () => {
        poller.stop();
        throw new Error('bug');
      });
      poller.start();
    });
    assert.match(String(fatal), /bug/);
  });
});

describe('Poller against a real socket', () => {
  let fake: FakeServer | undefined;
  after(async () => fake?.close());

  it('reads a document, then garbage, a truncated document and silence as malformed, then a gone server as down', async () => {
    fake = await startFakeServer({ workers: 4 });
    const sink = collector();
    const poller = new Poller(fake.address, { intervalMs: 1, timeoutMs: 1000 }, sink.onResult);
    poller.start();
    await sink.count(1);
    const modes = ['garbage', 'truncated', 'empty'] as const;
    for (const mode of modes) {
      fake.mode = mode;
      const seen = sink.results.length;
      await sink.count(seen + 2);
      assert.equal(sink.results.at(-1)!.outcome.kind, mode === 'empty' ? 'down' : 'malformed', mode);
    }
    await fake.close();
    fake = undefined;
    const seen = sink.results.length;
    await sink.count(seen + 2);
    poller.stop();
    const last = sink.results.at(-1)!.outcome;
    assert.equal(last.kind, 'down');
    assert.equal(last.kind === 'down' && last.code, 'ERR_STATS_UNREACHABLE');
    assert.equal(sink.results[0]!.outcome.kind, 'document');
  });
});
