import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PinsWatch } from './pins-watch';

const pins = (cpu: string): string => `vms:\n  web:\n    vcpupin: { "0": "${cpu}" }\n`;

function watched(): { file: string; w: PinsWatch; errors: string[]; poll(): string | undefined } {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'vcpumap-pins-')), 'pins.yaml');
  writeFileSync(file, pins('2'));
  const w = new PinsWatch(file);
  w.load();
  const errors: string[] = [];
  return {
    file,
    w,
    errors,
    poll: () => w.poll((e) => errors.push(e instanceof Error ? e.message : String(e))).get('web')?.vcpupin.get(0)?.join(','),
  };
}

describe('PinsWatch', () => {
  it('follows an edit', () => {
    const p = watched();
    writeFileSync(p.file, pins('3'));
    expect(p.poll()).toBe('3');
    expect(p.errors).toEqual([]);
  });

  it('does not report a file read half-way through an in-place write', () => {
    const p = watched();
    writeFileSync(p.file, ''); // truncated, not written yet
    expect(p.poll()).toBe('2'); // the previous pins stay
    writeFileSync(p.file, pins('3'));
    expect(p.poll()).toBe('3');
    expect(p.errors).toEqual([]);
  });

  it('reports a broken edit once it stays broken, and keeps the previous pins', () => {
    const p = watched();
    writeFileSync(p.file, 'vms:\n  web:\n    vcpupinn: { "0": "3" }\n');
    expect(p.poll()).toBe('2');
    expect(p.errors).toEqual([]);
    expect(p.poll()).toBe('2');
    expect(p.errors).toHaveLength(1);
    expect(p.errors[0]).toMatch(/unknown key "vcpupinn"/);
  });
});
