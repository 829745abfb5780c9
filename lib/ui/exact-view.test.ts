import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { exactHistory, history } from '../../test/support/history-builder';
import { formatNs, latencyText, residencyText, whoElseOverWindow, whoElseRan } from './exact-view';
import { snapshot, vm } from '../../test/support/view-snapshots';

const MS = 1e6;

function exactHost(): Snapshot {
  const base = snapshot('hv', 1000, 4, [vm('web-1', 100, [{ pcpu: 2, ran: true, pin: [2] }, { pcpu: 3, ran: true, pin: [3] }])]);
  const web = base.vms[0];
  if (web === undefined) throw new Error('no VM');
  const vcpus = web.vcpus.map((v) => (v.index === 0 ? { ...v, residency: [{ pcpu: 1, ns: 50 * MS, switchIns: 3 }, { pcpu: 2, ns: 400 * MS, switchIns: 20 }] } : { ...v, residency: [{ pcpu: 3, ns: 10 * MS, switchIns: 2 }] }));
  const cpus = base.topology.cpus.map((c) =>
    c.cpu === 2
      ? {
          ...c,
          others: [
            { pid: 5000, tid: 5000, comm: 'yes', ns: 480 * MS, switchIns: 12, kernel: false },
            { pid: 100, tid: 100, comm: 'qemu-system-x86', ns: 3 * MS, switchIns: 5, kernel: false, vm: 'web-1' },
            { pid: 26, tid: 26, comm: 'ksoftirqd/2', ns: 0.04 * MS, switchIns: 3, kernel: true },
          ],
          othersRest: { tasks: 4, ns: 0.5 * MS },
          irqs: [{ irq: 'LOC', name: 'Local timer interrupts', count: 250 }, { irq: '36', name: 'IR-PCI-MSI eth0', count: 900 }],
        }
      : c,
  );
  return { ...base, mode: 'exact', topology: { ...base.topology, cpus }, vms: [{ ...web, vcpus }] };
}

describe('whoElseRan', () => {
  it('ranks every task that ran on the pCPU by run time: host tasks, the VM\'s own threads, kernel threads', () => {
    const w = whoElseRan(exactHost(), 2);
    expect(w.exact).toBe(true);
    expect(w.tasks.map((t) => [t.comm, t.vm, t.ns])).toEqual([
      ['yes', null, 480 * MS],
      ['vCPU 0 (CPU 0/KVM)', 'web-1', 400 * MS],
      ['qemu-system-x86', 'web-1', 3 * MS],
      ['ksoftirqd/2', null, 0.04 * MS],
    ]);
    expect(w.rest).toEqual({ tasks: 4, ns: 0.5 * MS });
    expect(w.irqs.map((i) => i.irq)).toEqual(['36', 'LOC']);
    expect(w.intervalNs).toBe(1000 * MS);
  });

  it('finds a vCPU that strayed onto an unwatched pCPU from its residency', () => {
    expect(whoElseRan(exactHost(), 1).tasks.map((t) => [t.tid, t.ns])).toEqual([[101, 50 * MS]]);
  });

  it('knows only the last-seen VM threads when sampled, without run time', () => {
    const s = snapshot('hv', 1000, 4, [vm('a', 10, [{ pcpu: 2, ran: true }, { pcpu: 2, ran: false }])]);
    const w = whoElseRan(s, 2);
    expect(w.exact).toBe(false);
    expect(w.tasks.map((t) => [t.tid, t.ns])).toEqual([[11, null]]);
    expect(w.irqs).toEqual([]);
  });
});

describe('texts', () => {
  it('formats run times, residency shares and wake-up latency', () => {
    expect([formatNs(512), formatNs(830_000), formatNs(1_250_000), formatNs(48_200_000), formatNs(480_000_000), formatNs(2.4e9)]).toEqual(['512 ns', '830 µs', '1.25 ms', '48.2 ms', '480 ms', '2.40 s']);
    expect(residencyText([{ pcpu: 1, ns: 50 * MS, switchIns: 3 }, { pcpu: 2, ns: 400 * MS, switchIns: 20 }], 1000)).toBe('pCPU 2: 40.0%, 1: 5.0%');
    expect(residencyText([], 1000)).toBe('did not run');
    expect(latencyText({ p50: 12_000, p99: 80_000, max: 1_200_000, count: 14 })).toBe('p50 12 µs · p99 80 µs · max 1.20 ms (14)');
    expect(latencyText(null)).toBe('no wake-up');
  });
});

describe('whoElseOverWindow', () => {
  it('sums every task that ran on the pCPU over the window, ranked by run time, with the span of the exact ticks', () => {
    const w = whoElseOverWindow(exactHistory(), 2);
    expect(w.exact).toBe(true);
    expect(w.columns).toBe(2);
    expect(w.intervalNs).toBe(2000 * MS);
    expect(w.tasks.map((t) => [t.comm, t.vm, t.ns])).toEqual([
      ['vCPU 0 (CPU 0/KVM)', 'a', 1200 * MS],
      ['vCPU 0 (CPU 0/KVM)', 'b', 600 * MS],
      ['yes', null, 400 * MS],
      ['ksoftirqd/2', null, 0.1 * MS],
    ]);
    expect(w.tasks[3]?.kernel).toBe(true);
    expect(w.irqs).toEqual([{ irq: '36', name: 'eth0', count: 10 }]);
    expect(w.rest).toEqual({ tasks: 4, ns: 0.02 * MS });
  });

  it('covers the columns asked for, and says when the history has no exact figures', () => {
    expect(whoElseOverWindow(exactHistory(), 2, 2, 3).tasks[0]?.ns).toBe(600 * MS);
    const sampled = whoElseOverWindow(history([{ vm: 'a', tid: 10, pcpu: [2, 2] }]), 2);
    expect(sampled.exact).toBe(false);
    expect(sampled.intervalNs).toBeNull();
  });
});
