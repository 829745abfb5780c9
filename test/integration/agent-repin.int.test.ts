// A legitimate re-pin never shows as a violation (issue 9, item 2): a libvirt domain re-pinned
// live with virsh, and a plain QEMU whose pins file is edited before or after a taskset, each
// three times, with the agent printing at 100 ms and at 1 s. libvirt writes the kernel mask
// first and its status XML after it; the agent must judge the mask against the intent as it
// stands after the change, and follow the new pin.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/model/snapshot';
import { requireLibvirt } from './helpers/preconditions';
import { guestName, startGuest, type Guest } from './helpers/guests';
import { taskset, virsh } from './helpers/commands';
import { createDomain, type Domain } from './helpers/libvirt';
import { startAgentProcess, waitFor, type AgentProcess } from './helpers/agent-process';

const domains: Domain[] = [];
const guests: Guest[] = [];

beforeAll(() => {
  requireLibvirt();
  if (availableParallelism() < 2) throw new Error('these tests re-pin a vCPU between CPUs 0 and 1: the host needs 2 CPUs');
});

afterAll(async () => {
  for (const d of domains) d.destroy();
  await Promise.all(guests.map((g) => g.stop()));
});

/** The violations a re-pin caught half-way would show: off-pin and affinity-drift of this VM. */
function transients(printed: readonly Snapshot[], name: string): string[] {
  const out: string[] = [];
  for (const s of printed) {
    for (const v of s.violations) {
      if ((v.kind === 'off-pin' || v.kind === 'affinity-drift') && v.vms.includes(name)) out.push(`${new Date(s.at).toISOString()} ${v.message}`);
    }
  }
  return out;
}

/** Waits for a snapshot taken after `after` in which vCPU 0 of `name` is pinned and masked to `cpu`. */
async function followed(agent: AgentProcess, name: string, cpu: number, after: number, intervalMs: number): Promise<void> {
  const seen = (): string => {
    const s = agent.printed.at(-1);
    const vm = s?.vms.find((x) => x.name === name);
    return `last snapshot ${s === undefined ? 'none' : new Date(s.at).toISOString()}: ${JSON.stringify(vm?.vcpus.map((v) => [v.index, v.pin, v.affinity, v.pcpu]) ?? 'VM not listed')}\n${agent.stderr()}`;
  };
  await waitFor(
    `vCPU 0 of ${name} on pCPU ${cpu} in the snapshot`,
    () => {
      const s = agent.printed.at(-1);
      const v = s !== undefined && s.at > after ? s.vms.find((x) => x.name === name)?.vcpus.find((x) => x.index === 0) : undefined;
      return v !== undefined && v.pin?.join(',') === String(cpu) && v.affinity.join(',') === String(cpu) ? true : null;
    },
    4 * intervalMs + 5000,
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; ${seen()}`);
  });
}

const INTERVALS = [100, 1000];

describe('a libvirt domain re-pinned live with virsh vcpupin', () => {
  it.each(INTERVALS)('shows no transient off-pin or affinity-drift, and follows the new pin (agent at %i ms)', async (intervalMs) => {
    // vCPU 0 spins, so a re-pin moves it at once; vCPU 1 (halted) may run anywhere.
    const d = createDomain({ name: guestName(`repin${intervalMs}`), maxVcpus: 2, currentVcpus: 2, vcpupin: { 0: '0', 1: '0-1' }, emulatorpin: '0-1', workload: 'spin' });
    domains.push(d);
    const agent = startAgentProcess(['--print', '--interval', `${intervalMs}ms`]);
    try {
      await followed(agent, d.name, 0, 0, intervalMs);
      for (const cpu of [1, 0, 1]) {
        const t0 = Date.now();
        virsh('vcpupin', d.name, '0', String(cpu), '--live');
        await followed(agent, d.name, cpu, t0, intervalMs);
        await new Promise((r) => setTimeout(r, 2 * intervalMs + 200)); // ticks after the re-pin
      }
    } finally {
      await agent.stop();
      d.destroy();
      domains.splice(domains.indexOf(d), 1);
    }
    const mine = agent.printed.filter((s) => s.vms.some((v) => v.name === d.name));
    expect(mine.length).toBeGreaterThan(8);
    expect(transients(agent.printed, d.name)).toEqual([]);
  });
});

describe('a plain QEMU whose pins file is edited with a taskset', () => {
  it.each(INTERVALS)('shows no transient violation whether the edit comes first or second (agent at %i ms)', async (intervalMs) => {
    const g = await startGuest({ name: guestName(`pinsed${intervalMs}`), smp: 2, workload: 'spin', qmpSockets: 1 });
    guests.push(g);
    const pinsFile = path.join(mkdtempSync(path.join(tmpdir(), 'vcpumap-pins-')), 'pins.yaml');
    const writePins = (cpu: number): void =>
      writeFileSync(pinsFile, `vms:\n  ${JSON.stringify(g.name)}:\n    vcpupin: { "0": "${cpu}", "1": "0-1" }\n    emulatorpin: "0-1"\n`);
    for (const [tid, name] of g.threads()) taskset(name === 'CPU 0/TCG' ? '0' : '0-1', tid);
    writePins(0);
    const agent = startAgentProcess(['--print', '--interval', `${intervalMs}ms`, '--pins', pinsFile]);
    try {
      await followed(agent, g.name, 0, 0, intervalMs);
      const steps: readonly [number, 'edit first' | 'taskset first'][] = [
        [1, 'edit first'],
        [0, 'taskset first'],
        [1, 'edit first'],
      ];
      for (const [cpu, order] of steps) {
        const t0 = Date.now();
        if (order === 'edit first') {
          writePins(cpu);
          taskset(String(cpu), g.vcpuTid(0));
        } else {
          taskset(String(cpu), g.vcpuTid(0));
          writePins(cpu);
        }
        await followed(agent, g.name, cpu, t0, intervalMs);
        await new Promise((r) => setTimeout(r, 2 * intervalMs + 200));
      }
    } finally {
      await agent.stop();
      await g.stop();
      guests.splice(guests.indexOf(g), 1);
    }
    expect(agent.stderr()).not.toMatch(/pins file .* is invalid/);
    expect(transients(agent.printed, g.name)).toEqual([]);
  });
});
