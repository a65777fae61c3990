/**
 * `node-args`: Node options for the processes that run app code (workers, spoolers), the
 * way PM2's `node_args` passes them: `--import tsx` for a TypeScript app, `--require
 * dd-trace/init` for an APM agent that must load before the app, `--max-old-space-size=512`.
 */

/** A word of a `node-args` value: unquoted characters and '…' or "…" runs, which may hold spaces. */
const WORD = /(?:"[^"]*"|'[^']*'|[^\s"'])+/g;

/** The argv words of `node-args` values: split on spaces, quotes removed (`--require "/opt/my agent.js"`). */
export function splitNodeArgs(values: readonly string[]): string[] {
  return values.flatMap((value) => [...value.matchAll(WORD)].map((m) => m[0].replace(/"([^"]*)"|'([^']*)'/g, '$1$2')));
}

/** Why a `node-args` value cannot be passed to node, or undefined when it can. */
export function nodeArgsProblem(value: string): string | undefined {
  const unquoted = value.replace(/"[^"]*"|'[^']*'/g, '');
  if (/["']/.test(unquoted)) return `"${value}" has an unbalanced quote`;
  const first = splitNodeArgs([value])[0];
  if (first !== undefined && !first.startsWith('-')) {
    return `"${value}" does not start with a Node option: write the flag before its value (--import tsx, --require ./agent.cjs); the app itself is set by app`;
  }
  return undefined;
}
