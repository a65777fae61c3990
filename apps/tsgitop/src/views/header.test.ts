import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { modelWith, sampleDoc, withWorkers } from '../testing/docs.js';
import { ctime } from './format.js';
import { fitParts, headerLines, joinParts, serverName, workersSummary } from './header.js';

const CONTEXT = { host: '127.0.0.1', address: '127.0.0.1:9191', averages: false };

describe('header lines', () => {
  it("reproduces uwsgitop's two lines for the uWSGI sample", () => {
    const model = modelWith([sampleDoc()]);
    const lines = headerLines(model.latest!, CONTEXT);
    const time = ctime(new Date(model.latest!.at));
    assert.deepEqual(lines.slice(0, 2), [
      `uwsgi-2.0.21-debian - ${time} - req: 34 - RPS: - - lq: 0 - tx: 2.7K`,
      'node: 127.0.0.1 - cwd: /srv/app - uid: 0 - gid: 0 - masterpid: 9499',
    ]);
    assert.equal(lines[2], 'workers: 4 (cheap 2, idle 1, busy 1) - stats: 127.0.0.1:9191');
  });

  it('shows the rounded total rate once there is one', () => {
    const model = modelWith([sampleDoc(), withWorkers(sampleDoc(), { 2: { requests: 2089 }, 3: { requests: 10 } })]);
    assert.match(headerLines(model.latest!, CONTEXT)[0]!, / - req: 2114 - RPS: 2080 - /);
  });

  it("names a tsgi server by tsgi's version and adds its phase, reloads and draining workers", () => {
    const doc = {
      ...sampleDoc(),
      version: '0.1.0-tsgi',
      tsgi: { version: '0.1.0', started_at: 1, reloads: 2, phase: 'running', draining: [{ id: 2, pid: 9, reason: 'reload', since: 1, in_flight: 3 }] },
    };
    assert.equal(serverName(doc), 'tsgi-0.1.0');
    const lines = headerLines(modelWith([doc]).latest!, CONTEXT);
    assert.match(lines[0]!, /^tsgi-0\.1\.0 - /);
    assert.equal(lines[2], 'workers: 4 (cheap 2, idle 1, busy 1) - phase: running - reloads: 2 - draining: 1 (3 in flight) - stats: 127.0.0.1:9191');
  });

  it('writes bare uwsgi without a version, as uwsgitop', () => {
    assert.equal(serverName({ ...sampleDoc(), version: '' }), 'uwsgi');
  });

  it('fits 80 columns: the clock without the date, lines broken between parts, extras left out', () => {
    const doc = { ...sampleDoc(), cwd: '/srv/a/rather/long/path/to/the/application/directory' };
    const lines = headerLines(modelWith([doc]).latest!, CONTEXT, 80);
    for (const line of lines) assert.ok(line.length <= 80, line);
    assert.match(lines[0]!, /^uwsgi-2\.0\.21-debian - \d\d:\d\d:\d\d - req: 34 - RPS: - - lq: 0 - tx: 2\.7K$/);
    assert.equal(lines[1], 'node: 127.0.0.1 - cwd: /srv/a/rather/long/path/to/the/application/directory');
    assert.equal(lines[2], 'uid: 0 - gid: 0 - masterpid: 9499');
    assert.equal(lines.length, 4);
  });

  it('joinParts and fitParts', () => {
    assert.deepEqual(joinParts(['aaaa', 'bbbb', 'cc'], 11), ['aaaa - bbbb', 'cc']);
    assert.deepEqual(joinParts(['a-very-long-part'], 5), ['a-ve~']);
    assert.equal(fitParts(['aaaa', 'bbbbbbbbbb', 'cc'], 10), 'aaaa - cc');
  });

  it('counts workers by status, signals together', () => {
    const doc = withWorkers(sampleDoc(), { 1: { status: 'sig17' }, 2: { status: 'sig9' } });
    assert.equal(workersSummary(doc), 'workers: 4 (sig 2, busy 1, cheap 1)');
  });
});
