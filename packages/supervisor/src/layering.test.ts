/**
 * The supervisor's layering, checked on the source: which folders may import
 * which, and no JavaScript run from a string. A worker process must not load
 * master modules (it would carry the master's code, and the two could no
 * longer change apart); the stats code and the master meet at a view of the
 * master's state, neither importing the other's modules; shared OS and
 * network helpers live in os/ and net/. Code in a string is code tsc never
 * checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This file runs from dist/; the rules are about src/. */
const SRC = fileURLToPath(new URL('../src', import.meta.url));

interface SourceFile {
  /** path under src/, with `/` */
  path: string;
  text: string;
}

/** An import of one source file by another, both as paths under src/ (`master/master.ts`). */
interface Import {
  from: string;
  to: string;
}

function sourceFiles(dir = SRC): SourceFile[] {
  const out: SourceFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      out.push({ path: relative(SRC, full).split(sep).join('/'), text: readFileSync(full, 'utf8') });
    }
  }
  return out;
}

/**
 * The module specifiers a file imports: `import … from`, `export … from` and
 * bare `import '…'` statements starting a line (so that a script held in a
 * test's template string does not count), and `import('…')` anywhere.
 */
function importSpecifiers(text: string): string[] {
  const statements = /^(?:import|export)\b[^;'"`]*?\bfrom\s*(['"])([^'"]+)\1|^import\s*(['"])([^'"]+)\3/gm;
  const dynamic = /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g;
  const out: string[] = [];
  for (const m of text.matchAll(statements)) out.push((m[2] ?? m[4])!);
  for (const m of text.matchAll(dynamic)) out.push(m[2]!);
  return out;
}

/** The imports between files of src/ (relative specifiers only; `x.js` names `x.ts`). */
function localImports(files: SourceFile[]): Import[] {
  const out: Import[] = [];
  for (const f of files) {
    for (const spec of importSpecifiers(f.text)) {
      if (!spec.startsWith('.')) continue;
      const to = posix.normalize(posix.join(posix.dirname(f.path), spec)).replace(/\.js$/, '.ts');
      out.push({ from: f.path, to });
    }
  }
  return out;
}

const under = (folder: string) => (path: string) => path.startsWith(`${folder}/`);
const show = (i: Import): string => `${i.from} → ${i.to}`;

/**
 * Ways to run JavaScript held in a string: `new Worker(code, { eval: true })`,
 * and node started with `-e`/`--eval`/`-p`/`--print`. Returns what was found.
 */
function codeInStrings(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\beval\s*:\s*true\b/g)) found.push(m[0]);
  const nodeArgs = /\b(?:spawn|spawnSync|execFile|execFileSync)\s*\(\s*(?:process\.execPath|['"]node['"])\s*,\s*\[([^\]]*)\]/g;
  for (const m of text.matchAll(nodeArgs)) {
    if (/['"](?:-e|--eval|-p|--print)['"]/.test(m[1]!)) found.push(m[0]);
  }
  for (const m of text.matchAll(/\bexec(?:Sync)?\s*\(\s*[`'"][^`'"]*\bnode\s+(?:-e|--eval|-p|--print)\b/g)) found.push(m[0]);
  return found;
}

const files = sourceFiles();
const imports = localImports(files);

/** Runs one layering rule, listing the offending imports exactly. */
function rule(name: string, offends: (i: Import) => boolean): void {
  const offenders = imports.filter(offends).map(show);
  test(name, () => {
    assert.deepEqual(offenders, [], `offending imports:\n  ${offenders.join('\n  ')}`);
  });
}

test('the import reader sees the imports it must judge', () => {
  const master = imports.filter((i) => i.from === 'master/master.ts').map((i) => i.to);
  assert.ok(master.includes('master/reconcile.ts') && master.includes('protocol.ts'), master.join(', '));
  assert.deepEqual(
    importSpecifiers(
      [
        "import type { A } from '../master/a.js';",
        'import {\n  b,\n  c,\n} from "./b.js";',
        "export { d } from './d.js';",
        "import './e.js';",
        "const f = await import('./f.js');",
        "const script = `\n  import { fork } from 'node:child_process';\n`;",
      ].join('\n'),
    ),
    ['../master/a.js', './b.js', './d.js', './e.js', './f.js'],
  );
});

test('the code-in-strings check finds what it is for', () => {
  assert.equal(codeInStrings("new Worker(code, { eval: true, workerData })").length, 1);
  assert.equal(codeInStrings("spawn(process.execPath, ['-e', WAKER_SOURCE], {})").length, 1);
  assert.equal(codeInStrings("spawnSync(process.execPath, ['--input-type=module', '--eval', code])").length, 1);
  assert.equal(codeInStrings("spawn(process.execPath, [...process.execArgv, WORKER_MAIN], {})").length, 0);
});

rule('worker/ imports nothing from master/', (i) => under('worker')(i.from) && under('master')(i.to));
rule('stats/ imports nothing from master/', (i) => under('stats')(i.from) && under('master')(i.to));
rule(
  'master/ imports nothing from worker/ or stats/ (protocol.ts at the src root is shared)',
  (i) => under('master')(i.from) && (under('worker')(i.to) || under('stats')(i.to)),
);
rule(
  "the master's spooler pool takes only the protocol from the spooler, not the app-side barrel",
  (i) => (i.from === 'spooler/pool.ts' && under('spooler')(i.to) && i.to !== 'spooler/protocol.ts') || (!under('spooler')(i.from) && i.to === 'spooler/index.ts'),
);

// Test files may start throwaway processes from a script built with the test's own
// values (a fake master, a process killed mid-write); they ship nothing.
test('no code in strings: no eval: true, no node -e, outside tests', () => {
  const found = files
    .filter((f) => !f.path.endsWith('.test.ts'))
    .flatMap((f) => codeInStrings(f.text).map((what) => `${f.path}: ${what}`));
  assert.deepEqual(found, []);
});
