import { spawn } from 'node:child_process';
import { startPausedGuests, sleep } from './scripts/bench-common';
const guests = await startPausedGuests(20, 8, 'prof2');
for (const mode of ['on', 'off']) {
  const a = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=/tmp/exact-exp/aprof/${mode}`, 'bin/vcpumap-agent.mjs', '--print', '--exact', mode, '--interval', '100ms'], { stdio: ['ignore', 'ignore', 'ignore'] });
  await sleep(30000);
  a.kill('SIGTERM');
  await new Promise((r) => a.once('exit', r));
}
await Promise.all(guests.map((g) => g.stop()));
