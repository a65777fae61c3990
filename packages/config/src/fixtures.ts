/**
 * Helpers for the tests of this package: ini files in a fresh temporary directory and a
 * loadConfig with fixed host facts, so results do not depend on the machine.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatDiagnostic, type ConfigDiagnostic } from './diagnostics.js';
import { loadConfig, type LoadOptions, type LoadResult } from './load.js';
import type { HostFacts } from './placeholders.js';

/** Host facts used by every test: 4 CPUs, somaxconn 4096. */
export const TEST_HOST: HostFacts = { cpus: 4, hostname: 'testhost', somaxconn: 4096 };

/** A new empty directory under os.tmpdir(). */
export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'tsgi-config-'));
}

/** Write `text` to `name` in a new temporary directory; returns the absolute path. */
export function writeIni(text: string, name = 'app.ini', dir = tempDir()): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/**
 * loadConfig with TEST_HOST, an empty environment, cwd = os.tmpdir() and no file-system
 * checks of paths (the tests name apps that do not exist); paths.test.ts turns them on.
 */
export function load(argv: string[], options: Partial<LoadOptions> = {}): LoadResult {
  return loadConfig({ env: {}, cwd: os.tmpdir(), host: TEST_HOST, checkPaths: false, ...options, argv });
}

/** The minimal valid ini text, plus `extra` lines. */
export function validIni(...extra: string[]): string {
  return ['[tsgi]', 'app = ./server.js', 'http-socket = :8080', ...extra].join('\n');
}

/** Messages as printed, for assertions that check location and wording together. */
export function printed(diagnostics: readonly ConfigDiagnostic[]): string[] {
  return diagnostics.map(formatDiagnostic);
}
