import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeStats, type DecodeResult } from './decode.js';
import { encodeStats } from './encode.js';
import type { StatsDocument } from './types.js';
import { tsgiDocument, uwsgiSample, uwsgiSampleText } from './fixtures.js';

function decodeOk(text: string): { doc: StatsDocument; warnings: string[] } {
  const result = decodeStats(text);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result;
}

function failed(result: DecodeResult): string {
  assert.equal(result.ok, false);
  return result.ok ? '' : result.error;
}

test('the uWSGI sample decodes unchanged, without warnings', () => {
  const { doc, warnings } = decodeOk(uwsgiSampleText());
  assert.deepEqual(warnings, []);
  assert.deepEqual(doc, uwsgiSample());
});

test('keys uWSGI may omit are filled quietly; always-present ones are filled with a warning', () => {
  const raw = uwsgiSample() as unknown as Record<string, unknown>;
  delete raw['listen_queue'];
  delete raw['listen_queue_errors'];
  const worker = (raw['workers'] as Array<Record<string, unknown>>)[1] as Record<string, unknown>;
  delete worker['signals'];
  delete worker['cores'];
  const { doc, warnings } = decodeOk(JSON.stringify(raw));
  assert.equal(doc.listen_queue, 0);
  assert.equal(doc.listen_queue_errors, 0);
  assert.equal(doc.workers[1]?.signals, 0);
  assert.deepEqual(doc.workers[1]?.cores, []);
  assert.deepEqual(warnings, ['$.workers[1].signals: missing, assumed 0']);
  assert.deepEqual(Object.keys(doc).slice(0, 3), ['version', 'listen_queue', 'listen_queue_errors'], 'filled keys take their place');
});

test('feature keys and tsgi additions stay absent when the server does not send them', () => {
  const { doc } = decodeOk(uwsgiSampleText());
  for (const key of ['daemons', 'caches', 'metrics', 'spoolers', 'crons', 'legions', 'tsgi']) {
    assert.equal(Object.hasOwn(doc, key), false, key);
  }
  assert.equal(Object.hasOwn(doc.workers[0] ?? {}, 'elu'), false);
  assert.equal(doc.workers[2]?.cores[0]?.req_info.request_start, 1795303755);
  assert.equal(Object.hasOwn(doc.workers[0]?.cores[0]?.req_info ?? {}, 'request_start'), false);
});

test('a tiny partial document still yields a usable one', () => {
  const { doc, warnings } = decodeOk('{"version":"2.0.21","pid":42,"workers":[{"id":1,"pid":43,"requests":5}]}');
  assert.equal(doc.pid, 42);
  assert.deepEqual(doc.locks, []);
  assert.deepEqual(doc.sockets, []);
  assert.equal(doc.workers[0]?.requests, 5);
  assert.equal(doc.workers[0]?.status, '');
  assert.deepEqual(doc.workers[0]?.apps, []);
  assert.ok(warnings.includes('$.cwd: missing, assumed ""'));
  assert.ok(warnings.length > 5);
});

test('wrong-typed values are coerced where harmless, replaced otherwise', () => {
  const raw = uwsgiSample() as unknown as Record<string, unknown>;
  raw['pid'] = '9499';
  raw['uid'] = true;
  raw['gid'] = null;
  raw['version'] = 2;
  raw['sockets'] = 'none';
  raw['metrics'] = [1, 2];
  const workers = raw['workers'] as unknown[];
  (workers[1] as Record<string, unknown>)['rss'] = '11583488';
  (workers[1] as Record<string, unknown>)['status'] = { odd: true };
  workers.push(null, 'junk');
  const { doc, warnings } = decodeOk(JSON.stringify(raw));
  assert.equal(doc.pid, 9499);
  assert.equal(doc.uid, 1);
  assert.equal(doc.gid, 0);
  assert.equal(doc.version, '2');
  assert.deepEqual(doc.sockets, []);
  assert.equal(Object.hasOwn(doc, 'metrics'), false);
  assert.equal(doc.workers.length, 4);
  assert.equal(doc.workers[1]?.rss, 11583488);
  assert.equal(doc.workers[1]?.status, '');
  assert.deepEqual(warnings, [
    '$.version: expected string, got number; coerced',
    '$.pid: expected integer, got string; coerced',
    '$.uid: expected integer, got boolean; coerced',
    '$.gid: expected integer, got null; assumed 0',
    '$.metrics: expected object, got a list; ignored',
    '$.sockets: expected list, got string "none"; assumed []',
    '$.workers[1].status: expected string, got an object; assumed ""',
    '$.workers[1].rss: expected integer, got string; coerced',
    '$.workers[4]: expected object, got null; dropped',
    '$.workers[5]: expected object, got string "junk"; dropped',
  ]);
});

test('malformed input never throws and says what is wrong', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['  \n\t ', /empty/],
    ['not json', /invalid JSON/],
    ['{', /truncated/],
    ['{"version":', /truncated/],
    ['[1,2]', /top level is a list/],
    ['null', /top level is null/],
    ['42', /top level is a number/],
    ['"text"', /top level is a string/],
    ['{"pid":1}garbage', /invalid JSON/],
    ['\u0000\u0001', /invalid JSON/],
    ['HTTP/1.0 200 OK\r\n\r\n{}', /invalid JSON/],
  ];
  for (const [text, expected] of cases) {
    assert.match(failed(decodeStats(text)), expected, JSON.stringify(text));
  }
  assert.match(failed(decodeStats(undefined as unknown as string)), /not text/);
});

test('every truncation of a real document is reported as truncated, never thrown', () => {
  const texts = [uwsgiSampleText(), encodeStats(tsgiDocument(), { minified: true })];
  for (const text of texts) {
    for (let length = 1; length < text.trimEnd().length; length++) {
      const error = failed(decodeStats(text.slice(0, length)));
      assert.match(error, /truncated/, `cut at ${length}: ${error}`);
    }
  }
});

test('random corruption never throws', () => {
  const text = uwsgiSampleText();
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const alphabet = '{}[]",:\\0123456789abc \t\n';
  for (let round = 0; round < 500; round++) {
    const chars = [...text];
    for (let k = 0; k < 1 + random(4); k++) chars[random(chars.length)] = alphabet[random(alphabet.length)] as string;
    const result = decodeStats(chars.join(''));
    assert.equal(typeof result.ok, 'boolean');
  }
});

test('repairs uWSGI documents whose unescaped strings break JSON (pretty form)', () => {
  const cwd = '/srv/we"ird\\dir';
  const lock = 'spooler on /srv/a"b';
  // What uWSGI prints: %s without escaping, except vars, which escape_json() escapes.
  const text = uwsgiSampleText()
    .replace('"cwd":"/srv/app"', `"cwd":"${cwd}"`)
    .replace('"rpc":0', `"${lock}":0`)
    .replace('"HTTP_ACCEPT=*/*"', '"HTTP_X=say \\"hi\\"\u0001"');
  assert.throws(() => JSON.parse(text));
  const { doc, warnings } = decodeOk(text);
  assert.equal(doc.cwd, cwd);
  assert.ok(doc.locks.some((l) => Object.hasOwn(l, lock)));
  assert.ok(doc.workers[2]?.cores[0]?.vars.includes('HTTP_X=say "hi"\u0001'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /re-escaped/);
});

test('repairs the minified form too, and a backslash path that is not a valid escape', () => {
  const cwd = 'C:\\xampp\\"htdocs"';
  const text = encodeStats(uwsgiSample(), { minified: true }).replace('"cwd":"/srv/app"', `"cwd":"${cwd}"`);
  assert.throws(() => JSON.parse(text));
  assert.equal(decodeOk(text).doc.cwd, cwd);
});

test('unknown keys are kept, after the known ones, and cannot pollute prototypes', () => {
  const raw = uwsgiSample() as unknown as Record<string, unknown>;
  const text = JSON.stringify({ emperor: ['/etc/vassals'], ...raw, future_key: { a: 1 } }).replace(
    '"future_key"',
    '"__proto__":{"polluted":1},"future_key"',
  );
  const { doc } = decodeOk(text);
  const keys = Object.keys(doc);
  assert.deepEqual(keys.slice(-3), ['emperor', '__proto__', 'future_key']);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal(Object.getPrototypeOf(doc), Object.prototype);
  assert.deepEqual((doc as unknown as Record<string, unknown>)['future_key'], { a: 1 });
});

test('tsgi documents decode with their additions', () => {
  const { doc, warnings } = decodeOk(encodeStats(tsgiDocument()));
  assert.deepEqual(warnings, []);
  assert.equal(doc.version, '0.1.0-tsgi');
  assert.equal(doc.workers[2]?.elu, 0.8125);
  assert.equal(doc.workers[0]?.recycle_reason, 'scale-down');
  assert.equal(doc.tsgi?.phase, 'running');
  assert.deepEqual(doc.tsgi?.draining[0], { id: 2, pid: 9401, reason: 'max-requests', since: 1795303750, in_flight: 1 });
});

test('warnings are capped for badly broken documents', () => {
  const workers = Array.from({ length: 100 }, () => ({}));
  const { warnings } = decodeOk(JSON.stringify({ workers }));
  assert.equal(warnings.length, 51);
  assert.match(warnings[50] ?? '', /^\.\.\. and \d+ more warnings$/);
});
