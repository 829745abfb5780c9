import { describe, expect, it } from 'vitest';
import type { Violation } from '../../model/snapshot';
import { pickViolation } from '../../wire/pick-violation';
import { parseViolationBody, violationBodyJson, withTimes } from './violation-body';

const base: Violation = {
  id: 'off-pin:vm-a:0',
  kind: 'off-pin',
  severity: 'critical',
  vm: 'vm-a',
  vms: ['vm-a'],
  pcpus: [3],
  message: 'vCPU 0 of vm-a ran on pCPU 3, outside its pin set 0-1',
  fix: 'virsh vcpupin vm-a 0 0-1',
  since: 1_764_000_000_000,
  lastSeen: 1_764_000_005_000,
};

describe('violationBodyJson', () => {
  it('is the violation in contract key order without its times, optional keys only when present', () => {
    for (const extra of [{}, { vcpu: 0 }, { tid: 4242 }, { tids: [4242, 4243] }, { vcpu: 1, tid: 7, tids: [7] }]) {
      const v: Violation = { ...base, ...extra };
      const { since: _since, lastSeen: _lastSeen, ...picked } = pickViolation(v);
      expect(violationBodyJson(v)).toBe(JSON.stringify(picked));
    }
  });

  it('drops a key the sender added, and gives the violation back whole with its times', () => {
    const v = { ...base, vcpu: 0, extra: 'not in the contract' };
    const json = violationBodyJson(v);
    expect(json).not.toContain('extra');
    expect(withTimes(parseViolationBody(1, json), v.since, v.lastSeen)).toEqual(pickViolation({ ...base, vcpu: 0 }));
  });
});
