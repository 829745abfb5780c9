import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCpuset } from '../cpuset';
import { parseCpusAllowedList } from './task-stat';
import { cpusAllowedListText } from './status-affinity-bytes';
import { CAPTURES, fixtureTasks, STATUS } from '../../test/support/procfs-fixtures';

/** The text's bytes in a bigger buffer whose rest holds stale bytes, as the shared scratch does. */
function affinity(text: string): readonly number[] {
  const bytes = Buffer.from(text);
  const buf = Buffer.alloc(bytes.length + 64, '\nCpus_allowed_list:\t7\n');
  bytes.copy(buf);
  return parseCpusAllowedList(cpusAllowedListText(buf, bytes.length));
}

describe('cpusAllowedListText', () => {
  it('reads a vCPU thread status', () => {
    expect(affinity(STATUS)).toEqual([0]);
  });

  it.each(CAPTURES)('reads every Cpus_allowed_list captured in %s', (file) => {
    for (const t of fixtureTasks(file)) {
      const text = STATUS.replace('CPU 0/KVM', t.comm).replace('Cpus_allowed_list:\t0', `Cpus_allowed_list:\t${t.affinity}`);
      expect(affinity(text)).toEqual(parseCpuset(t.affinity));
      expect(affinity(text).length).toBeGreaterThan(0);
    }
  });

  it('is not fooled by a thread name or another key that contains the key', () => {
    const text = STATUS.replace('CPU 0/KVM', 'Cpus_allowed_list:\t5').replace('Umask:\t0077', 'X_Cpus_allowed_list:\t6');
    expect(affinity(text)).toEqual([0]);
    expect(affinity(`Cpus_allowed_list:\t3\nName:\tx\n`)).toEqual([3]);
    expect(affinity(`Cpus_allowed_list:   1-2`)).toEqual([1, 2]);
  });

  it('reads the real /proc/self/status', () => {
    const bytes = readFileSync('/proc/self/status');
    const text = /^Cpus_allowed_list:\t(.*)$/m.exec(bytes.toString('utf8'))?.[1] ?? '';
    expect(parseCpusAllowedList(cpusAllowedListText(bytes, bytes.length))).toEqual(parseCpuset(text));
  });

  it('rejects a status without the line, or with a value the kernel does not print', () => {
    expect(() => affinity(STATUS.replace(/^Cpus_allowed_list.*\n/m, ''))).toThrow(/missing Cpus_allowed_list/);
    expect(() => affinity('')).toThrow(/missing Cpus_allowed_list/);
    expect(() => affinity('garbage\n\x00\x01')).toThrow(/missing Cpus_allowed_list/);
    expect(() => affinity(STATUS.replace('Cpus_allowed_list:\t0', 'Cpus_allowed_list:\t0-'))).toThrow(/bad Cpus_allowed_list: invalid cpuset "0-"/);
    expect(() => affinity(STATUS.replace('Cpus_allowed_list:\t0', 'Cpus_allowed_list:\t0-3,^1'))).toThrow(/"\^" syntax/);
  });
});
