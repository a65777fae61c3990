import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INITIAL_UI, type UiState } from '../ui-state.js';
import { ServerModel } from '../model.js';
import { fakeDocument } from '../testing/fake-server.js';
import { answer, downResult, modelWith, sampleDoc } from '../testing/docs.js';
import { buildFrame, type Frame, type FrameInput } from './frame.js';
import { helpLines } from './help.js';

const NOW = 1_795_303_770_000;

function frame(models: ServerModel[], overrides: Partial<FrameInput> = {}, ui: Partial<UiState> = {}): Frame {
  return buildFrame({ models, ui: { ...INITIAL_UI, ...ui }, width: 80, height: 16, intervalSeconds: 1, now: NOW, ...overrides });
}

/** Everything the uwsgitop area shows, top to bottom. */
function screenLines(f: Frame): string[] {
  return [...f.header, f.tableHeader ?? '', ...(f.message ? [f.message.text] : f.rows.map((row) => row.text)), f.status.text];
}

function fakeModel(workers: number): ServerModel {
  const options = { workers, rps: 10, masterPid: 500, startedAt: 1_795_303_700 };
  return modelWith([fakeDocument({ ...options, elapsed: 60 }), fakeDocument({ ...options, elapsed: 61 })]);
}

describe('frame in an 80x24 terminal (16 rows above the charts)', () => {
  it('shows the header, every row of 4 workers and the status line within 80 columns', () => {
    const f = frame([fakeModel(4)]);
    const lines = screenLines(f);
    assert.ok(lines.length <= 16, lines.join('\n'));
    for (const line of lines) assert.ok(line.length <= 80, line);
    assert.equal(f.rows.length, 4);
    assert.deepEqual(f.rows.map((row) => row.text.trim().split(/\s+/)[0]), ['4', '3', '2', '1']);
    assert.match(f.header[0]!, /RPS: 100 /);
    assert.match(f.status.text, /sort REQ desc/);
  });

  it('pages 64 workers and keeps the scroll within the rows', () => {
    const model = fakeModel(64);
    const f = frame([model], {}, { scroll: 1000 });
    assert.equal(f.totalRows, 64);
    assert.equal(f.rows.length, f.pageRows);
    assert.equal(f.scroll, 64 - f.pageRows);
    assert.equal(f.rows.at(-1)!.text.trim().split(/\s+/)[0], '1');
    assert.doesNotMatch(frame([model], { width: 200, height: 50 }).status.text, /hidden/);
  });

  it('before any answer says it is connecting, then why there is no data', () => {
    const model = new ServerModel('127.0.0.1:9191', { host: '127.0.0.1' });
    assert.match(frame([model]).message!.text, /connecting to 127\.0\.0\.1:9191/);
    model.ingest(downResult(NOW - 5000));
    const f = frame([model]);
    assert.equal(f.message!.level, 'error');
    assert.match(f.message!.text, /connection refused/);
    assert.equal(f.tableHeader, undefined);
  });

  it('when the server goes down, says so in red and keeps the last data', () => {
    const model = modelWith([sampleDoc()], NOW - 10_000);
    model.ingest(downResult(NOW - 4000));
    const f = buildFrame({ models: [model], ui: INITIAL_UI, width: 200, height: 30, intervalSeconds: 1, now: NOW });
    assert.equal(f.status.level, 'error');
    assert.match(f.status.text, /DOWN since \d\d:\d\d:\d\d: no stats server at 127\.0\.0\.1:9191 \(connection refused\) \| retrying every 1s \| showing data of/);
    assert.equal(f.rows.length, 4);
  });

  it('says when the server restarted, for a while', () => {
    const model = modelWith([sampleDoc()], NOW - 2000);
    model.ingest(answer({ ...sampleDoc(), pid: 777 }, NOW - 1000));
    assert.equal(frame([model]).status.level, 'warn');
    assert.match(frame([model], { width: 200 }).status.text, /server restarted \(master pid 9499 -> 777\) at/);
    assert.equal(frame([model], { now: NOW + 60_000 }).status.level, 'info');
  });

  it('lists the servers when there are several and shows the chosen one', () => {
    const first = modelWith([sampleDoc()]);
    const second = new ServerModel('/run/app/stats.sock', { host: 'box' });
    second.ingest(downResult(NOW));
    const f = frame([first, second], { width: 200 }, { server: 1 });
    assert.match(f.status.text, /^ 1 \[2!\] \| DOWN since/);
    assert.match(f.header[1]!, /stats: \/run\/app\/stats\.sock/);
  });

  it('carries chart series only when charts are shown, and the help only when asked', () => {
    const model = fakeModel(4);
    assert.equal(frame([model]).charts, undefined);
    const charts = frame([model], { chartPoints: 30 }).charts!;
    assert.deepEqual(charts.rps.y, [100]);
    assert.equal(charts.memory.y.length, 2);
    assert.equal(frame([model]).help, undefined);
    assert.deepEqual(frame([model], {}, { help: true }).help, helpLines());
  });
});

describe('help', () => {
  it('fits an 80x24 terminal inside its border', () => {
    const lines = helpLines();
    assert.ok(lines.length + 2 <= 24);
    for (const line of lines) assert.ok(line.length <= 76, line);
    assert.ok(lines.some((line) => /^ {2}q {2}Ctrl-C +quit$/.test(line)));
  });
});
