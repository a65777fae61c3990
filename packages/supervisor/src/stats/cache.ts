import { encodeStats, type StatsDocument } from '@tsgi/stats-protocol';

/** The stats document and its encodings, each built at most once per interval. */
export interface StatsCache {
  document(): StatsDocument;
  /** the JSON text as bytes, so that every client's write shares one buffer */
  json(minified: boolean): Buffer;
  /** any text derived from the document (Prometheus), kept as long as the document */
  derived(key: string, render: (doc: StatsDocument) => string): string;
}

/**
 * Caches `build()` for `ttlMs`: a flood of connections then costs one snapshot and one
 * encoding per interval instead of one per connection, in a master that also routes,
 * reaps and handles signals. A short interval keeps the document as fresh as the
 * once-a-second readings it is made of.
 */
export function cacheStats(build: () => StatsDocument, ttlMs: number, now: () => number = () => performance.now()): StatsCache {
  let doc: StatsDocument | undefined;
  let at = 0;
  const texts = new Map<string, Buffer | string>();
  const document = (): StatsDocument => {
    const t = now();
    if (doc === undefined || t - at >= ttlMs || t < at) {
      doc = build();
      at = t;
      texts.clear();
    }
    return doc;
  };
  return {
    document,
    json(minified) {
      const d = document();
      const key = minified ? 'json:min' : 'json';
      let b = texts.get(key) as Buffer | undefined;
      if (b === undefined) {
        b = Buffer.from(encodeStats(d, { minified }));
        texts.set(key, b);
      }
      return b;
    },
    derived(key, render) {
      const d = document();
      let s = texts.get(`derived:${key}`) as string | undefined;
      if (s === undefined) {
        s = render(d);
        texts.set(`derived:${key}`, s);
      }
      return s;
    },
  };
}
