// Runs the real agent in-process against the live /proc, /sys and libvirt directory.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, type AgentOptions } from '../../../lib/agent/agent';
import type { Snapshot, SnapshotVm } from '../../../lib/model/snapshot';

export interface TestAgent {
  readonly agent: Agent;
  readonly logs: string[];
  /** Two samples `gapMs` apart (so `ran` and deltas are known); returns the second. */
  sampleTwice(gapMs?: number): Promise<Snapshot>;
}

export async function startTestAgent(opts: {
  pins?: unknown; // written as JSON to a temp pins file
  intervalMs?: number;
  libvirtDir?: string;
  /** Longest time an idle thread's stat goes unread (default the agent's 5 s). */
  fullEveryMs?: number;
} = {}): Promise<TestAgent> {
  const logs: string[] = [];
  let pinsFile: string | null = null;
  if (opts.pins !== undefined) {
    pinsFile = path.join(mkdtempSync(path.join(tmpdir(), 'vcpumap-pins-')), 'pins.json');
    writeFileSync(pinsFile, JSON.stringify(opts.pins));
  }
  const options: AgentOptions = {
    host: 'test-host',
    intervalMs: opts.intervalMs ?? 200,
    procRoot: '/proc',
    sysRoot: '/sys',
    libvirtDir: opts.libvirtDir ?? '/run/libvirt/qemu',
    pinsFile,
    discoverEveryMs: 0, // every tick: tests start and stop guests between samples
    affinityEveryMs: 0,
    ...(opts.fullEveryMs !== undefined ? { fullEveryMs: opts.fullEveryMs } : {}),
    log: (level, message) => logs.push(`${level}: ${message}`),
  };
  const agent = await Agent.create(options);
  await agent.prepare();
  return {
    agent,
    logs,
    async sampleTwice(gapMs = 300) {
      agent.sample();
      await new Promise((r) => setTimeout(r, gapMs));
      await agent.settle();
      return agent.sample();
    },
  };
}

export function vmNamed(snapshot: Snapshot, name: string): SnapshotVm {
  const vm = snapshot.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`VM ${name} not in snapshot; VMs: ${snapshot.vms.map((v) => v.name).join(', ')}`);
  return vm;
}

export function violationsOf(snapshot: Snapshot, name: string): Snapshot['violations'] {
  return snapshot.violations.filter((v) => v.vms.includes(name) || v.vm === name);
}
