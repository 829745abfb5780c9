import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcStat, parseSchedstat, parseTaskStat, parseTaskStatus, pcpuLoad } from './task-stat';
import { CAPTURES, fixtureTasks, STAT_TAIL as TAIL, STATUS } from './test-fixtures';

describe('parseTaskStat', () => {
  it.each(CAPTURES)('matches every thread captured in %s', (file) => {
    const tasks = fixtureTasks(file);
    expect(tasks.length).toBeGreaterThan(5);
    for (const t of tasks) {
      const s = parseTaskStat(t.stat);
      expect(s.tid).toBe(t.tid);
      expect(s.comm).toBe(t.comm);
      expect(s.processor).toBe(t.processor);
      expect(s.state).toBe('S');
      expect(s.ppid).toBe(1);
    }
  });

  it('reads utime, stime and starttime at fields 14, 15 and 22', () => {
    const vcpu0 = fixtureTasks('probe1.proc-tasks.txt').find((t) => t.comm === 'CPU 0/KVM');
    expect(vcpu0).toBeDefined();
    expect(parseTaskStat(vcpu0?.stat ?? '')).toEqual({
      tid: 7474,
      comm: 'CPU 0/KVM',
      state: 'S',
      ppid: 1,
      utime: 0,
      stime: 543,
      starttime: 28583,
      processor: 0,
    });
  });

  it('does not misread "CPU 2/KVM" the way probe1.psr-outside-affinity.txt shows', () => {
    // That capture split the line on spaces and got state "2/KVM)".
    const s = parseTaskStat(`18174 (CPU 2/KVM) ${TAIL}`);
    expect(s).toMatchObject({ tid: 18174, comm: 'CPU 2/KVM', state: 'S', utime: 11, stime: 543, processor: 3 });
  });

  it.each([
    ['a) b (c', 'a) b (c'],
    ['x)', 'x)'],
    [')) ((', ')) (('],
    ['', ''],
    ['tab\there', 'tab\there'],
  ])('keeps hostile comm %j intact', (comm, want) => {
    expect(parseTaskStat(`42 (${comm}) ${TAIL}`)).toMatchObject({ tid: 42, comm: want, processor: 3 });
  });

  it('accepts a line with no trailing newline, or CRLF', () => {
    expect(parseTaskStat(`1 (init) ${TAIL.trimEnd()}`).processor).toBe(3);
    expect(parseTaskStat(`1 (init) ${TAIL.trimEnd()}\r\n`).processor).toBe(3);
  });

  it('reads this process from the real /proc', () => {
    for (const tid of readdirSync('/proc/self/task')) {
      let text: string;
      try {
        text = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // the thread exited between readdir and read
      }
      const s = parseTaskStat(text);
      expect(s.tid).toBe(Number(tid));
      expect(s.processor).toBeGreaterThanOrEqual(0);
    }
  });

  it.each([
    ['', /expected "TID \(comm\) STATE/],
    ['garbage', /expected "TID \(comm\) STATE/],
    ['1 (x', /expected "TID \(comm\) STATE/],
    ['(x) S 1', /expected "TID \(comm\) STATE/],
    ['abc (x) S 1', /TID is not a number/],
    ['-5 (x) S 1', /TID is not a number/],
    ['99999999999999999999 (x) S', /TID is not a number/],
    ['1 (x) S 1 2 3', /truncated, 6 fields where at least 39/],
    ['1 (x)', /truncated/],
    ['1 (x) ', /truncated|empty field/],
    ['1 (x)S 1', /space after the comm/],
  ])('rejects %j', (text, msg) => {
    expect(() => parseTaskStat(text)).toThrow(msg);
  });

  it('rejects a truncated real line and bad numbers, naming the field', () => {
    const line = `7474 (CPU 0/KVM) ${TAIL}`;
    expect(() => parseTaskStat(line.slice(0, 120))).toThrow(/truncated/);
    expect(() => parseTaskStat(line.replace(' 543 ', ' 5x3 '))).toThrow(/stime \(field 15\)/);
    expect(() => parseTaskStat(line.replace(' 543 ', ' 99999999999999999999 '))).toThrow(/stime \(field 15\)/);
    expect(() => parseTaskStat(line.replace('S 1 ', 'SS 1 '))).toThrow(/state "SS"/);
    expect(() => parseTaskStat(line.replace('S 1 ', 'S  1 '))).toThrow(/empty field 4/);
    expect(() => parseTaskStat(line.replace(' -1 3 ', ' -1 -3 '))).toThrow(/processor \(field 39\)/);
  });

  it('is fast enough for ~2000 calls a second', () => {
    const line = `7474 (CPU 0/KVM) ${TAIL}`;
    const t0 = performance.now();
    for (let i = 0; i < 20000; i++) parseTaskStat(line);
    // 20k parses well under a second even on a slow CI core (typically ~20 ms)
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('parseSchedstat', () => {
  it('parses the three counters', () => {
    expect(parseSchedstat('5430123456 1234567 890\n')).toEqual({ runNs: 5430123456, waitNs: 1234567, timeslices: 890 });
    expect(parseSchedstat('0 0 0')).toEqual({ runNs: 0, waitNs: 0, timeslices: 0 });
  });

  it('accepts u64 values beyond 2^53 (rounded) and rejects beyond u64', () => {
    expect(parseSchedstat('18446744073709551615 1 1').runNs).toBe(2 ** 64);
    expect(() => parseSchedstat('18446744073709551616 1 1')).toThrow(/not a non-negative integer counter/);
    expect(() => parseSchedstat(`${'9'.repeat(300)} 1 1`)).toThrow(/not a non-negative integer counter/);
  });

  it('reads the real /proc/self/schedstat', () => {
    const s = parseSchedstat(readFileSync('/proc/self/schedstat', 'utf8'));
    expect(s.runNs).toBeGreaterThan(0);
  });

  it.each(['', '\n', '1 2', '1 2 3 4', '1  2 3', 'a b c', '-1 2 3', '1.5 2 3', '1 2 3x'])('rejects %j', (text) => {
    expect(() => parseSchedstat(text)).toThrow(/schedstat/);
  });
});


describe('parseTaskStatus', () => {
  it('parses a vCPU thread status', () => {
    expect(parseTaskStatus(STATUS)).toEqual({ name: 'CPU 0/KVM', tgid: 7468, pid: 7474, cpusAllowedList: [0] });
  });

  it.each(CAPTURES)('reads every Cpus_allowed_list captured in %s', (file) => {
    for (const t of fixtureTasks(file)) {
      const text = STATUS.replace('CPU 0/KVM', t.comm).replace('Cpus_allowed_list:\t0', `Cpus_allowed_list:\t${t.affinity}`);
      const s = parseTaskStatus(text);
      expect(s.name).toBe(t.comm);
      expect(s.cpusAllowedList.length).toBeGreaterThan(0);
    }
  });

  it('keeps spaces and parentheses in Name', () => {
    expect(parseTaskStatus(STATUS.replace('CPU 0/KVM', 'a) b (c ')).name).toBe('a) b (c ');
  });

  it('reads the real /proc/self/status', () => {
    const s = parseTaskStatus(readFileSync('/proc/self/status', 'utf8'));
    expect(s.pid).toBe(process.pid);
    expect(s.cpusAllowedList.length).toBeGreaterThan(0);
  });

  it('rejects missing or bad fields', () => {
    expect(() => parseTaskStatus(STATUS.replace(/^Cpus_allowed_list.*\n/m, ''))).toThrow(/missing Cpus_allowed_list/);
    expect(() => parseTaskStatus('')).toThrow(/missing Name, Tgid, Pid, Cpus_allowed_list/);
    expect(() => parseTaskStatus('garbage\n\x00\x01')).toThrow(/missing/);
    expect(() => parseTaskStatus(STATUS.replace('Cpus_allowed_list:\t0', 'Cpus_allowed_list:\t0-'))).toThrow(
      /bad Cpus_allowed_list: invalid cpuset "0-"/,
    );
    expect(() => parseTaskStatus(STATUS.replace('Cpus_allowed_list:\t0', 'Cpus_allowed_list:\t0-3,^1'))).toThrow(/"\^" syntax/);
    expect(() => parseTaskStatus(STATUS.replace('Pid:\t7474', 'Pid:\tx'))).toThrow(/Pid "x"/);
    expect(() => parseTaskStatus(STATUS.replace('Tgid:\t7468', 'Tgid:\t99999999999999999999'))).toThrow(/Tgid/);
  });
});

const PROC_STAT = [
  'cpu  1000 20 300 5000 40 5 6 7 100 2',
  'cpu0 500 10 150 2500 20 2 3 4 50 1',
  'cpu1 500 10 150 2500 20 3 3 3 50 1',
  'intr 12345 0 0',
  'ctxt 999',
  'btime 1700000000',
  'processes 4242',
  'procs_running 2',
  '',
].join('\n');

describe('parseProcStat', () => {
  it('sums busy without double-counting guest time and skips the aggregate line', () => {
    expect(parseProcStat(PROC_STAT)).toEqual([
      { cpu: 0, busy: 500 + 10 + 150 + 2 + 3 + 4, total: 500 + 10 + 150 + 2 + 3 + 4 + 2500 + 20 },
      { cpu: 1, busy: 500 + 10 + 150 + 3 + 3 + 3, total: 500 + 10 + 150 + 3 + 3 + 3 + 2500 + 20 },
    ]);
  });

  it('handles sparse ids (offline CPUs), old kernels with 4 columns, and sorts', () => {
    expect(parseProcStat('cpu  1 1 1 1\ncpu3 1 2 3 4\ncpu0 10 0 0 90\n')).toEqual([
      { cpu: 0, busy: 10, total: 100 },
      { cpu: 3, busy: 6, total: 10 },
    ]);
  });

  it('reads the real /proc/stat', () => {
    const cpus = parseProcStat(readFileSync('/proc/stat', 'utf8'));
    expect(cpus.length).toBeGreaterThan(0);
    for (const c of cpus) expect(c.total).toBeGreaterThanOrEqual(c.busy);
  });

  it('rejects garbage', () => {
    expect(() => parseProcStat('')).toThrow(/no "cpuN" lines/);
    expect(() => parseProcStat('hello world')).toThrow(/no "cpuN" lines/);
    expect(() => parseProcStat('cpu  1 2 3 4\n')).toThrow(/no "cpuN" lines/);
    expect(() => parseProcStat('cpu0 1 2 3\n')).toThrow(/line 1: expected at least 4 counters/);
    expect(() => parseProcStat('cpu0 1 2 x 4\n')).toThrow(/line 1: "x"/);
    expect(() => parseProcStat('cpu0 1 2 3 4\ncpu0 1 2 3 4\n')).toThrow(/line 2: cpu0 appears twice/);
    expect(() => parseProcStat('cpu0x 1 2 3 4\n')).toThrow(/line 1/);
    expect(() => parseProcStat(`cpu0 ${'9'.repeat(30)} 1 1 1\n`)).toThrow(/not a non-negative integer counter/);
  });
});

describe('pcpuLoad', () => {
  it('computes the busy share of the interval', () => {
    const prev = [{ cpu: 0, busy: 100, total: 1000 }, { cpu: 1, busy: 0, total: 1000 }];
    const cur = [{ cpu: 0, busy: 150, total: 1100 }, { cpu: 1, busy: 100, total: 1100 }];
    expect(pcpuLoad(prev, cur)).toEqual([{ cpu: 0, busy: 0.5 }, { cpu: 1, busy: 1 }]);
  });

  it('works on two real /proc/stat readings', () => {
    const a = parseProcStat(readFileSync('/proc/stat', 'utf8'));
    const b = parseProcStat(readFileSync('/proc/stat', 'utf8'));
    for (const l of pcpuLoad(a, b)) {
      expect(l.busy).toBeGreaterThanOrEqual(0);
      expect(l.busy).toBeLessThanOrEqual(1);
    }
  });

  it('leaves out CPUs that appeared, disappeared, reset or did not advance; never NaN', () => {
    const prev = [
      { cpu: 0, busy: 100, total: 1000 },
      { cpu: 1, busy: 100, total: 1000 }, // goes offline
      { cpu: 3, busy: 900, total: 9000 }, // counters reset
      { cpu: 4, busy: 100, total: 1000 }, // no time elapsed
      { cpu: 5, busy: 100, total: 1000 }, // idle went backwards: clamp to 1
    ];
    const cur = [
      { cpu: 0, busy: 110, total: 1100 },
      { cpu: 2, busy: 10, total: 100 }, // came online
      { cpu: 3, busy: 5, total: 50 },
      { cpu: 4, busy: 100, total: 1000 },
      { cpu: 5, busy: 200, total: 1050 },
    ];
    const out = pcpuLoad(prev, cur);
    expect(out).toEqual([{ cpu: 0, busy: 0.1 }, { cpu: 5, busy: 1 }]);
    expect(pcpuLoad([], cur)).toEqual([]);
    expect(pcpuLoad(prev, [])).toEqual([]);
    expect(pcpuLoad([{ cpu: 0, busy: Number.NaN, total: 1 }], [{ cpu: 0, busy: 1, total: 2 }])).toEqual([]);
  });
});
