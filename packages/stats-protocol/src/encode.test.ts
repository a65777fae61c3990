import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeStats } from './decode.js';
import { encodeStats } from './encode.js';
import type { StatsDocument } from './types.js';
import { readFixture, tsgiDocument, uwsgiSample, uwsgiSampleText } from './fixtures.js';

test('re-encoding the real uWSGI 2.0.21 dump reproduces it byte for byte', () => {
  const sample = uwsgiSampleText();
  assert.equal(encodeStats(JSON.parse(sample) as StatsDocument), sample);
});

test('the decoded sample encodes back to the same bytes', () => {
  const sample = uwsgiSampleText();
  const decoded = decodeStats(sample);
  assert.ok(decoded.ok);
  assert.equal(encodeStats(decoded.doc), sample);
});

test('minified output is the same document without any whitespace', () => {
  const doc = uwsgiSample();
  const minified = encodeStats(doc, { minified: true });
  assert.equal(minified, JSON.stringify(doc));
  assert.doesNotMatch(minified.replace(/"(?:[^"\\]|\\.)*"/g, '""'), /\s/);
});

test('pretty-print quirks: object values indented after the colon, empty containers on two lines, no trailing newline', () => {
  const text = encodeStats(uwsgiSample());
  assert.ok(text.includes('\t\t\t\t\t"req_info":\t\t\t\t\t{\n\n\t\t\t\t\t}'));
  assert.ok(text.includes('\t\t\t\t\t"vars":[\n\n\t\t\t\t\t]'));
  assert.ok(text.includes('"vars":[\n"REQUEST_METHOD=GET",\n'), 'vars strings are not indented');
  assert.ok(text.includes('\n""\n\t\t\t\t\t]'), 'vars end with an empty string');
  assert.ok(text.startsWith('{\n\t"version":"2.0.21-debian",\n'));
  assert.ok(text.endsWith('\n\t]\n}'));
});

test('keys come out in uWSGI order whatever order the objects were built in', () => {
  const doc = uwsgiSample();
  const reversed = (o: object): Record<string, unknown> => Object.fromEntries(Object.entries(o).reverse());
  const shuffled = {
    ...reversed(doc),
    workers: doc.workers.map((w) => ({ ...reversed(w), cores: w.cores.map(reversed), apps: w.apps.map(reversed) })),
    sockets: doc.sockets.map(reversed),
  } as unknown as StatsDocument;
  assert.equal(encodeStats(shuffled), uwsgiSampleText());
});

test('tsgi document: additions after uWSGI keys, tsgi object last, matches the golden file', () => {
  const text = encodeStats(tsgiDocument());
  assert.equal(text, readFixture('tsgi-stats-sample.json'));
  assert.ok(text.includes('\t\t\t"cores":['));
  assert.match(text, /\t\t\t\]\,\n\t\t\t"elu":0\.0625,\n\t\t\t"cpu":0,\n\t\t\t"in_flight":0,\n\t\t\t"draining":0,\n\t\t\t"recycle_reason":"scale-down",\n\t\t\t"backoff":0,\n\t\t\t"ready":0\n\t\t\}/);
  assert.match(text, /\n\t\],\n\t"spoolers":\[[\s\S]*\n\t\],\n\t"tsgi":\t\{\n\t\t"version":"0\.1\.0",/);
  assert.ok(text.endsWith('\n\t\t]\n\t}\n}'));
});

test('an empty top-level object value and an empty list follow the same quirks', () => {
  const doc = { ...tsgiDocument(), tsgi: { version: '0.1.0', started_at: 1, reloads: 0, phase: 'starting', draining: [] } };
  const text = encodeStats(doc);
  assert.ok(text.endsWith('\t"tsgi":\t{\n\t\t"version":"0.1.0",\n\t\t"started_at":1,\n\t\t"reloads":0,\n\t\t"phase":"starting",\n\t\t"draining":[\n\n\t\t]\n\t}\n}'));
});

test('metrics (a map of objects) are written like uWSGI writes them', () => {
  const doc = { ...uwsgiSample(), metrics: { 'core.busy_workers': { type: 1, oid: '', value: 2 } } };
  const text = encodeStats(doc);
  assert.ok(text.includes('\t"metrics":\t{\n\t\t"core.busy_workers":\t\t{\n\t\t\t"type":1,\n\t\t\t"oid":"",\n\t\t\t"value":2\n\t\t}\n\t},\n\t"sockets":['));
});

test('strings are always JSON-escaped, unlike uWSGI, so the output parses', () => {
  const doc = { ...uwsgiSample(), cwd: 'C:\\srv\\"odd"\tdir\u0001' };
  doc.locks = [{ 'spooler on /a"b': 0 }];
  for (const minified of [false, true]) {
    const text = encodeStats(doc, { minified });
    const parsed = JSON.parse(text) as StatsDocument;
    assert.equal(parsed.cwd, doc.cwd);
    assert.deepEqual(parsed.locks, doc.locks);
  }
});

test('values JSON cannot carry do not break the output', () => {
  const doc = uwsgiSample();
  const worker = doc.workers[1];
  assert.ok(worker);
  Object.assign(worker, { elu: Number.NaN, cpu: Number.POSITIVE_INFINITY, in_flight: undefined });
  const parsed = JSON.parse(encodeStats(doc)) as StatsDocument;
  assert.equal(parsed.workers[1]?.elu, 0);
  assert.equal(parsed.workers[1]?.cpu, 0);
  assert.equal(Object.hasOwn(parsed.workers[1] ?? {}, 'in_flight'), false);
});

test('decode(encode(doc)) round-trips uWSGI and tsgi documents, pretty and minified', () => {
  for (const doc of [uwsgiSample(), tsgiDocument()]) {
    for (const minified of [false, true]) {
      const decoded = decodeStats(encodeStats(doc, { minified }));
      assert.ok(decoded.ok);
      assert.deepEqual(decoded.warnings, []);
      assert.deepEqual(decoded.doc, doc);
    }
  }
});
