import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePs } from './ps';

const FIX = path.join(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');
const read = (name: string): string => readFileSync(path.join(FIX, name), 'utf8');

describe('parsePs on captured fixtures', () => {
  it('probe1: comm with spaces, then args', () => {
    const rows = parsePs(read('probe1.ps.txt'));
    expect(rows.map((r) => [r.pid, r.lwp, r.psr, r.comm])).toEqual([
      [7468, 7468, 1, 'qemu-system-x86'],
      [7468, 7472, 1, 'qemu-system-x86'],
      [7468, 7473, 0, 'IO mon_iothread'],
      [7468, 7474, 0, 'CPU 0/KVM'],
      [7468, 7475, 1, 'CPU 1/KVM'],
      [7468, 7477, 0, 'kvm-nx-lpage-re'],
    ]);
    for (const r of rows) {
      expect(r.args).toMatch(/^\/usr\/bin\/qemu-system-x86_64 -name guest=probe1,debug-threads=on -S .* -msg timestamp=on$/);
    }
  });

  it('probe1 after vCPU hot-plug has the new CPU 2/KVM thread', () => {
    const rows = parsePs(read('probe1.after-hotplug.ps.txt'));
    expect(rows).toHaveLength(7);
    expect(rows[6]).toMatchObject({ pid: 7468, lwp: 8096, psr: 0, comm: 'CPU 2/KVM' });
  });

  it('probe2 has an IOThread', () => {
    const rows = parsePs(read('probe2.ps.txt'));
    expect(rows.map((r) => r.comm)).toEqual([
      'qemu-system-x86',
      'qemu-system-x86',
      'IO iothread1',
      'IO mon_iothread',
      'CPU 0/KVM',
      'CPU 1/KVM',
      'kvm-nx-lpage-re',
    ]);
    expect(rows[2]).toMatchObject({ lwp: 7548, psr: 1 });
  });

  it('probe3 (TCG) has four vCPU threads', () => {
    const rows = parsePs(read('probe3.ps.txt'));
    expect(rows.filter((r) => r.comm.startsWith('CPU ')).map((r) => [r.lwp, r.comm])).toEqual([
      [9484, 'CPU 0/TCG'],
      [9485, 'CPU 1/TCG'],
      [9545, 'CPU 2/TCG'],
      [9546, 'CPU 3/TCG'],
    ]);
    expect(rows[0]?.args).toContain('-qmp unix:/run/qmp-extra/probe3-qmp2.sock,server=on,wait=off');
  });

  it('tolerates CRLF, blank lines and trailing whitespace', () => {
    const text = `\r\n${read('probe2.ps.txt').split('\n').join('   \r\n')}\r\n\r\n`;
    const rows = parsePs(text);
    expect(rows).toHaveLength(7);
    expect(rows[3]?.comm).toBe('IO mon_iothread');
    expect(rows[3]?.args?.endsWith('timestamp=on')).toBe(true);
  });
});

describe('parsePs column layouts', () => {
  it('accepts any column order, text first', () => {
    const text = ['COMMAND         PSR   LWP   PID', 'CPU 0/KVM         0  7474  7468', 'IO iothread1      1  7548  7543'].join('\n');
    expect(parsePs(text)).toEqual([
      { pid: 7468, lwp: 7474, psr: 0, comm: 'CPU 0/KVM' },
      { pid: 7543, lwp: 7548, psr: 1, comm: 'IO iothread1' },
    ]);
  });

  it('reads SPID/TID, NLWP, STAT and %CPU', () => {
    const text = [
      '  PID  SPID NLWP STAT %CPU PSR COMMAND',
      ' 7468  7474    6 Sl    2.5   0 CPU 0/KVM',
      ' 7468  7475    6 Sl  101.0   1 CPU 1/KVM',
    ].join('\n');
    expect(parsePs(text)).toEqual([
      { pid: 7468, lwp: 7474, nlwp: 6, stat: 'Sl', cpuPercent: 2.5, psr: 0, comm: 'CPU 0/KVM' },
      { pid: 7468, lwp: 7475, nlwp: 6, stat: 'Sl', cpuPercent: 101, psr: 1, comm: 'CPU 1/KVM' },
    ]);
    expect(parsePs('  PID   TID PSR COMM\n    1     1   0 systemd\n')[0]).toEqual({ pid: 1, lwp: 1, psr: 0, comm: 'systemd' });
  });

  it('cuts a comm with spaces followed by a left-aligned column', () => {
    const text = ['  PID   LWP PSR COMMAND         STAT', ' 7468  7474   0 CPU 0/KVM       Sl', ' 7468  7473   0 IO mon_iothread Sl'].join('\n');
    expect(parsePs(text).map((r) => [r.comm, r.stat])).toEqual([
      ['CPU 0/KVM', 'Sl'],
      ['IO mon_iothread', 'Sl'],
    ]);
  });

  it('follows a row that numbers wider than their column pushed right', () => {
    const text = ['  PID   LWP PSR COMMAND         COMMAND', '4194304 4194305   1 CPU 0/KVM       /usr/bin/qemu -name a'].join('\n');
    expect(parsePs(text)).toEqual([{ pid: 4194304, lwp: 4194305, psr: 1, comm: 'CPU 0/KVM', args: '/usr/bin/qemu -name a' }]);
  });

  it('resolves explicit COMM/ARGS titles whatever their order', () => {
    const text = ['ARGS                 COMM             PID   LWP PSR', '/usr/bin/qemu -S     CPU 0/KVM       7468  7474   0'].join('\n');
    expect(parsePs(text)).toEqual([{ args: '/usr/bin/qemu -S', comm: 'CPU 0/KVM', pid: 7468, lwp: 7474, psr: 0 }]);
  });

  it('returns no rows for a header alone', () => {
    expect(parsePs('  PID   LWP PSR COMMAND\n')).toEqual([]);
  });
});

describe('parsePs hostile input', () => {
  const HEADER = '  PID   LWP PSR COMMAND';
  it.each([
    ['', /ps output is empty/],
    ['\n \r\n\t\n', /ps output is empty/],
    [' 7468  7474   0 CPU 0/KVM', /line 1: missing header line/],
    ['  PID   LWP COMMAND', /lacks PSR/],
    ['  PID PSR COMMAND', /lacks LWP/],
    ['  LWP PSR COMMAND', /lacks PID/],
    ['  PID   LWP PSR', /lacks COMM/],
    ['  PID   LWP PSR USER COMMAND', /unknown column "USER"/],
    ['  PID   PID   LWP PSR COMMAND', /column pid appears twice/],
    ['PID LWP PSR COMMAND COMMAND COMMAND', /more than two command columns/],
    ['garbage', /unknown column "garbage"/],
    [`${HEADER}\n 7468  74x4   0 CPU 0/KVM`, /ps line 2: LWP "74x4" is not a number/],
    [`${HEADER}\n 7468  7474  -1 CPU 0/KVM`, /ps line 2: PSR "-1" is not a number/],
    [`${HEADER}\n 7468  7474   0 ok\n 7468`, /ps line 3: no LWP value/],
    [`${HEADER}\n 7468  7474   0`, /ps line 2: no COMMAND value/],
    [`${HEADER}\n 7468  ${'9'.repeat(40)}   0 x`, /ps line 2: LWP "9{40}" is not a number/],
    ['  PID   LWP PSR %CPU COMMAND\n    1     1   0 1e9 x', /%CPU "1e9" is not a number/],
    ['COMMAND           PID   LWP PSR\nx                   1     1   0 extra', /ps line 2: (PSR "0 extra"|unexpected text after the last column)/],
  ])('rejects %j', (text, msg) => {
    expect(() => parsePs(text)).toThrow(msg);
  });

  it('cuts long lines in error messages', () => {
    expect(() => parsePs(`${HEADER}\n 7468  x ${'y'.repeat(5000)}`)).toThrow(/y\.\.\."$/);
  });
});
