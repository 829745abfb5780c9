import { describe, expect, it } from 'vitest';
import { exactOptions } from './cli';

describe('exact mode options', () => {
  it('takes auto, on or off, a buffer size in KiB and the raw-event span', () => {
    expect(exactOptions('auto', '/sys/kernel/tracing', undefined, '10m', '32')).toEqual({
      setting: 'auto',
      tracefs: '/sys/kernel/tracing',
      bufferKbPerCpu: undefined,
      keepSpanMs: 600_000,
      keepBytes: 32 << 20,
    });
    expect(exactOptions('on', '/t', '4096', '0', '0')).toMatchObject({ setting: 'on', bufferKbPerCpu: 4096, keepSpanMs: 0, keepBytes: 0 });
  });

  it('names the option that is wrong', () => {
    expect(() => exactOptions('yes', '/t', undefined, '10m', '32')).toThrow('--exact: expected auto, on or off, got "yes"');
    expect(() => exactOptions('on', '/t', '8', '10m', '32')).toThrow('--exact-buffer-kb');
    expect(() => exactOptions('on', '/t', undefined, 'soon', '32')).toThrow('--trace-keep: invalid duration "soon"');
    expect(() => exactOptions('on', '/t', undefined, '10m', '-1')).toThrow('--trace-keep-mb');
  });
});
