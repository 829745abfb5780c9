// Threads that exit while the agent reads them are normal: a process whose threads come and go
// all the time is sampled for a while, and every sample must succeed.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ProcessThreads } from '../../lib/agent/process-threads';

const CHURN = `
const { Worker } = require('node:worker_threads');
setInterval(() => { new Worker('setTimeout(() => {}, Math.random() * 20)', { eval: true }); }, 2);
`;

describe('sampling a process whose threads exit mid-read', () => {
  it('never fails and only reports live threads', async () => {
    const child = spawn(process.execPath, ['-e', CHURN], { stdio: 'ignore' });
    const pid = child.pid;
    if (pid === undefined) throw new Error('could not start the thread-churn process');
    await new Promise((r) => setTimeout(r, 300));
    const threads = new ProcessThreads('/proc', pid, { affinityEveryMs: 0, fullEveryMs: 0 });
    const seen = new Set<number>();
    // At least 2 s and 100 samples (a loaded machine samples slower), at most 20 s.
    const until = Date.now() + 2000;
    const giveUp = Date.now() + 20_000;
    let samples = 0;
    while ((Date.now() < until || samples < 100) && Date.now() < giveUp) {
      const s = threads.sample(Date.now());
      expect(s).not.toBeNull();
      for (const t of s?.threads ?? []) seen.add(t.tid);
      samples++;
      await new Promise((r) => setImmediate(r));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The process is gone: the next sample says so instead of throwing.
    expect(threads.sample(Date.now())).toBeNull();
    expect(samples).toBeGreaterThanOrEqual(100);
    expect(seen.size).toBeGreaterThan(20); // threads really came and went
  });
});
