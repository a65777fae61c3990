/** Seeded randomness for the fuzzers and the chaos test: the same run on every machine. */

/** mulberry32: a small, fast, seeded PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;

/** An integer in [0, n). */
export const int = (rng: Rng, n: number): number => Math.floor(rng() * n);

/** One of the items. */
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;
