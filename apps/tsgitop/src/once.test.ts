/**
 * `tsgitop --once` and `--json` as a script runs them: the real bin, a tiny TCP server
 * that answers every connection with fixed bytes (uWSGI's real sample, or junk), and the
 * printed text checked figure by figure.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { ctime, formatLastSpawn } from './views/format.js';
import { sampleText } from './testing/docs.js';

const BIN = fileURLToPath(new URL('../bin/tsgitop.js', import.meta.url));
const servers: net.Server[] = [];

/** Serves `text` to every connection, then closes it, on an ephemeral 127.0.0.1 port. */
async function serve(text: string): Promise<string> {
  const server = net.createServer((socket) => socket.end(text));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** An address nothing listens on: a port that was just free. */
async function closedAddress(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 10_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

after(() => {
  for (const server of servers) server.close();
});

describe('tsgitop --once against uWSGI 2.0.21 sample stats', () => {
  it('prints uwsgitop header lines and every slot with its figures', async () => {
    const address = await serve(sampleText());
    const before = Date.now();
    const { code, stdout, stderr } = await run(address, '--once');
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split('\n');
    const times = new Set([ctime(new Date(before)), ctime(new Date(Date.now()))]);
    const time = lines[0]!.split(' - ')[1]!;
    assert.ok(times.has(time), `time ${time}`);
    assert.equal(lines[0], `uwsgi-2.0.21-debian - ${time} - req: 34 - RPS: - - lq: 0 - tx: 2.7K`);
    assert.equal(lines[1], 'node: 127.0.0.1 - cwd: /srv/app - uid: 0 - gid: 0 - masterpid: 9499');
    assert.equal(lines[2], `workers: 4 (cheap 2, idle 1, busy 1) - stats: ${address}`);
    const rows = lines.slice(3).map((line) => line.trim().split(/\s+/));
    const spawn = formatLastSpawn(1_795_303_724);
    assert.deepEqual(rows, [
      ['WID', '%', 'PID', 'REQ', 'RPS', 'EXC', 'SIG', 'STATUS', 'AVG', 'RSS', 'VSZ', 'TX', 'ReSpwn', 'HC', 'RunT', 'LastSpwn', 'CPU', 'ELU', 'WS'],
      ['1', '44.1', '0', '15', '-', '1', '0', 'cheap', '3000ms', '0', '0', '1.2K', '1', '0', '6005.242', spawn, '-', '-', '-'],
      ['2', '32.4', '9502', '11', '-', '0', '0', 'idle', '375ms', '11.0M', '58.4M', '935', '1', '0', '6003.007', spawn, '-', '-', '-'],
      ['3', '23.5', '10009', '8', '-', '0', '0', 'busy', '23ms', '11.0M', '58.4M', '688', '1', '0', '6001.101', formatLastSpawn(1_795_303_737), '-', '-', '-'],
      ['0', '0.0', '0', '0', '-', '0', '0', 'cheap', '0ms', '0', '0', '0', '0', '0', '0.0', '--:--:--', '-', '-', '-'],
    ]);
    assert.ok(!stdout.includes('\x1b'), 'no terminal escapes in --once output');
  });

  it('--json prints the document exactly as received', async () => {
    const address = await serve(sampleText());
    const { code, stdout } = await run('--json', address);
    assert.equal(code, 0);
    assert.equal(stdout, `${sampleText()}\n`);
  });

  it('exits 1 with a reason, never a stack trace, on partial, malformed or missing servers', async () => {
    const half = sampleText().slice(0, 1500);
    const cases: Array<[string, RegExp]> = [
      [await serve(half), /truncated stats document/],
      [await serve('<html>hello</html>'), /invalid JSON/],
      [await serve('[1, 2, 3]'), /not a stats document/],
      [await closedAddress(), /no stats server at 127\.0\.0\.1:\d+ \(connection refused\)/],
    ];
    for (const [address, reason] of cases) {
      const { code, stdout, stderr } = await run(address, '--once');
      assert.equal(code, 1, address);
      assert.equal(stdout, '');
      assert.match(stderr, reason);
      assert.doesNotMatch(stderr, /\n\s+at /);
    }
    const json = await run('--json', await serve(half));
    assert.equal(json.code, 1);
    assert.equal(json.stdout, `${half}\n`);
  });

  it('prints one table per server', async () => {
    const address = await serve(sampleText());
    const { code, stdout } = await run(address, address, '--once');
    assert.equal(code, 0);
    assert.equal(stdout.split('\n').filter((line) => line.startsWith('uwsgi-2.0.21-debian')).length, 2);
  });

  it('refuses bad arguments with usage and exit code 2', async () => {
    const { code, stderr } = await run('--frequency', 'soon', '127.0.0.1:1');
    assert.equal(code, 2);
    assert.match(stderr, /--frequency wants a number/);
    assert.match(stderr, /usage: tsgitop/);
  });
});
