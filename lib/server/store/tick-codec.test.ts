import { describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotVm, Violation } from '../../model/snapshot';
import { ByteWriter } from './byte-codec';
import { codecFor } from '../../../test/support/codec-fixture';
import { hostFrames } from '../../../test/support/snapshot-factory';
import { decodePlacement, decodeTick, encodeRow, isWholeRow, newPlacement, type TickViolation } from './tick-codec';

function expectExact(decoded: Snapshot, frame: Snapshot): void {
  expect(decoded).toStrictEqual(frame);
  expect(JSON.stringify(decoded)).toBe(JSON.stringify(frame)); // key order too
}

/** A frame with everything unusual the contract allows. */
function oddFrame(base: Snapshot): Snapshot {
  const [vm0, ...rest] = base.vms;
  if (!vm0) throw new Error('no VM');
  const vm: SnapshotVm = {
    ...vm0,
    vcpus: [
      ...vm0.vcpus.map((v, i) =>
        i === 0
          ? { ...v, runNs: null, waitNs: null }
          : i === 1
            ? { ...v, state: 'Q?', ran: !v.ran, pcpu: v.pcpu + 1 } // differs from its thread
            : i === 2
              ? { ...v, runNs: 1.5, waitNs: 2 ** 53 }
              : v,
      ),
      // a vCPU whose thread is not in the task list (read race)
      { index: 99, tid: 424242, pcpu: 3, affinity: [3], pin: null, ran: true, state: 'R', runNs: 7, waitNs: 0, identity: 'thread-name' },
    ],
    threads: vm0.threads.map((t, i) => (i === 0 ? { ...t, state: 'D', name: 'qemu "main" ✓' } : t)),
  };
  const violation: Violation = {
    id: 'shared-dedicated|a|b',
    kind: 'shared-dedicated',
    severity: 'critical',
    vm: 'a',
    vms: ['a', 'b'],
    tids: [1, 2, 3],
    pcpus: [],
    message: 'x',
    fix: null,
    since: 0,
    lastSeen: base.at + 0.5,
  };
  return {
    ...base,
    intervalMs: 999.25,
    topology: { ...base.topology, cpus: base.topology.cpus.map((c, i) => (i === 0 ? { ...c, busy: Math.PI / 4 } : i === 1 ? { ...c, busy: null } : c)) },
    vms: [vm, ...rest],
    violations: [...base.violations, violation],
  };
}

describe('tick codec', () => {
  it('reconstructs realistic snapshots exactly from structure + row', { timeout: 20_000 }, () => {
    const c = codecFor();
    for (const [seed, host] of [[1, 'hv-01'], [2, 'hv "02"']] as const) {
      for (const f of hostFrames({ host, seed, hotplugAt: 40 }, 150)) {
        const { st, row } = c.encode(f);
        expectExact(decodeTick(st, row, f.at, (id) => c.body(id)), f);
      }
    }
    // two hosts, each with one hot-plug: four structures for 300 frames
    expect(c.structures).toBe(4);
  });

  it('reconstructs unusual values exactly: nulls, fractions, odd states, vCPUs without a thread', () => {
    const c = codecFor();
    const [first, second] = hostFrames({ host: 'hv-odd' }, 2);
    if (!first || !second) throw new Error('no frames');
    for (const f of [first, oddFrame(second)]) {
      const { st, row } = c.encode(f);
      expectExact(decodeTick(st, row, f.at, (id) => c.body(id)), f);
    }
  });

  it('reconstructs exact-mode snapshots exactly: mode, trace, residency, migrations, wake-up latency, other tasks, IRQs, lost events', () => {
    const c = codecFor();
    const frames = hostFrames({ host: 'hv-x', seed: 7, exact: true }, 60);
    for (const f of frames) {
      const { st, row } = c.encode(f);
      expectExact(decodeTick(st, row, f.at, (id) => c.body(id)), f);
    }
    // and an exact frame's odd values: a thread that exited (pid null), a VM task, a wake-up-less vCPU, huge counters
    const f = frames[3];
    if (!f) throw new Error('no frame');
    const odd: Snapshot = {
      ...f,
      trace: { events: 2 ** 53 - 1, lostEvents: 0, cutToReadNs: 2 ** 53 - 1 },
      topology: { ...f.topology, cpus: f.topology.cpus.map((cpu, i) => (i === 0 ? { ...cpu, others: [{ pid: null, tid: 0, comm: '', ns: 1.5, switchIns: 0, kernel: false, vm: 'tenant "a"/b' }], irqs: [] } : cpu)) },
    };
    const { st, row } = c.encode(odd);
    expectExact(decodeTick(st, row, odd.at, (id) => c.body(id)), odd);
  });

  it('keeps realistic rows small', () => {
    const c = codecFor();
    const frames = hostFrames({ host: 'hv-01' }, 300);
    const total = frames.reduce((n, f) => n + c.encode(f).row.length, 0);
    // 64 vCPUs: the ns counters alone take ~300 bytes; JSON would be ~32 kB.
    expect(total / frames.length).toBeLessThan(520);
  });

  it('decodes placement (pCPU, ran) and violations without the rest', () => {
    const c = codecFor();
    const second = hostFrames({ host: 'hv-p' }, 2)[1];
    if (!second) throw new Error('no frame');
    const f = oddFrame(second);
    const { st, row } = c.encode(f);
    const p = newPlacement(st.placedCount);
    const vs: TickViolation[] = [];
    decodePlacement(st, row, f.at, p, vs);
    const expected = [...f.vms.flatMap((vm) => vm.threads.map((t) => ({ pcpu: t.pcpu, ran: t.ran ? 1 : 0 })))];
    const tids = new Set(f.vms.flatMap((vm) => vm.threads.map((t) => t.tid)));
    for (const vm of f.vms) for (const v of vm.vcpus) if (!tids.has(v.tid)) expected.push({ pcpu: v.pcpu, ran: v.ran ? 1 : 0 });
    expect(st.placedCount).toBe(expected.length);
    expect(Array.from(p.pcpu.subarray(0, st.placedCount))).toEqual(expected.map((e) => e.pcpu));
    expect(Array.from(p.ran.subarray(0, st.placedCount))).toEqual(expected.map((e) => e.ran));
    expect(vs.map((v) => [c.body(v.bodyId).id, v.since, v.lastSeen])).toEqual(f.violations.map((v) => [v.id, v.since, v.lastSeen]));
    expect(st.placed.at(-1)).toMatchObject({ tid: 424242, role: 'vcpu', vcpu: 99 });
    expect(isWholeRow(st, row)).toBe(true);
    expect(isWholeRow(st, row.subarray(0, decodePlacement(st, row, f.at, p, null).pos))).toBe(false);
  });

  it('refuses a row that does not belong to the structure', () => {
    const c = codecFor();
    const [a] = hostFrames({ host: 'a' }, 1);
    const [b] = hostFrames({ host: 'b', vms: [{ name: 'one', vcpus: 1, pinBase: 0, load: 0.1 }] }, 1);
    if (!a || !b) throw new Error('no frames');
    const ra = c.encode(a);
    const rb = c.encode(b);
    expect(() => decodeTick(rb.st, ra.row, a.at, (id) => c.body(id))).toThrow(/store codec/);
    expect(() => encodeRow(new ByteWriter(), rb.st, ra.tick, [])).toThrow(/violations but 0 body ids|does not fit structure/);
  });
});
