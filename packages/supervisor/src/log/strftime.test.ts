import { test } from 'node:test';
import assert from 'node:assert/strict';
import { everySecond, strftime, utcOffset } from './strftime.js';

test("strftime: C's conversions in local time, unknown ones left as written", () => {
  const d = new Date(2026, 10, 1, 9, 5, 7); // Sunday 1 November 2026, 09:05:07 local
  const f = (format: string): string => strftime(format)(d);
  assert.equal(f('%Y-%m-%d %H:%M:%S'), '2026-11-01 09:05:07');
  assert.equal(f('%F %T'), '2026-11-01 09:05:07');
  assert.equal(f('%a %A %b %h %B'), 'Sun Sunday Nov Nov November');
  assert.equal(f('%c'), 'Sun Nov  1 09:05:07 2026');
  assert.equal(f('%d/%b/%Y:%H:%M:%S %z'), `01/Nov/2026:09:05:07 ${utcOffset(d)}`);
  assert.equal(f('%e|%k|%l|%I|%p|%P|%r|%R'), ' 1| 9| 9|09|AM|am|09:05:07 AM|09:05');
  assert.equal(f('%j %u %w %y %C %D'), '305 7 0 26 20 11/01/26');
  assert.equal(f('%s'), String(Math.floor(d.getTime() / 1000)));
  assert.equal(f('100%% %Q %'), '100% %Q %');
  assert.match(utcOffset(d), /^[+-]\d{4}$/);
  assert.equal(strftime('%H')(new Date(2026, 0, 1, 23)), '23');
  assert.equal(strftime('%I %p')(new Date(2026, 0, 1, 0)), '12 AM');
});

test('everySecond renders once per second', () => {
  let calls = 0;
  const render = everySecond((d) => {
    calls++;
    return String(d.getTime());
  });
  assert.equal(render(1_000_500), '1000000');
  assert.equal(render(1_000_999), '1000000');
  assert.equal(calls, 1);
  assert.equal(render(1_001_000), '1001000');
  assert.equal(calls, 2);
});
