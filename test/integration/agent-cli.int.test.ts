// The vcpumap-agent command as an operator runs it.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/model/snapshot';
import { requireQemu } from './helpers/preconditions';
import { guestName, startGuest, type Guest } from './helpers/guests';
import { buildProc } from '../support/proc-tree';

const BIN = path.resolve(import.meta.dirname, '../../bin/vcpumap-agent.mjs');
let g: Guest;

beforeAll(async () => {
  requireQemu();
  g = await startGuest({ name: guestName('cli'), smp: 2, paused: true });
});
afterAll(async () => g.stop());

describe('vcpumap-agent', () => {
  it('--once --print prints one snapshot with the guest', () => {
    const r = spawnSync(process.execPath, [BIN, '--once', '--print', '--interval', '200ms'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const snap = JSON.parse(r.stdout) as Snapshot;
    expect(snap.version).toBe(1);
    expect(snap.intervalMs).toBeGreaterThanOrEqual(190);
    const vm = snap.vms.find((v) => v.name === g.name);
    expect(vm?.vcpus.map((v) => [v.index, v.tid])).toEqual([[0, g.vcpuTid(0)], [1, g.vcpuTid(1)]]);
    expect(snap.topology.cpus.length).toBeGreaterThan(0);
  });

  it('--print streams one JSON snapshot per line until SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, '--print', '--interval', '100ms'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    // At least 2.5 s and 8 lines: the start (QMP identity of every guest on the host, other
    // helpers' included) can take seconds on a loaded machine.
    const since = Date.now();
    for (let waited = 0; (waited < 2500 || out.split('\n').length <= 8) && waited < 20_000; waited = Date.now() - since) {
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Snapshot);
    expect(lines.length).toBeGreaterThanOrEqual(8);
    const times = lines.map((s) => s.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(lines.at(-1)?.vms.some((v) => v.name === g.name)).toBe(true);
  });

  it('reads a captured host from --proc-root, --sys-root and --libvirt-dir, vhost kernel threads included', () => {
    // /dev/vhost-net is missing on these machines: the vhost worker of a kernel before 6.4 (a
    // kernel thread of its own, `vhost-<qemu pid>`) is staged in the tree beside probe1.
    const tree = buildProc();
    tree.vhostKthread(7600, '1');
    const r = spawnSync(
      process.execPath,
      [BIN, '--once', '--print', '--interval', '100ms', '--proc-root', tree.root, '--sys-root', tree.sys, '--libvirt-dir', tree.libvirt],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const snap = JSON.parse(r.stdout) as Snapshot;
    expect(snap.vms.map((v) => [v.name, v.identity, v.cgroup?.path])).toEqual([['probe1', 'libvirt', '/machine/qemu-1-probe1.libvirt-qemu']]);
    expect(snap.vms[0]?.threads.find((t) => t.tid === 7600)).toMatchObject({ role: 'vhost', name: 'vhost-7468', pin: [0, 1], affinity: [1] });
    expect(snap.violations.map((v) => [v.kind, v.tids, v.fix])).toEqual([['affinity-drift', [7600], 'virsh emulatorpin probe1 0-1 --live']]);
  });

  it('rejects bad options with a clear message', () => {
    const bad = spawnSync(process.execPath, [BIN, '--print', '--interval', 'soon'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/invalid duration "soon"/);
    const pins = spawnSync(process.execPath, [BIN, '--once', '--print', '--pins', '/nonexistent/pins.yaml'], { encoding: 'utf8' });
    expect(pins.status).toBe(1);
    expect(pins.stderr).toMatch(/nonexistent\/pins\.yaml/);
  });
});
