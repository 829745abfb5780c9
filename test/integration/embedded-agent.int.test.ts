// The embedded agent in its own process (lib/server/embedded-agent.ts): the built server with a
// real TCG guest. The guest shows through the API; a tick that holds the agent's thread for
// seconds delays no request; a killed agent is restarted with a log line and frames flow again;
// exact mode's tracefs instance goes with its agent, at a crash and when the server stops.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/model/snapshot';
import { waitFor } from './helpers/agent-process';
import { guestName, startGuest, type Guest } from './helpers/guests';
import { requireTracefs, TRACEFS } from './helpers/preconditions';
import { startServer, type TestServer } from './helpers/server';

const HOST = hostname();
let guest: Guest;
const servers: TestServer[] = [];

beforeAll(async () => {
  requireTracefs(); // also root and QEMU
  guest = await startGuest({ name: guestName('emb'), smp: 2, paused: true, qmpSockets: 1 });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  await guest?.stop();
});

async function server(env: Record<string, string>): Promise<{ s: TestServer; serverPid: number }> {
  const s = await startServer({ VCPUMAP_EMBEDDED_AGENT: '1', VCPUMAP_AGENT_INTERVAL: '500ms', ...env });
  servers.push(s);
  const serverPid = s.pid();
  if (serverPid === null) throw new Error(`the server is not running:\n${s.log()}`);
  return { s, serverPid };
}

/** The server's embedded agent process (its child running dist/embedded-agent.mjs), or null. */
function agentPid(serverPid: number): number | null {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === serverPid && readFileSync(`/proc/${name}/cmdline`, 'latin1').includes('embedded-agent.mjs')) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** The process exists and is not a zombie (a reparented child may wait to be reaped). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The tracefs instances made by process `pid` (instances/vcpumap-<pid>-<start>-<n>). */
function instancesOf(pid: number): string[] {
  return readdirSync(`${TRACEFS}/instances`).filter((n) => n.startsWith(`vcpumap-${pid}-`));
}

/** The latest snapshot of this host when it shows the test's guest with both vCPU threads. */
async function snapshotWithGuest(s: TestServer, after = 0): Promise<Snapshot | null> {
  const res = await fetch(`${s.url}/api/v1/hosts/${encodeURIComponent(HOST)}/snapshot`);
  if (!res.ok) return null;
  const snap = (await res.json()) as Snapshot;
  const tids = snap.vms.find((v) => v.name === guest.name)?.vcpus.map((v) => v.tid);
  return snap.at > after && tids?.join() === `${guest.vcpuTid(0)},${guest.vcpuTid(1)}` ? snap : null;
}

describe('the embedded agent in its own process', () => {
  it('shows the guest through the API, and a tick that blocks for seconds delays no request', async () => {
    const BLOCK_MS = 2000;
    const { s, serverPid } = await server({ VCPUMAP_TEST_AGENT_TICK_BLOCK_MS: String(BLOCK_MS) });
    const first = await waitFor('a snapshot of this host with the guest', () => snapshotWithGuest(s), 30_000);
    expect(agentPid(serverPid)).not.toBeNull();

    // Every tick holds the agent's thread for 2 s, back to back: on the server's event loop a
    // request would wait 1 s on average. Ask for the host list for two blocked ticks.
    const latencies: number[] = [];
    const seen = new Set<number>([first.at]);
    const until = Date.now() + 2 * BLOCK_MS + 500;
    while (Date.now() < until) {
      const t0 = performance.now();
      const res = await fetch(`${s.url}/api/v1/hosts`);
      const hosts = (await res.json()) as { host: string; lastSeen: number }[];
      latencies.push(performance.now() - t0);
      expect(res.status).toBe(200);
      const mine = hosts.find((h) => h.host === HOST);
      if (mine) seen.add(mine.lastSeen);
      await new Promise((r) => setTimeout(r, 100));
    }
    const shown = `GET /api/v1/hosts took ${latencies.map(Math.round).join(', ')} ms`;
    latencies.sort((a, b) => a - b);
    const median = latencies[Math.floor(latencies.length / 2)] ?? Infinity;
    const max = latencies.at(-1) ?? Infinity;
    // The ticks were slow (frames 2 s apart) and the requests were not.
    const ats = [...seen].sort((a, b) => a - b);
    expect(ats.length).toBeGreaterThanOrEqual(2);
    const gaps = ats.slice(1).map((at, i) => at - (ats[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(BLOCK_MS - 100);
    expect(latencies.length).toBeGreaterThan(10);
    expect(median, shown).toBeLessThan(300);
    expect(max, shown).toBeLessThan(BLOCK_MS / 2);
  });

  it('restarts a killed agent with a log line; its tracefs instance goes with it, and with the server at SIGTERM', async () => {
    const { s, serverPid } = await server({ VCPUMAP_AGENT_EXACT: 'on' });
    const firstPid = await waitFor('the embedded agent process', () => agentPid(serverPid));
    await waitFor('a snapshot of this host with the guest', () => snapshotWithGuest(s), 30_000);
    const [firstInstance] = await waitFor('its tracefs instance', () => (instancesOf(firstPid).length > 0 ? instancesOf(firstPid) : null));

    process.kill(firstPid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor('the restart line', () => s.log().includes(`embedded agent (pid ${firstPid}) was killed by SIGKILL; restarting it in 1 s`) || null);
    const secondPid = await waitFor('a new embedded agent', () => {
      const p = agentPid(serverPid);
      return p !== null && p !== firstPid ? p : null;
    });
    // Frames flow again, and the new agent removed the dead one's instance (the kernel closed its files).
    await waitFor('a snapshot taken after the restart', () => snapshotWithGuest(s, killedAt), 30_000);
    expect(existsSync(`${TRACEFS}/instances/${firstInstance}`)).toBe(false);
    expect(instancesOf(secondPid)).toHaveLength(1);
    expect(s.pid()).toBe(serverPid); // the server never went down

    await s.stop('SIGTERM');
    await waitFor('the agent to stop with the server', () => !running(secondPid) || null, 5000);
    expect(instancesOf(secondPid)).toEqual([]);
  });
});
