/**
 * Rewrites the README's signal table from the master's controls table
 * (`pnpm docs`); a test fails when the committed README differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderControlsTable } from './master/controls.js';

export const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
const START = '<!-- controls: generated from packages/supervisor/src/master/controls.ts -->\n';
const END = '<!-- /controls -->';

/** The generated block of the README, or undefined when its markers are missing. */
export function readmeControls(text: string): string | undefined {
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  return i < 0 || j < i ? undefined : text.slice(i + START.length, j);
}

/** The README with its signal table regenerated. */
export function withControls(text: string): string {
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  if (i < 0 || j < i) throw new Error(`README.md lacks the markers ${START.trim()} … ${END}`);
  return text.slice(0, i + START.length) + renderControlsTable() + text.slice(j);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(README, withControls(readFileSync(README, 'utf8')));
}
