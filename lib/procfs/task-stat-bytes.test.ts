import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTaskStatBytes } from './task-stat-bytes';
import { CAPTURES, fixtureTasks, STAT_TAIL } from '../../test/support/procfs-fixtures';

/** The bytes in a bigger buffer whose rest holds stale bytes, as the shared scratch does. */
function scratchOf(bytes: Buffer): [Buffer, number] {
  const buf = Buffer.alloc(bytes.length + 64, ') 9 (x) ');
  bytes.copy(buf);
  return [buf, bytes.length];
}

function parse(text: string | Buffer): ReturnType<typeof parseTaskStatBytes> {
  return parseTaskStatBytes(...scratchOf(typeof text === 'string' ? Buffer.from(text) : text));
}

describe('parseTaskStatBytes', () => {
  it.each(CAPTURES)('matches every thread captured in %s', (file) => {
    const tasks = fixtureTasks(file);
    expect(tasks.length).toBeGreaterThan(5);
    for (const t of tasks) {
      expect(parse(t.stat)).toMatchObject({ tid: t.tid, comm: t.comm, processor: t.processor, state: 'S', ppid: 1 });
    }
  });

  it('reads utime, stime, starttime, processor, rt_priority and policy at fields 14, 15, 22, 39, 40 and 41', () => {
    const vcpu0 = fixtureTasks('probe1.proc-tasks.txt').find((t) => t.comm === 'CPU 0/KVM');
    expect(vcpu0).toBeDefined();
    expect(parse(vcpu0?.stat ?? '')).toEqual({
      tid: 7474,
      comm: 'CPU 0/KVM',
      state: 'S',
      ppid: 1,
      session: 7467,
      utime: 0,
      stime: 543,
      starttime: 28583,
      processor: 0,
      rtPriority: 0,
      policy: 0,
    });
    // SCHED_FIFO (1) at priority 10, as `chrt -f -p 10 TID` leaves it.
    const fifo = STAT_TAIL.replace(' -1 3 0 0 ', ' -1 3 10 1 ');
    expect(parse(`9 (CPU 1/KVM) ${fifo}`)).toMatchObject({ processor: 3, rtPriority: 10, policy: 1 });
  });

  it('leaves rt_priority and policy null on a line that ends at field 39 (kernels before 2.5.19)', () => {
    const upTo39 = STAT_TAIL.split(' ').slice(0, 37).join(' ');
    expect(parse(`1 (init) ${upTo39}\n`)).toMatchObject({ processor: 3, rtPriority: null, policy: null });
  });

  it('does not misread "CPU 2/KVM" the way probe1.psr-outside-affinity.txt shows', () => {
    // That capture split the line on spaces and got state "2/KVM)".
    expect(parse(`18174 (CPU 2/KVM) ${STAT_TAIL}`)).toMatchObject({ tid: 18174, comm: 'CPU 2/KVM', state: 'S', utime: 11, stime: 543, processor: 3 });
  });

  it.each(['CPU 0/KVM', 'a) b (c', 'x)', ')) ((', '', 'tab\there', 'vCPU ) 3 ) S 1', 'é中 ) (', '\u0000\u00ff'])(
    'splits at the last ")" and keeps hostile comm %j intact',
    (comm) => {
      expect(parse(`42 (${comm}) ${STAT_TAIL}`)).toMatchObject({ tid: 42, comm, state: 'S', utime: 11, stime: 543, processor: 3 });
    },
  );

  it('decodes a non-ASCII comm as UTF-8, and an invalid or cut sequence as U+FFFD', () => {
    const line = (comm: Buffer): Buffer => Buffer.concat([Buffer.from('42 ('), comm, Buffer.from(`) ${STAT_TAIL}`)]);
    expect(parse(line(Buffer.from('vm-é', 'utf8'))).comm).toBe('vm-é');
    // The kernel keeps 15 bytes of a name: "CPU 0/KVM-ééé" cut in the middle of the third "é".
    const cut = Buffer.from('CPU 0/KVM-ééé', 'utf8').subarray(0, 15);
    expect(parse(line(cut)).comm).toBe('CPU 0/KVM-éé\ufffd');
    expect(parse(line(Buffer.from([0x76, 0xff, 0x6d]))).comm).toBe('v\ufffdm');
    // latin1 would read the same bytes as two characters: the agent never does.
    expect(parse(line(Buffer.from('é', 'utf8'))).comm).not.toBe(Buffer.from('é', 'utf8').toString('latin1'));
  });

  it('accepts a line with no trailing newline, or CRLF', () => {
    expect(parse(`1 (init) ${STAT_TAIL.trimEnd()}`).processor).toBe(3);
    expect(parse(`1 (init) ${STAT_TAIL.trimEnd()}\r\n`).processor).toBe(3);
    // The comm ends at the last ")" of the read: a file is one line, and more text is an error.
    expect(() => parse(`7474 (CPU 0/KVM) ${STAT_TAIL}second line (y) S`)).toThrow(/truncated/);
  });

  it('reads this process from the real /proc', () => {
    for (const tid of readdirSync('/proc/self/task')) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(`/proc/self/task/${tid}/stat`);
      } catch {
        continue; // the thread exited between readdir and read
      }
      const s = parseTaskStatBytes(bytes, bytes.length);
      expect(s.tid).toBe(Number(tid));
      expect(s.processor).toBeGreaterThanOrEqual(0);
      expect(s.policy).toBe(0); // SCHED_OTHER
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
    expect(() => parse(text)).toThrow(msg);
  });

  it('rejects a truncated real line and bad numbers, naming the field', () => {
    const line = `7474 (CPU 0/KVM) ${STAT_TAIL}`;
    expect(() => parse(line.slice(0, 120))).toThrow(/truncated/);
    expect(() => parse(line.replace(' 543 ', ' 5x3 '))).toThrow(/stime \(field 15\)/);
    expect(() => parse(line.replace(' 543 ', ' 99999999999999999999 '))).toThrow(/stime \(field 15\)/);
    expect(() => parse(line.replace('S 1 ', 'SS 1 '))).toThrow(/state "SS"/);
    expect(() => parse(line.replace('S 1 ', 'S  1 '))).toThrow(/empty field 4/);
    expect(() => parse(line.replace(' -1 3 ', ' -1 -3 '))).toThrow(/processor \(field 39\)/);
    expect(() => parse(line.replace(' -1 3 0 0 ', ' -1 3 x 0 '))).toThrow(/rt_priority \(field 40\)/);
    expect(() => parse(line.replace(' -1 3 0 0 ', ' -1 3 0 -1 '))).toThrow(/policy \(field 41\)/);
    // A one-character state is taken as it is, whatever the character: the kernel writes one letter.
    expect(parse(line.replace('S 1 ', '\u00e9 1 ')).state).toBe('\u00e9');
  });
});
