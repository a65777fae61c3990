import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { clearSamples, sampleProcesses } from './sampler.js';

test('sampleProcesses reads CPU, RSS and VSZ of live processes and leaves out a gone one', async (t) => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((resolve) => child.once('spawn', resolve));
  const gone = spawnSync('true').pid!; // exited and reaped: its pid reads as absent
  try {
    const samples = await sampleProcesses([process.pid, child.pid!, gone]);
    assert.deepEqual([...samples.keys()].sort(), [process.pid, child.pid!].sort());
    for (const [pid, s] of samples) {
      assert.ok(s.rss > 1024 * 1024, `rss of ${pid}: ${s.rss}`);
      assert.ok(s.vsz > s.rss, `vsz of ${pid}: ${s.vsz}`);
      assert.ok(s.cpu >= 0);
    }
    assert.equal((await sampleProcesses([gone])).size, 0, 'only gone processes: an empty map, no throw');
    assert.equal((await sampleProcesses([])).size, 0);
  } finally {
    clearSamples();
  }
});

test('sampleProcesses: CPU is the share of one core since the previous reading, 0 at the first', async (t) => {
  t.after(clearSamples);
  const t0 = 1_000_000;
  const first = (await sampleProcesses([process.pid], t0)).get(process.pid)!;
  assert.equal(first.cpu, 0, 'no previous reading: no rate');
  // burn 300 ms of this process's own CPU time (however long that takes), then read as if 1 s had passed
  const start = process.cpuUsage();
  while ((process.cpuUsage(start).user + process.cpuUsage(start).system) / 1000 < 300);
  const second = (await sampleProcesses([process.pid], t0 + 1000)).get(process.pid)!;
  // 300 ms of CPU in 1 s is 30 %; the kernel counts in 10 ms ticks and the loop's own start and end add a little
  assert.ok(second.cpu >= 25 && second.cpu <= 60, `cpu ${second.cpu}`);
});

test('sampleProcesses leaves out a process without an address space (a zombie; a child between fork and exec reads the same)', async (t) => {
  // sh runs `sleep 0` in the background and execs `sleep 5`, which never reaps it: a zombie
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => parent.kill('SIGKILL'));
  const zombie = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  for (let i = 0; i < 100 && !readFileSync(`/proc/${zombie}/stat`, 'latin1').includes(') Z '); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(readFileSync(`/proc/${zombie}/stat`, 'latin1'), /\) Z /, 'the child is a zombie');
  try {
    const samples = await sampleProcesses([process.pid, zombie]);
    assert.deepEqual([...samples.keys()], [process.pid], 'its RSS and VSZ of 0 are not a reading');
  } finally {
    clearSamples();
  }
});
