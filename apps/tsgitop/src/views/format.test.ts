import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clip,
  ctime,
  formatAvg,
  formatCpu,
  formatElu,
  formatLastSpawn,
  formatPercent,
  formatRate,
  formatRunTime,
  humanSize,
  pyFixed,
  pyFloatStr,
  pyRound,
} from './format.js';

describe('uwsgitop formats', () => {
  it('human_size: 1024-based, one decimal, plain integers under 1 KiB', () => {
    assert.equal(humanSize(0), '0');
    assert.equal(humanSize(935), '935');
    assert.equal(humanSize(1023), '1023');
    assert.equal(humanSize(1024), '1.0K');
    assert.equal(humanSize(1190), '1.2K');
    assert.equal(humanSize(11_583_488), '11.0M');
    assert.equal(humanSize(61_227_008), '58.4M');
    assert.equal(humanSize(1024 ** 3), '1.0G');
    assert.equal(humanSize(1.5 * 1024 ** 3), '1.5G');
  });

  it("%.1f rounds exact ties to even, like Python, and everything else like toFixed", () => {
    assert.equal(pyFixed(0.25, 1), '0.2');
    assert.equal(pyFixed(0.75, 1), '0.8');
    assert.equal(pyFixed(12.25, 1), '12.2');
    assert.equal(pyFixed(0.35, 1), '0.3'); // 0.35 is really 0.34999..., below the tie
    assert.equal(pyFixed(2.5, 0), '2');
    assert.equal(pyFixed(3.5, 0), '4');
    assert.equal(pyFixed(-0.25, 1), '-0.2');
    assert.equal(pyFixed(44.11764705882353, 1), '44.1');
  });

  it('round() rounds halves to even', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 2.4999, 2.5001, 3].map(pyRound), [0, 2, 2, 2, 3, 3]);
  });

  it('str(float): .0 on whole numbers, shortest digits otherwise', () => {
    assert.equal(pyFloatStr(0), '0.0');
    assert.equal(pyFloatStr(2297.451), '2297.451');
    assert.equal(pyFloatStr(7178.94), '7178.94');
    assert.equal(pyFloatStr(1e16), '1e+16');
    assert.equal(pyFloatStr(1.5e-5), '1.5e-05');
  });

  it('%: share of all requests ever, 0.0 when nothing was served', () => {
    assert.equal(formatPercent(15, 34), '44.1');
    assert.equal(formatPercent(11, 34), '32.4');
    assert.equal(formatPercent(0, 0), '0.0');
  });

  it('AVG truncates µs to whole ms', () => {
    assert.equal(formatAvg(3_000_910), '3000ms');
    assert.equal(formatAvg(999), '0ms');
    assert.equal(formatAvg(23_513), '23ms');
  });

  it('RunT: µs as ms with Python float digits, minutes past 9,999,999 ms', () => {
    assert.equal(formatRunTime(0), '0.0');
    assert.equal(formatRunTime(2_297_451), '2297.451');
    assert.equal(formatRunTime(6_005_242), '6005.242');
    assert.equal(formatRunTime(9_999_999_000), '9999999.0');
    assert.equal(formatRunTime(12_000_000_000), '200.0m');
  });

  it('LastSpwn: local HH:MM:SS, --:--:-- for never', () => {
    assert.equal(formatLastSpawn(0), '--:--:--');
    const date = new Date(1_795_303_724_000);
    const expected = [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    assert.equal(formatLastSpawn(1_795_303_724), expected);
  });

  it('ctime pads the day with a space', () => {
    assert.equal(ctime(new Date(2026, 10, 1, 9, 5, 7)), 'Sun Nov  1 09:05:07 2026');
    assert.equal(ctime(new Date(2026, 10, 21, 23, 34, 21)), 'Sat Nov 21 23:34:21 2026');
  });

  it('rates, CPU and ELU show - when unknown', () => {
    assert.equal(formatRate(undefined), '-');
    assert.equal(formatRate(2077.6), '2078');
    assert.equal(formatRate(0.5), '0');
    assert.equal(formatCpu(undefined), '-');
    assert.equal(formatCpu(12.5), '12.5%');
    assert.equal(formatElu(undefined), '-');
    assert.equal(formatElu(0.8125), '81%');
  });

  it('clip marks a cut', () => {
    assert.equal(clip('abcdef', 10), 'abcdef');
    assert.equal(clip('abcdef', 4), 'abc~');
  });
});
