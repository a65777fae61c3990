/**
 * Chart series from a server's history: total requests/s and total resident memory over
 * time, one point per answer, in the shape blessed-contrib's line chart takes. The y
 * range is fixed here because the chart divides by it: an all-zero series would give it
 * 0 and draw nothing sensible. Pure.
 */
import type { HistoryPoint } from '../model.js';
import { clock } from './format.js';

export interface ChartSeries {
  /** The widget's label. */
  label: string;
  title: string;
  x: string[];
  y: number[];
  /** Top of the y axis, > 0. */
  maxY: number;
}

export interface Charts {
  rps: ChartSeries;
  memory: ChartSeries;
}

const MIB = 1024 * 1024;

/** The last `points` answers of `history` as two series. */
export function chartSeries(history: readonly HistoryPoint[], points: number): Charts {
  const recent = history.slice(-Math.max(2, points));
  const label = (point: HistoryPoint) => clock(new Date(point.at));
  // An answer without a rate (the first, or after a restart) is a gap, not a fall to 0.
  const measured = recent.filter((point) => point.rps !== undefined);
  const rps = measured.map((point) => point.rps ?? 0);
  const rss = recent.map((point) => Math.round((point.rss / MIB) * 10) / 10);
  const noMemory = recent.length > 0 && rss.every((value) => value === 0);
  return {
    rps: { label: ' requests/s ', title: 'req/s', x: padLabels(measured.map(label)), y: padValues(rps), maxY: niceMax(rps) },
    memory: {
      label: noMemory ? ' rss MiB (0: enable memory-report) ' : ' rss MiB (all workers) ',
      title: 'rss',
      x: padLabels(recent.map(label)),
      y: padValues(rss),
      maxY: niceMax(rss),
    },
  };
}

/** A round number a little above the largest value: 1, 2 or 5 times a power of ten. */
export function niceMax(values: readonly number[]): number {
  const top = Math.max(0, ...values) * 1.1;
  if (top <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(top));
  const nice = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= top);
  return nice ?? 10 * power;
}

/** The chart needs at least one point to draw its axes. */
function padLabels(x: string[]): string[] {
  return x.length > 0 ? x : [''];
}

function padValues(y: number[]): number[] {
  return y.length > 0 ? y : [0];
}
