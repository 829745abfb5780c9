import { describe, expect, it } from 'vitest';
import type { History } from '../api/history';
import { csvField, exportFileName, historyCsv, historyJson } from './history-export';

const full: History = {
  host: 'hv-01',
  from: 0,
  to: 3000,
  stepMs: null,
  ticks: [1000, 2000],
  threads: [
    { key: 'web:10:11', vm: 'web', pid: 10, tid: 11, role: 'vcpu', vcpu: 0, name: 'CPU 0/KVM' },
    { key: '=evil,"x":20:21', vm: '=evil,"x"', pid: 20, tid: 21, role: 'emulator', vcpu: null, name: 'qemu' },
  ],
  pcpu: [
    [3, null],
    [4, 1],
  ],
  ran: [
    [1, 0],
    [0, 1],
  ],
  share: null,
  violations: [],
};

describe('history export', () => {
  it('writes a row per tick and thread present, with ISO and epoch times', () => {
    expect(historyCsv(full).split('\n')).toEqual([
      'time,at_ms,vm,pid,tid,role,vcpu,thread,pcpu,ran,share',
      '1970-01-01T00:00:01.000Z,1000,web,10,11,vcpu,0,CPU 0/KVM,3,1,',
      '1970-01-01T00:00:02.000Z,2000,web,10,11,vcpu,0,CPU 0/KVM,4,0,',
      `1970-01-01T00:00:02.000Z,2000,"'=evil,""x""",20,21,emulator,,qemu,1,1,`,
      '',
    ]);
  });
  it('carries the share of a bucket instead of ran', () => {
    const b: History = { ...full, stepMs: 60_000, ran: null, share: [[0.5, 0], [1, 0.25]], ticks: [0, 60_000] };
    expect(historyCsv(b).split('\n')[1]).toBe('1970-01-01T00:00:00.000Z,0,web,10,11,vcpu,0,CPU 0/KVM,3,,0.5');
  });
  it('keeps the JSON as the API gives it', () => {
    expect(JSON.parse(historyJson(full))).toEqual(full);
  });
  it('quotes and defuses fields', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@x')).toBe("'@x");
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('');
  });
  it('names the file after host, VM and window, safely', () => {
    expect(exportFileName('hv/01', 'a b', Date.UTC(2026, 10, 24, 16), Date.UTC(2026, 10, 24, 16, 15), 'csv')).toBe('vcpumap-hv_01-a_b-20261124T160000Z-20261124T161500Z.csv');
  });
});
