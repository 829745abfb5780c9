import { describe, expect, it } from 'vitest';
import { parseSystrace } from '../../test/support/perfetto-systrace';
import { ftraceText, ftraceTrace, latencyFlags, stateLetters, timestampText } from './ftrace-text';
import { buildPage, fixtureBytes, fixtureFormats, fixtureLayout, fixtureText, switchData, wakingData } from '../../test/support/tracefs-fixtures';

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

describe('ftraceText for Perfetto', () => {
  // Two CPUs of a VM of pid 4200: its vCPU threads CPU 0/TCG (4242) and CPU 1/TCG (4243), its
  // emulator (4300), an IOThread (4301) that no event of the window names, a kworker.
  const cpu0 = buildPage(5_000_000_000, [
    { kind: 'event', delta: 10, data: switchData(0, 'swapper/0', 0, 4242, 'CPU 0/TCG') },
    { kind: 'event', delta: 2_000_000, data: wakingData(4243, 'CPU 1/TCG', 4242, 1) },
  ]);
  const cpu1 = buildPage(5_001_000_000, [
    { kind: 'event', delta: 5, data: wakingData(77, 'kworker/1:1', 4301, 1) },
    { kind: 'event', delta: 1_500_000, data: switchData(4300, 'qemu-system-x86', 1, 4243, 'CPU 1/TCG') },
  ]);
  const pages = new Map([
    [1, [cpu1]],
    [0, [cpu0]],
  ]);
  const text = ftraceText(layout, formats, pages, {
    comments: ['vcpumap: test'],
    commOf: (pid) => (pid === 4301 ? 'IO mon_iothread' : null),
    tgidOf: (pid) => (pid === 0 ? 0 : pid >= 4200 && pid < 4400 ? 4200 : null),
  });

  it('prints the header, then every event of every CPU in time order, exactly', () => {
    expect(text).toBe(
      [
        '# tracer: nop',
        '# vcpumap: test',
        '#',
        '# entries-in-buffer/entries-written: 4/4   #P:2',
        '#',
        '#           TASK-PID    TGID     CPU#  |||||  TIMESTAMP  FUNCTION',
        '#              | |        |         |   |||||     |         |',
        '          <idle>-0       (      0) [000] d..2.     5.000000: sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=CPU_0/TCG next_pid=4242 next_prio=120',
        ' IO mon_iothread-4301    (   4200) [001] .....     5.001000: sched_waking: comm=kworker/1:1 pid=77 prio=120 target_cpu=001',
        '       CPU 0/TCG-4242    (   4200) [000] .....     5.002000: sched_waking: comm=CPU_1/TCG pid=4243 prio=120 target_cpu=001',
        ' qemu-system-x86-4300    (   4200) [001] d..2.     5.002500: sched_switch: prev_comm=qemu-system-x86 prev_pid=4300 prev_prio=120 prev_state=S ==> next_comm=CPU_1/TCG next_pid=4243 next_prio=120',
        '',
      ].join('\n'),
    );
  });

  it("reads as Perfetto's systrace grammar reads it: CPU tracks, thread names with their spaces, tgids", () => {
    const lines = parseSystrace(text);
    expect(lines.map((l) => [l.task, l.pid, l.tgid, l.cpu, l.tsNs, l.event])).toEqual([
      ['<idle>', 0, '0', 0, 5_000_000_000, 'sched_switch'],
      ['IO mon_iothread', 4301, '4200', 1, 5_001_000_000, 'sched_waking'],
      ['CPU 0/TCG', 4242, '4200', 0, 5_002_000_000, 'sched_waking'],
      ['qemu-system-x86', 4300, '4200', 1, 5_002_500_000, 'sched_switch'],
    ]);
    const last = lines[3]?.args;
    expect([last?.get('prev_comm'), last?.get('prev_state'), last?.get('next_comm'), last?.get('next_pid')]).toEqual(['qemu-system-x86', 'S', 'CPU_1/TCG', '4243']);
    expect(lines[1]?.args.get('pid')).toBe('77');
  });

  it('decodes a page at a time and prints the same text a chunk of lines at a time, knowing its event count first', () => {
    const t = ftraceTrace(layout, formats, pages, { comments: ['vcpumap: test'], commOf: (pid) => (pid === 4301 ? 'IO mon_iothread' : null), tgidOf: (pid) => (pid === 0 ? 0 : pid >= 4200 && pid < 4400 ? 4200 : null) });
    expect([...t.decode()]).toHaveLength(2); // a step per page
    expect(t.events).toBe(4);
    const chunks = [...t.chunks(1)];
    expect(chunks).toHaveLength(5); // the header, then a line each
    expect(chunks.join('')).toBe(text);
  });

  it('names a task the window never names "<...>" without a name for it', () => {
    const lines = parseSystrace(ftraceText(layout, formats, pages));
    expect(lines[1]?.task).toBe('<...>');
    expect(lines[1]?.tgid).toBe('');
  });
});
