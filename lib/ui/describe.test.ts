import { describe, expect, it } from 'vitest';
import { cpuText, occupants, pinnedBy, threadIndex, threadLabel } from './describe';
import { snapshot, vm } from '../../test/support/view-snapshots';

describe('describe', () => {
  const s = snapshot('h', 1, 4, [vm('a', 10, [{ pcpu: 1, ran: false, pin: [1, 2] }]), vm('b', 20, [{ pcpu: 1, ran: true, pin: [2, 3] }])]);

  it('puts the vCPU that ran first on a shared pCPU', () => {
    const on = occupants(s).get(1) ?? [];
    expect(on.map((r) => `${r.vm.name}:${r.thread.tid}`)).toEqual(['b:21', 'a:11']);
  });
  it('lists which VMs pin each pCPU', () => {
    expect(Object.fromEntries(pinnedBy(s))).toEqual({ 1: ['a'], 2: ['a', 'b'], 3: ['b'] });
  });
  it('indexes threads by the history key and names them', () => {
    const r = threadIndex(s).get('a:10:11');
    expect(r && threadLabel(r.thread)).toBe('vCPU 0');
    expect(threadLabel({ role: 'emulator', name: 'qemu-system-x86' })).toBe('emulator (qemu-system-x86)');
    expect(cpuText([0, 1, 2, 5])).toBe('0-2,5');
    expect(cpuText(null)).toBe('none');
  });
});
