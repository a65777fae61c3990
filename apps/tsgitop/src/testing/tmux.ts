/**
 * Drives a program in a real terminal for e2e tests: a tmux server of its own (private
 * socket, no user config), one detached session of a given size, keys in, screen text and
 * pane flags out. `kill()` ends the whole private tmux server, so nothing outlives a test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TMUX_TIMEOUT_MS = 5000;

export function tmuxAvailable(): boolean {
  const probe = spawnSync('tmux', ['-V'], { encoding: 'utf8', timeout: TMUX_TIMEOUT_MS });
  return probe.status === 0;
}

export class TmuxSession {
  /** The tmux server's socket lives in a directory of its own, removed by `kill()`. */
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'tsgitop-tmux-'));
  readonly socket = path.join(this.dir, 'tmux.sock');
  readonly name = 'tsgitop';

  /** Starts `command` (run by the shell) in a detached width×height pane. */
  start(width: number, height: number, command: string): void {
    this.tmux('-f', '/dev/null', 'new-session', '-d', '-x', String(width), '-y', String(height), '-s', this.name, command);
  }

  /** The pane's text, one string per screen row. */
  capture(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name);
  }

  /** Keys in tmux's names: `q`, `Enter`, `Tab`... */
  sendKeys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** A pane format, e.g. `#{pane_pid}`, `#{alternate_on}`, `#{cursor_flag}`. */
  display(format: string): string {
    return this.tmux('display-message', '-p', '-t', this.name, format).trim();
  }

  alive(): boolean {
    return spawnSync('tmux', ['-S', this.socket, 'has-session', '-t', this.name], { timeout: TMUX_TIMEOUT_MS, stdio: 'ignore' }).status === 0;
  }

  /** Ends the private tmux server and everything in it; fine to call when it is already gone. */
  kill(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'], { timeout: TMUX_TIMEOUT_MS, stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', timeout: TMUX_TIMEOUT_MS });
  }
}

/** Polls `probe` every 100 ms until it returns a value; fails after `ms` with the last `describe()`. */
export async function waitFor<T>(what: string, ms: number, probe: () => T | undefined, describe?: () => string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${describe ? `\n${describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The pids of `pid`'s children. */
export function childPids(pid: number): number[] {
  const ps = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8', timeout: TMUX_TIMEOUT_MS });
  return ps.stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((child) => child > 0);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Quotes for sh. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
