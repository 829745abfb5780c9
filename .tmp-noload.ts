import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { AGENT_BIN, processRunNs, sleep, startPausedGuests } from './scripts/bench-common';
const guests = await startPausedGuests(20, 8, 'noload');
try {
  for (let r = 0; r < 3; r++) for (const mode of ['on', 'off']) {
    const a = spawn(process.execPath, [AGENT_BIN, '--print', '--exact', mode, '--interval', '100ms'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let last = ''; let buf = '';
    a.stdout!.on('data', (d: Buffer) => { buf += d.toString(); const i = buf.lastIndexOf('\n'); if (i >= 0) { const lines = buf.slice(0, i).split('\n'); last = lines.at(-1) ?? last; buf = buf.slice(i + 1); } });
    await sleep(10000);
    const n0 = processRunNs(a.pid!); const t0 = performance.now();
    await sleep(8000);
    const pct = (processRunNs(a.pid!) - n0) / 1e6 / (performance.now() - t0) * 100;
    a.kill('SIGTERM'); await new Promise((r) => a.once('exit', r));
    const s = last ? JSON.parse(last) : { vms: [] };
    const threads = s.vms.reduce((n: number, v: any) => n + v.threads.length, 0);
    console.log(mode, pct.toFixed(2) + '%', 'vms', s.vms.length, 'threads', threads, 'events/s', s.trace ? s.trace.events * 10 : '-', 'load', readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  }
} finally { await Promise.all(guests.map((g) => g.stop())); }
