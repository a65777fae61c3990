import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatsCore, StatsDocument } from '@tsgi/stats-protocol';
import { modelWith, sampleDoc, withWorkers } from '../testing/docs.js';
import { COLUMN_IDS, type ColumnId } from './columns.js';
import { formatLastSpawn } from './format.js';
import { statusColour } from './rows.js';
import { buildTable, type SortOrder } from './table.js';

const BY_REQ: SortOrder = { column: 'REQ', reverse: false };

function cellsOf(line: string): string[] {
  return line.trim().split(/\s+/);
}

function column(table: ReturnType<typeof buildTable>, id: ColumnId): string[] {
  const index = table.shown.indexOf(id);
  return table.lines.map((line) => cellsOf(line.text)[index]!);
}

describe('worker table', () => {
  it("shows uwsgitop's columns, then CPU, ELU and WS (open WebSockets), with uwsgitop's figures for the uWSGI sample", () => {
    const table = buildTable(modelWith([sampleDoc()]).latest!, { view: 'workers', sort: BY_REQ });
    assert.deepEqual(cellsOf(table.header), [...COLUMN_IDS]);
    assert.ok(table.header.startsWith(' WID'));
    const spawn = formatLastSpawn(1_795_303_724);
    const spawn3 = formatLastSpawn(1_795_303_737);
    assert.deepEqual(
      table.lines.map((line) => cellsOf(line.text)),
      [
        ['1', '44.1', '0', '15', '-', '1', '0', 'cheap', '3000ms', '0', '0', '1.2K', '1', '0', '6005.242', spawn, '-', '-', '-'],
        ['2', '32.4', '9502', '11', '-', '0', '0', 'idle', '375ms', '11.0M', '58.4M', '935', '1', '0', '6003.007', spawn, '-', '-', '-'],
        ['3', '23.5', '10009', '8', '-', '0', '0', 'busy', '23ms', '11.0M', '58.4M', '688', '1', '0', '6001.101', spawn3, '-', '-', '-'],
        ['0', '0.0', '0', '0', '-', '0', '0', 'cheap', '0ms', '0', '0', '0', '0', '0', '0.0', '--:--:--', '-', '-', '-'],
      ],
    );
    assert.deepEqual(
      table.lines.map((line) => line.colour),
      ['magenta', 'default', 'green', 'magenta'],
    );
  });

  it('aligns every column: each cell starts where its title starts', () => {
    const table = buildTable(modelWith([sampleDoc()]).latest!, { view: 'workers', sort: BY_REQ });
    const starts = (line: string) => [...line.matchAll(/\S+/g)].map((match) => match.index);
    for (const line of table.lines) assert.deepEqual(starts(line.text), starts(table.header));
  });

  it('shows rates once two answers can be compared', () => {
    const doc = sampleDoc();
    const model = modelWith([doc, withWorkers(sampleDoc(), { 2: { requests: 20 }, 3: { requests: 10 } })]);
    const table = buildTable(model.latest!, { view: 'workers', sort: BY_REQ });
    assert.deepEqual(column(table, 'WID'), ['2', '1', '3', '0']);
    assert.deepEqual(column(table, 'RPS'), ['9', '0', '2', '0']);
  });

  it('sorts by any column, naturally or reversed, keeping document order on ties', () => {
    const snapshot = modelWith([sampleDoc()]).latest!;
    const wids = (sort: SortOrder) => column(buildTable(snapshot, { view: 'workers', sort }), 'WID');
    assert.deepEqual(wids({ column: 'REQ', reverse: false }), ['1', '2', '3', '0']);
    assert.deepEqual(wids({ column: 'REQ', reverse: true }), ['0', '3', '2', '1']);
    assert.deepEqual(wids({ column: 'WID', reverse: false }), ['0', '1', '2', '3']);
    assert.deepEqual(wids({ column: 'PID', reverse: false }), ['1', '0', '2', '3']);
    assert.deepEqual(wids({ column: 'RSS', reverse: false }), ['2', '3', '1', '0']);
    assert.deepEqual(wids({ column: 'STATUS', reverse: false }), ['3', '1', '0', '2']);
    assert.deepEqual(wids({ column: 'AVG', reverse: false }), ['1', '2', '3', '0']);
    assert.deepEqual(wids({ column: 'LastSpwn', reverse: false }), ['3', '1', '2', '0']);
    for (const id of COLUMN_IDS) assert.equal(wids({ column: id, reverse: false }).length, 4, id);
  });

  it('sorts rows without a value (no rate yet) last in both directions', () => {
    const tsgi = sampleDoc();
    const snapshot = modelWith([withWorkers(tsgi, { 2: { cpu: 50 }, 3: { cpu: 10 } })]).latest!;
    const wids = (reverse: boolean) => column(buildTable(snapshot, { view: 'workers', sort: { column: 'CPU', reverse } }), 'WID');
    assert.deepEqual(wids(false), ['2', '3', '1', '0']);
    assert.deepEqual(wids(true), ['3', '2', '1', '0']);
  });

  it('fits 80 columns by leaving out the least needed columns', () => {
    const model = modelWith([tsgiDoc(64), tsgiDoc(64, 10)]);
    for (const width of [80, 100, 120]) {
      const table = buildTable(model.latest!, { view: 'workers', sort: BY_REQ, width });
      assert.equal(table.lines.length, 64);
      for (const line of [table.header, ...table.lines.map((l) => l.text)]) assert.ok(line.length <= width, `${width}: ${line}`);
      for (const id of ['WID', 'PID', 'REQ', 'RPS', 'STATUS', 'CPU', 'ELU', 'RSS'] as const) assert.ok(table.shown.includes(id), `${width}: ${id}`);
      assert.deepEqual([...table.shown, ...table.hidden].sort(), [...COLUMN_IDS].sort());
    }
    assert.deepEqual(buildTable(model.latest!, { view: 'workers', sort: BY_REQ, width: 200 }).hidden, []);
  });

  it('marks where the sorted column title is', () => {
    const table = buildTable(modelWith([sampleDoc()]).latest!, { view: 'workers', sort: { column: 'RPS', reverse: false } });
    const [start, end] = table.sortSpan!;
    assert.equal(table.header.slice(start, end), 'RPS');
  });
});

describe('core views (a)', () => {
  const doc = twoCoreDoc();

  it('cores: one row per used core, wid:cid, busy worker with an idle core shows -', () => {
    const table = buildTable(modelWith([doc]).latest!, { view: 'cores', sort: BY_REQ });
    assert.deepEqual(column(table, 'WID'), ['1:1', '2:0', '1:0']);
    assert.deepEqual(column(table, 'REQ'), ['10', '7', '5']);
    assert.deepEqual(column(table, 'STATUS'), ['busy', 'idle', '-']);
    assert.deepEqual(column(table, 'PID'), ['101', '102', '101']);
  });

  it('nested: each worker then its used cores, fewest requests first, with - elsewhere', () => {
    const table = buildTable(modelWith([doc]).latest!, { view: 'nested', sort: BY_REQ });
    const rows = table.lines.map((line) => line.text);
    assert.deepEqual(rows.map((text) => text.slice(1, 4).trim()), ['1', ':0', ':1', '2', ':0', '0']);
    const firstCore = cellsOf(rows[1]!);
    assert.deepEqual(firstCore.slice(0, 8), [':0', '22.7', '-', '5', '-', '-', '-', 'idle']);
    assert.equal(table.lines[2]!.colour, 'green');
  });
});

describe('status colours', () => {
  it("follows uwsgitop's pairs, red for a slot in crash backoff", () => {
    assert.equal(statusColour('busy'), 'green');
    assert.equal(statusColour('cheap'), 'magenta');
    assert.equal(statusColour('sig17'), 'yellow');
    assert.equal(statusColour('pause'), 'blue');
    assert.equal(statusColour('idle'), 'default');
    assert.equal(statusColour('cheap', { ...sampleDoc().workers[0]!, backoff: 4 }), 'red');
  });
});

function core(id: number, requests: number, inRequest: number): StatsCore {
  return { id, requests, static_requests: 0, routed_requests: 0, offloaded_requests: 0, write_errors: 0, read_errors: 0, in_request: inRequest, vars: [], req_info: {} };
}

/** Worker 1 busy with cores of 5 (idle) and 10 (busy) requests; worker 2 idle with 7 and an unused core; a never-spawned slot. */
function twoCoreDoc(): StatsDocument {
  const base = sampleDoc();
  const [w1, w2, , w0] = base.workers;
  return {
    ...base,
    workers: [
      { ...w1!, id: 1, pid: 101, status: 'busy', requests: 15, cores: [core(0, 5, 0), core(1, 10, 1)] },
      { ...w2!, id: 2, pid: 102, status: 'idle', requests: 7, cores: [core(0, 7, 0), core(1, 0, 0)] },
      { ...w0!, cores: [core(0, 0, 0)] },
    ],
  };
}

/** `n` tsgi workers with large figures, the widest cells a table meets. */
function tsgiDoc(n: number, extra = 0): StatsDocument {
  const base = sampleDoc();
  const template = base.workers[2]!;
  return {
    ...base,
    workers: Array.from({ length: n }, (_, i) => ({
      ...template,
      id: i + 1,
      pid: 4_000_000 + i,
      requests: 12_345_678 + i * extra,
      tx: 3 * 1024 ** 3,
      rss: 900 * 1024 * 1024,
      vsz: 12 * 1024 ** 3,
      running_time: 123_456_789_012,
      cpu: 100,
      elu: 1,
    })),
  };
}
