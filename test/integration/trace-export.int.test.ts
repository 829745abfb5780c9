// "Open in Perfetto" end to end, on the real tracefs and a real TCG guest: the trace of a window
// fetched through the built server, from the embedded agent (in process) and from a remote
// agent (asked through its ingest answers, uploading to POST .../trace/{id}), must be ftrace
// text that Perfetto's systrace grammar reads, with sched_switch lines that put this test's own
// `CPU 0/TCG` thread on a CPU track; a window older than the kept span is a 404 that says how far
// back the agent keeps. Other helpers' guests share this machine: only our own thread is asserted.
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/model/snapshot';
import { parseSystrace, type SystraceLine } from '../support/perfetto-systrace';
import { startAgentProcess, waitFor, type AgentProcess } from './helpers/agent-process';
import { guestName, startGuest, type Guest } from './helpers/guests';
import { requireTracefs } from './helpers/preconditions';
import { startServer, type TestServer } from './helpers/server';

const TOKEN = `perfetto-${Math.random().toString(36).slice(2)}`;
let g: Guest;
let tid: number;
let embedded: TestServer;
let remote: TestServer;
let agent: AgentProcess | null = null;
const remoteHost = `trace-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  requireTracefs();
  // One spinning guest (vCPU 0 busy) and two servers: one with its embedded agent in exact mode,
  // one without, fed by a remote agent in exact mode.
  [g, embedded, remote] = await Promise.all([
    startGuest({ name: guestName('trace'), smp: 1, workload: 'spin', qmpSockets: 1 }),
    startServer({ VCPUMAP_EMBEDDED_AGENT: '1', VCPUMAP_AGENT_EXACT: 'on', VCPUMAP_AGENT_INTERVAL: '1s' }),
    startServer({ VCPUMAP_AGENT_TOKEN: TOKEN }),
  ]);
  tid = g.vcpuTid(0);
  agent = startAgentProcess(['--server', remote.url, '--token', TOKEN, '--host', remoteHost, '--exact', 'on', '--interval', '500ms', '--trace-keep', '5m']);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await Promise.all([g?.stop(), embedded?.stop(), remote?.stop()]);
});

/**
 * The host's latest snapshot once it shows our guest. (Not its `mode`: the store does not keep
 * it yet; the agents run with --exact on / VCPUMAP_AGENT_EXACT=on, which fails unless exact.)
 */
async function exactSnapshot(server: TestServer, host: string): Promise<Snapshot> {
  let last = 'nothing yet';
  try {
    return await waitFor(
      `a snapshot of ${host} with guest ${g.name}`,
      async () => {
        const res = await fetch(`${server.url}/api/v1/hosts/${encodeURIComponent(host)}/snapshot`);
        if (!res.ok) {
          last = `HTTP ${res.status}`;
          return null;
        }
        const s = (await res.json()) as Snapshot;
        last = `mode ${s.mode}, VMs ${s.vms.map((v) => v.name).join(', ')}`;
        return s.mode !== 'sampled' && s.vms.some((v) => v.name === g.name) ? s : null;
      },
      25_000,
    );
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; last: ${last}\nserver log:\n${server.log().slice(-3000)}\nagent:\n${agent?.stderr().slice(-2000)}`);
  }
}

async function fetchTrace(server: TestServer, host: string, from: number, to: number): Promise<Response> {
  return fetch(`${server.url}/api/v1/hosts/${encodeURIComponent(host)}/trace?from=${from}&to=${to}`);
}

/** The sched_switch lines that switch our vCPU thread in, and the lines it emitted itself. */
function ours(lines: readonly SystraceLine[]): { switchedIn: SystraceLine[]; own: SystraceLine[] } {
  return {
    switchedIn: lines.filter((l) => l.event === 'sched_switch' && l.args.get('next_pid') === String(tid)),
    own: lines.filter((l) => l.pid === tid),
  };
}

async function checkTrace(server: TestServer, host: string): Promise<void> {
  const s = await exactSnapshot(server, host);
  const to = s.at;
  const from = to - 2000;
  const res = await fetchTrace(server, host, from, to);
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="vcpumap-.+\.ftrace\.txt"$/);
  expect(text.startsWith('# tracer: nop\n')).toBe(true);
  const lines = parseSystrace(text);
  expect(Number(res.headers.get('x-vcpumap-trace-events'))).toBe(lines.length);
  const { switchedIn, own } = ours(lines);
  // A spinning vCPU under TCG on a shared 2-core machine is switched in many times in 2 s.
  expect(switchedIn.length, `sched_switch lines naming ${tid}`).toBeGreaterThan(2);
  for (const l of switchedIn) {
    expect(l.args.get('next_comm')).toBe('CPU_0/TCG');
    expect([0, 1]).toContain(l.cpu);
  }
  // The thread name as Perfetto takes it from the task column, spaces kept, with its VM as tgid.
  expect(own.length).toBeGreaterThan(0);
  for (const l of own) {
    expect(l.task).toBe('CPU 0/TCG');
    expect(l.tgid).toBe(String(g.pid));
  }
  // Lines are in time order, inside the window (µs rounding at its edges).
  const first = lines[0]?.tsNs ?? 0;
  const last = lines.at(-1)?.tsNs ?? 0;
  expect(lines.every((l, i) => i === 0 || l.tsNs >= (lines[i - 1]?.tsNs ?? 0))).toBe(true);
  expect(last - first).toBeLessThanOrEqual(2000e6 + 2000);

  // A window before the kept span: 404 saying how far back the agent keeps.
  const old = await fetchTrace(server, host, to - 3 * 3_600_000, to - 2 * 3_600_000);
  expect(old.status).toBe(404);
  expect(((await old.json()) as { error: string }).error).toMatch(/no longer kept: the agent keeps the last \d+ min.*from \d{4}-\d\d-\d\dT/);
}

describe('GET /api/v1/hosts/{host}/trace', () => {
  it("serves the embedded agent's trace of a window, with the guest's vCPU on the CPU tracks", async () => {
    await checkTrace(embedded, hostname());
  }, 45_000);

  it("serves a remote agent's trace through its ingest answers", async () => {
    await checkTrace(remote, remoteHost);
    expect(agent?.stderr()).toMatch(/trace sent: \d+ events/);
  }, 45_000);

  it('answers 400 for a bad window and 404 for a host it does not know', async () => {
    expect((await fetchTrace(remote, remoteHost, 2000, 1000)).status).toBe(400);
    const res = await fetchTrace(remote, `nobody-${remoteHost}`, Date.now() - 1000, Date.now());
    expect(res.status).toBe(404);
  });
});
