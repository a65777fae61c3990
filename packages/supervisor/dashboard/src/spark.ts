/**
 * Sparklines: a series of recent values as the points of an SVG polyline, newest at the
 * right edge, each series on the scale that makes it readable. Pure.
 */
import { HISTORY_POINTS, type SeriesName } from './model.js';

/** The range a series is drawn against. */
export interface Range {
  low: number;
  high: number;
}

const MIB = 1024 * 1024;

/**
 * Rates and CPU from zero, so a quiet worker looks quiet (CPU up to at least one core);
 * ELU on its own 0..1; memory around its own values, since a leak is a slope on top of
 * hundreds of megabytes (at least 4 MiB tall, so noise stays flat).
 */
export function rangeOf(name: SeriesName, values: readonly number[]): Range {
  const peak = values.reduce((m, v) => Math.max(m, v), 0);
  switch (name) {
    case 'rps':
      return { low: 0, high: Math.max(1, peak) };
    case 'cpu':
      return { low: 0, high: Math.max(100, peak) };
    case 'elu':
      return { low: 0, high: 1 };
    case 'rss': {
      const least = values.reduce((m, v) => Math.min(m, v), peak);
      const middle = (least + peak) / 2;
      const half = Math.max(2 * MIB, (peak - least) / 2) * 1.1;
      return { low: Math.max(0, middle - half), high: middle + half };
    }
  }
}

/**
 * `x,y` pairs for an SVG polyline `width` × `height`: the last value at the right edge,
 * one step per snapshot so a fresh series grows from the right, y = 0 at the top.
 */
export function sparkPoints(values: readonly number[], range: Range, width: number, height: number, capacity = HISTORY_POINTS): string {
  const step = width / Math.max(1, capacity - 1);
  const span = range.high - range.low || 1;
  const shown = values.slice(-capacity);
  return shown
    .map((v, i) => {
      const x = width - (shown.length - 1 - i) * step;
      const level = Math.min(1, Math.max(0, (v - range.low) / span));
      const y = height - level * height;
      return `${round(x)},${round(y)}`;
    })
    .join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
