import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeStats } from './decode.js';
import { encodeStats, encodeStatsGeneric, genericWriter } from './encode.js';
import { compileEncoder } from './encode-compiled.js';
import type { FieldSpec, Shape } from './shape.js';
import type { StatsDaemon, StatsDocument } from './types.js';
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

// The compiled writer (encode-compiled.ts) against the generic one it must match byte for byte.

type Json = Record<string, unknown>;

function assertSameAsGeneric(doc: unknown, what: string): void {
  for (const minified of [false, true]) {
    const expected = encodeStatsGeneric(doc as StatsDocument, { minified });
    assert.equal(encodeStats(doc as StatsDocument, { minified }), expected, `${what}, ${minified ? 'minified' : 'pretty'}`);
  }
}

/** Every optional part filled: daemons, caches, metrics, crons, legions, a busy core with vars. */
function richDocument(): StatsDocument {
  const doc = tsgiDocument();
  return {
    ...doc,
    daemons: [{ cmd: 'sleep 100', pid: 9600, respawns: 2 }],
    caches: [
      {
        name: 'default',
        hash: 'djb33x',
        hashsize: 65536,
        keysize: 2048,
        max_items: 100,
        blocks: 100,
        blocksize: 65536,
        items: 3,
        hits: 40,
        miss: 2,
        full: 0,
        last_modified_at: 1795303710,
      },
    ],
    metrics: {
      'core.busy_workers': { type: 1, oid: '', value: 2 },
      'worker.1.requests': { type: 0, oid: '1.3.6.1.4.1.35156.17.3.1.1', value: 15 },
    },
    crons: [
      { minute: -1, hour: -1, day: -1, month: -1, week: -1, command: 'echo tick', unique: 0, pid: 0, started_at: 0 },
      { minute: 5, hour: 2, day: -1, month: -1, week: 1, command: 'backup', unique: 1, legion: 'lg', pid: 9700, started_at: 1795303720 },
    ],
    legions: [
      {
        legion: 'lg',
        addr: '192.168.0.1:4000',
        uuid: 'a-b-c',
        valor: 10,
        checksum: 0,
        quorum: 1,
        i_am_the_lord: 1,
        lord_valor: 10,
        lord_uuid: 'a-b-c',
        nodes: ['192.168.0.1:4000', '192.168.0.2:4000'],
        members: [{ name: 'node2', uuid: 'd-e-f', valor: 5, checksum: 0, last_seen: 1795303730 }],
      },
    ],
  };
}

/** Calls `visit` on every object (not list) in `value`, children before their parent. */
function forEachObject(value: unknown, visit: (object: Json) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) forEachObject(item, visit);
  } else if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) forEachObject(child, visit);
    visit(value as Json);
  }
}

/** Replaces an object's properties in place, keeping its identity (and its parent's pointer). */
function rebuild(object: Json, entries: [string, unknown][]): void {
  for (const key of Object.keys(object)) delete object[key];
  for (const [key, value] of entries) object[key] = value;
}

const ODD_STRINGS = [
  '',
  'plain',
  'say "hi"',
  'C:\\srv',
  'tab\tnew\nline\r',
  '\u0000\u0001\u001f',
  '\u007f',
  'café',
  '\u2028\u2029',
  '😀 paired surrogates',
  'lone \ud800 high',
  'lone \udc00 low',
  '</script>',
  'x'.repeat(5000) + '"',
  'y'.repeat(5000),
];
const ODD_NUMBERS = [0, -0, 1.5, -7, 1e21, 1.5e-7, Number.MAX_VALUE, 0.1 + 0.2, NaN, Infinity, -Infinity];

test('compiled writer: same bytes as the generic one on the fixtures and a document with every optional part', () => {
  const sample = decodeStats(uwsgiSampleText());
  assert.ok(sample.ok);
  assertSameAsGeneric(uwsgiSample(), 'uWSGI sample');
  assertSameAsGeneric(sample.doc, 'decoded uWSGI sample');
  assertSameAsGeneric(tsgiDocument(), 'tsgi document');
  assertSameAsGeneric(richDocument(), 'rich document');
  const { spoolers: _, ...noSpoolers } = tsgiDocument();
  assertSameAsGeneric(noSpoolers, 'no spoolers');
  assertSameAsGeneric({ ...tsgiDocument(), spoolers: [] }, 'empty spoolers');
});

test('compiled writer: unknown keys at every level, first, last and undefined', () => {
  const extras: unknown[] = ['x', 1.5, NaN, null, true, [1, 'a', { k: 1 }, []], { nested: { deep: [] }, n: Infinity }, undefined];
  let i = 0;
  const doc = richDocument();
  forEachObject(doc, (object) => {
    const first = extras[i++ % extras.length];
    const last = extras[i++ % extras.length];
    rebuild(object, [['zz_first', first], ...Object.entries(object), ['aa_last', last], ['never', undefined]]);
  });
  assertSameAsGeneric(doc, 'unknown keys everywhere');
  assertSameAsGeneric({ only: 'unknown', keys: [1] }, 'a document of unknown keys only');
});

test('compiled writer: missing keys and undefined values at every level', () => {
  for (const [what, change] of [
    ['even keys deleted', (object: Json, index: number) => index % 2 === 0 && delete object[Object.keys(object)[index] ?? '']],
    ['odd keys deleted', (object: Json, index: number) => index % 2 === 1 && delete object[Object.keys(object)[index] ?? '']],
    ['every third key undefined', (object: Json, index: number) => index % 3 === 0 && (object[Object.keys(object)[index] ?? ''] = undefined)],
    ['all keys undefined', (object: Json, index: number) => (object[Object.keys(object)[index] ?? ''] = undefined)],
  ] as const) {
    const doc = richDocument();
    forEachObject(doc, (object) => {
      for (let index = Object.keys(object).length - 1; index >= 0; index--) change(object, index);
    });
    assertSameAsGeneric(doc, what);
  }
  const noCores = tsgiDocument();
  for (const worker of noCores.workers) delete (worker as Partial<typeof worker>).cores; // stats-no-cores, as the supervisor does it
  assertSameAsGeneric(noCores, 'workers without cores');
});

test('compiled writer: empty lists and objects', () => {
  assertSameAsGeneric({}, 'empty document');
  assertSameAsGeneric({ ...tsgiDocument(), workers: [], sockets: [], locks: [{}, {}], metrics: {}, daemons: [] }, 'empty lists');
  const doc = richDocument();
  for (const worker of doc.workers) {
    worker.apps = [];
    for (const core of worker.cores) Object.assign(core, { vars: [], req_info: {} });
  }
  assertSameAsGeneric(doc, 'empty apps, vars and req_info');
  const noCores = richDocument();
  for (const worker of noCores.workers) worker.cores = [];
  assertSameAsGeneric(noCores, 'empty cores');
});

test('compiled writer: strings needing escapes and numbers JSON cannot carry', () => {
  ODD_STRINGS.forEach((text, i) => {
    const doc = richDocument();
    const number = ODD_NUMBERS[i % ODD_NUMBERS.length];
    doc.cwd = text;
    doc.pid = number as number;
    doc.locks = [{ [text]: number as number }, { [`lock ${i}`]: NaN }];
    doc.metrics = { [text]: { type: number as number, oid: text, value: -Infinity } };
    const worker = doc.workers[2];
    assert.ok(worker);
    Object.assign(worker, { status: text, elu: number, cpu: -0, backoff: 1e-7, recycle_reason: text, [text]: text });
    const core = worker.cores[0];
    assert.ok(core);
    core.vars = [text, 'REQUEST_METHOD=GET', text, ''];
    core.req_info = { request_start: number as number };
    assertSameAsGeneric(doc, `string ${JSON.stringify(text.slice(0, 20))}, number ${String(number)}`);
  });
});

test('compiled writer: values of another type than the shape says', () => {
  const odd: unknown[] = ['str', 42, NaN, null, true, false, [], {}, [1, 'a'], { a: 1, b: [] }, 10n, () => 1, Symbol('s'), undefined];
  odd.forEach((value, i) => {
    const doc = richDocument() as unknown as Json;
    let count = 0;
    // a different key of every object each time, in every kind of field: int, string, list, object, map
    forEachObject(doc, (object) => {
      const keys = Object.keys(object);
      const key = keys[(i + count++) % keys.length];
      if (key !== undefined) object[key] = value;
    });
    const workers = doc['workers'];
    doc['workers'] = [...(Array.isArray(workers) ? workers : [workers]), value, null, 'x', [1], undefined];
    doc['tsgi'] = i % 2 === 0 ? [value] : value;
    assertSameAsGeneric(doc, `with ${String(typeof value === 'symbol' ? 'a symbol' : value)}`);
  });
  const vars = richDocument();
  const core = vars.workers[0]?.cores[0];
  assert.ok(core);
  core.vars = [1, null, undefined, { a: 1 }, ['x'], 'ok', NaN] as unknown as string[];
  assertSameAsGeneric(vars, 'vars that are not strings');
  const holes = richDocument();
  const holey: string[] = new Array<string>(3);
  holey[1] = 'middle';
  Object.assign(holey, { extra: 'ignored' });
  holes.workers[0]!.cores[0]!.vars = holey;
  assertSameAsGeneric(holes, 'a list with holes and an extra property');
});

test('compiled writer: objects that are not plain go the generic way', () => {
  class Worker {
    constructor(fields: object) {
      Object.assign(this, fields);
    }
    get pid(): number {
      return 1234; // inherited: the generic writer skips it
    }
  }
  const doc = richDocument() as unknown as Json;
  const workers = (doc['workers'] as Json[]).map((worker, i) => {
    const { pid: _, ...rest } = worker;
    if (i % 3 === 0) return new Worker(rest);
    if (i % 3 === 1) return Object.assign(Object.create({ pid: 5, status: 'inherited' }) as Json, rest);
    return Object.assign(Object.create(null) as Json, worker, { constructor: 'own', toString: 'own too' });
  });
  doc['workers'] = workers;
  doc['sockets'] = [Object.assign(Object.create(null) as Json, { __proto__: 'own', name: 'n' })];
  assertSameAsGeneric(doc, 'class instances and odd prototypes');
  class Document {
    get daemons(): StatsDaemon[] {
      return [{ cmd: 'inherited', pid: 1, respawns: 0 }];
    }
  }
  assertSameAsGeneric(Object.assign(new Document(), tsgiDocument()), 'a document that is a class instance');
  const parsed = JSON.parse('{"version":"v","__proto__":{"pid":3},"constructor":1}') as unknown;
  assertSameAsGeneric(parsed, 'own __proto__ and constructor keys from JSON.parse');
});

/** mulberry32: a small deterministic PRNG, so a failure reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('compiled writer: same bytes on randomly mutated documents', () => {
  const random = prng(20240611);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const randomValue = (depth: number): unknown => {
    const r = random();
    if (r < 0.3) return pick(ODD_STRINGS.slice(0, -2));
    if (r < 0.6) return pick(ODD_NUMBERS);
    if (r < 0.7) return pick([null, true, false, undefined]);
    if (depth > 2) return 'leaf';
    if (r < 0.85) return Array.from({ length: Math.floor(random() * 3) }, () => randomValue(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) }, (_, i) => [`k${i}`, randomValue(depth + 1)]));
  };
  for (let round = 0; round < 150; round++) {
    const doc = (round % 2 === 0 ? richDocument() : tsgiDocument()) as unknown as Json;
    forEachObject(doc, (object) => {
      let entries = Object.entries(object);
      if (random() < 0.3) entries = entries.filter(() => random() > 0.2); // missing keys
      if (random() < 0.2) entries.reverse(); // another order
      entries = entries.map(([key, value]) => {
        const r = random();
        if (r < 0.05) return [key, undefined];
        if (r < 0.1) return [key, randomValue(0)]; // a value of any type
        return [key, value];
      });
      if (random() < 0.2) entries.splice(Math.floor(random() * (entries.length + 1)), 0, [pick(ODD_STRINGS.slice(0, -2)), randomValue(0)]);
      rebuild(object, entries);
    });
    assertSameAsGeneric(doc, `random document ${round}`);
  }
});

test('compiled writer: shapes with Object.prototype key names, and a shape that contains itself', () => {
  const int: FieldSpec = { kind: 'int', presence: 'always' };
  const str: FieldSpec = { kind: 'string', presence: 'always' };
  // ['__proto__'] computed: an own key, not the literal's prototype
  const odd: Shape = { name: 'odd names', fields: { constructor: int, ['__proto__']: str, toString: str, ok: int } };
  const node: Shape = { name: 'node', fields: { id: int } };
  node.fields['child'] = { kind: 'object', shape: node, presence: 'optional' };
  node.fields['children'] = { kind: 'list', of: { kind: 'object', shape: node }, presence: 'optional' };
  let deep: Json = { id: 0 };
  for (let id = 1; id < 45; id++) deep = id % 2 === 0 ? { id, child: deep } : { id, children: [deep, { id: -id }] };
  const documents: [Shape, unknown][] = [
    [odd, { ok: 1 }],
    [odd, { ok: 1, constructor: 2, toString: 'own' }],
    [odd, JSON.parse('{"__proto__":"own","ok":1,"extra":[]}') as unknown],
    [node, deep],
  ];
  for (const [shape, doc] of documents) {
    for (const minified of [false, true]) {
      const generic = genericWriter(minified);
      assert.equal(compileEncoder(shape, generic)(doc as object), generic.object(doc as object, shape, 0));
    }
  }
});

test('where code generation is disallowed, encodeStats falls back to the generic writer, same bytes', () => {
  const script = `import('${new URL('./index.js', import.meta.url).href}').then((m) => {
    const doc = JSON.parse(process.argv[1]);
    process.stdout.write(m.encodeStats(doc) + '\\n---\\n' + m.encodeStats(doc, { minified: true }));
  });`;
  const doc = uwsgiSample();
  const out = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script, JSON.stringify(doc)], {
    encoding: 'utf8',
  });
  assert.equal(out, encodeStatsGeneric(doc) + '\n---\n' + encodeStatsGeneric(doc, { minified: true }));
});
