import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interruptDeltas, isDeviceIrq, parseInterrupts } from './interrupts';

const captured = readFileSync(path.join(import.meta.dirname, '../../test/fixtures/procfs/interrupts.2cpu.txt'), 'utf8');

// A host with CPU 1 offline: its column is missing, so columns are not CPU ids.
const OFFLINE = `           CPU0       CPU2       CPU3
  0:         44          0          0   IO-APIC   2-edge      timer
 36:          0        900         17   PCI-MSI 524288-edge      nvme0q1, nvme0q2
LOC:     100000      20000      30000   Local timer interrupts
ERR:          0
`;

describe('parseInterrupts', () => {
  it('reads the capture of this machine: columns, device and per-CPU rows, names', () => {
    const p = parseInterrupts(captured);
    expect(p.cpus).toEqual([0, 1]);
    const disk = p.rows.find((r) => r.name.endsWith('virtio1-req.0'));
    expect(disk?.irq).toBe('36');
    expect(disk?.counts).toHaveLength(2);
    expect(disk?.name).toBe('PCI-MSIX-0000:00:02.0 1-edge virtio1-req.0');
    expect(p.rows.find((r) => r.irq === 'LOC')?.name).toBe('Local timer interrupts');
    expect(p.rows.find((r) => r.irq === 'ERR')?.counts).toHaveLength(1);
  });

  it('takes CPU ids from the header', () => {
    const p = parseInterrupts(OFFLINE);
    expect(p.cpus).toEqual([0, 2, 3]);
    expect(p.rows[1]).toEqual({ irq: '36', counts: [0, 900, 17], name: 'PCI-MSI 524288-edge nvme0q1, nvme0q2' });
  });

  it('refuses text that is not /proc/interrupts', () => {
    expect(() => parseInterrupts('hello\n')).toThrow('expected a header of CPU columns');
    expect(() => parseInterrupts('   CPU0\nno label here\n')).toThrow('line 2');
  });
});

describe('interruptDeltas', () => {
  it('gives per-CPU growth by IRQ, largest first, only for the CPUs asked', () => {
    const a = parseInterrupts(OFFLINE);
    const b = parseInterrupts(OFFLINE.replace('900         17', '950         17').replace('20000      30000', '20250      30000'));
    const d = interruptDeltas(a, b, [2, 3, 1]);
    expect(d.get(2)).toEqual([
      { irq: 'LOC', name: 'Local timer interrupts', count: 250 },
      { irq: '36', name: 'PCI-MSI 524288-edge nvme0q1, nvme0q2', count: 50 },
    ]);
    expect(d.get(3)).toEqual([]);
    expect(d.has(1)).toBe(false); // offline: no column
  });

  it('counts an IRQ that was freed and requested again from zero', () => {
    const a = parseInterrupts(OFFLINE);
    const b = parseInterrupts(OFFLINE.replace('900         17', '  5         17'));
    expect(interruptDeltas(a, b, [2]).get(2)).toContainEqual({ irq: '36', name: 'PCI-MSI 524288-edge nvme0q1, nvme0q2', count: 5 });
  });

  it('tells device interrupts from per-CPU ones', () => {
    expect(['36', '0', 'LOC', 'RES', 'TLB'].map(isDeviceIrq)).toEqual([true, true, false, false, false]);
  });
});
