import { describe, expect, it } from 'vitest';
import { createLogger } from './log';

describe('createLogger', () => {
  it('prints a keyed message again only when its text changes', () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l));
    log('warn', 'QMP busy', 'qmp:1');
    log('warn', 'QMP busy', 'qmp:1');
    log('info', 'QMP ok', 'qmp:1');
    log('info', 'unkeyed');
    log('info', 'unkeyed');
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'vcpumap-agent warn: QMP busy',
      'vcpumap-agent info: QMP ok',
      'vcpumap-agent info: unkeyed',
      'vcpumap-agent info: unkeyed',
    ]);
  });
});
