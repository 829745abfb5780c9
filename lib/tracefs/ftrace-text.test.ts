import { describe, expect, it } from 'vitest';
import { ftraceText, latencyFlags, stateLetters, timestampText } from './ftrace-text';
import { buildPage, fixtureBytes, fixtureFormats, fixtureLayout, fixtureText, switchData } from './test-fixtures';

const layout = fixtureLayout();
const formats = fixtureFormats();

function pagesOf(file: string): Uint8Array[] {
  const b = fixtureBytes(file);
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += layout.pageSize) out.push(b.subarray(i, i + layout.pageSize));
  return out;
}

const eventLines = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('ftraceText', () => {
  it('prints the captured pages exactly as the kernel printed the same events', () => {
    const pages = new Map([
      [0, pagesOf('reference.cpu0.pages')],
      [1, pagesOf('reference.cpu1.pages')],
    ]);
    const mine = eventLines(ftraceText(layout, formats, pages, { spacesInComms: 'keep' }));
    const kernel = eventLines(fixtureText('reference.trace.txt'));
    expect(mine.length).toBe(kernel.length);
    let differ = 0;
    for (let i = 0; i < kernel.length; i++) {
      const k = kernel[i] ?? '';
      const m = mine[i] ?? '';
      // The kernel names the running task from its saved_cmdlines, which may know a pid these
      // events never name ("<...>" here): compare such lines from the pid on.
      const same = m === k || (m.trimStart().startsWith('<...>-') && m.slice(m.indexOf('-')) === k.slice(k.indexOf('-', k.search(/\S/) + 1)));
      if (!same && differ++ < 3) expect(m).toBe(k);
    }
    expect(differ).toBe(0);
  });

  it('selects a window, adds a tgid column and keeps comms with spaces in one argument', () => {
    const page = buildPage(2_000_000_000, [
      { kind: 'event', delta: 10, data: switchData(0, 'swapper/1', 0, 4242, 'CPU 0/KVM') },
      { kind: 'event', delta: 1_000_000, data: switchData(4242, 'CPU 0/KVM', 1, 0, 'swapper/1') },
    ]);
    const text = ftraceText(layout, formats, new Map([[1, [page]]]), { fromNs: 2_000_000_005, baseNs: 1_000_000_000, tgidOf: (pid) => (pid === 4242 ? 4200 : null) });
    const lines = eventLines(text);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('          <idle>-0       (-------) [001] d..2.     3.000000: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=CPU_0/KVM next_pid=4242 next_prio=120');
    expect(lines[1]).toContain('CPU 0/KVM-4242    (   4200) [001] d..2.     3.001000: sched_switch: prev_comm=CPU_0/KVM prev_pid=4242 prev_prio=120 prev_state=S ==>');
    expect(eventLines(ftraceText(layout, formats, new Map([[1, [page]]]), { toNs: 2_000_000_005 }))).toHaveLength(0);
  });
});

describe('ftrace text pieces', () => {
  it('formats times, flags and task states like the kernel', () => {
    expect(timestampText(1623756580499)).toBe(' 1623.756580');
    expect(timestampText(1623756580500)).toBe(' 1623.756581');
    expect(latencyFlags(0x01, 0x02)).toBe('d..2.');
    expect(latencyFlags(0x01 | 0x04 | 0x20 | 0x10, 0x13)).toBe('dNs31');
    expect(latencyFlags(0x08, 0)).toBe('..h..');
    const state = stateLetters(formats.sched_switch.printFmt);
    expect([0, 1, 2, 0x80, 0x100, 0x20].map(state)).toEqual(['R', 'S', 'D', 'I', 'R+', 'Z']);
  });
});
