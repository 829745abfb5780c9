// Test helper: the per-thread files captured in test/fixtures/libvirt-9.0-qemu-7.2.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const FIX = path.join(import.meta.dirname, '../fixtures/libvirt-9.0-qemu-7.2');

export interface FixtureTask {
  readonly tid: number;
  readonly comm: string;
  readonly affinity: string;
  readonly stat: string;
  readonly processor: number;
}

export const CAPTURES = ['probe1.proc-tasks.txt', 'probe1.after-hotplug.proc-tasks.txt', 'probe2.proc-tasks.txt', 'probe3.proc-tasks.txt'];

/** The `== TID` blocks of a *.proc-tasks.txt capture. */
export function fixtureTasks(file: string): readonly FixtureTask[] {
  const text = readFileSync(path.join(FIX, file), 'utf8');
  return text
    .split('== TID ')
    .slice(1)
    .map((block) => {
      const head = /^(\d+) comm=(.*)$/m.exec(block);
      const affinity = /^Cpus_allowed_list:\t(.*)$/m.exec(block);
      const stat = /^stat: (.*)$/m.exec(block);
      const processor = /^stat\.processor\(field39\)=(\d+)$/m.exec(block);
      if (!head || !affinity || !stat || !processor) throw new Error(`bad fixture block in ${file}`);
      return {
        tid: Number(head[1]),
        comm: head[2] ?? '',
        affinity: affinity[1] ?? '',
        stat: `${stat[1] ?? ''}\n`,
        processor: Number(processor[1]),
      };
    });
}

// The stat line of a 52-field task, with the comm spliced in.
export const STAT_TAIL =
  'S 1 7467 7467 0 -1 138412224 300 0 0 0 11 543 0 0 20 0 6 0 28583 441032704 10335 18446744073709551615 ' +
  '94707485822976 94707491683413 140724118573776 0 0 0 2147219511 4096 16963 1 0 0 -1 3 0 0 0 0 0 ' +
  '94707494795512 94707499999664 94708175949824 140724118575853 140724118576697 140724118576697 140724118577116 0\n';

export const STATUS = [
  'Name:\tCPU 0/KVM',
  'Umask:\t0077',
  'State:\tS (sleeping)',
  'Tgid:\t7468',
  'Ngid:\t0',
  'Pid:\t7474',
  'PPid:\t1',
  'Cpus_allowed:\t1',
  'Cpus_allowed_list:\t0',
  'Mems_allowed_list:\t0',
  'voluntary_ctxt_switches:\t1181',
  '',
].join('\n');
