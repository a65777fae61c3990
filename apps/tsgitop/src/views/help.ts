/**
 * The help screen, generated from the key map so it lists exactly the keys that work.
 * Pure.
 */
import { KEY_MAP } from '../keys.js';

export function helpLines(): string[] {
  const width = Math.max(...KEY_MAP.map((binding) => binding.label.length));
  return [
    'tsgitop keys',
    '',
    ...KEY_MAP.map((binding) => `  ${binding.label.padEnd(width)}  ${binding.help}`),
    '',
    'Colours: busy green, cheap magenta, sig* yellow, pause blue, backoff red.',
    'RPS "-": no two answers to compare yet, or a counter restarted.',
  ];
}
