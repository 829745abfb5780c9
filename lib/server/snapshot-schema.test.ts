// The fields issue 9 added to the snapshot contract pass the ingest validator, snapshots without
// them (older agents) still pass, and bad values are refused with the field named.
import { describe, expect, it } from 'vitest';
import { cgroup, flatTopology, host, intent, lastTick, mainThread, running, sample, vcpuThread, vm } from '../model/test-helpers';
import { extractStructure } from '../wire/structure-body';
import { describeIssues, snapshotSchema, structureSchema } from './snapshot-schema';

const snap = lastTick(2, (t) =>
  host(flatTopology(2), [
    vm('a', 100, [mainThread(100), vcpuThread(0, 101, { affinity: '1', policy: 0, ...running(t) }), sample(300, 'vhost-100')], {
      source: 'qemu',
      intent: intent({ source: 'pins-file', vcpupin: { 0: '1' }, vcpusched: { 0: { policy: 'fifo', priority: 1 } } }),
      cgroup: cgroup('/vm-a', '0-1'),
    }),
    vm('u', 200, [mainThread(200), sample(201, 'qemu-system-x86')], { source: 'qemu' }),
  ]),
);

describe('snapshot schema, issue 9 fields', () => {
  it('accepts identity, cgroup, policy/priority, roles vhost and unknown, and sched-policy-drift', () => {
    expect(snap.vms.map((v) => v.identity)).toEqual(['thread-name', 'unknown']);
    expect(snap.violations.map((v) => v.kind)).toEqual(['sched-policy-drift']);
    expect(snapshotSchema.safeParse(JSON.parse(JSON.stringify(snap))).success).toBe(true);
    expect(structureSchema.safeParse(JSON.parse(JSON.stringify(extractStructure(snap)))).success).toBe(true);
  });

  it('accepts a snapshot without them (an older agent)', () => {
    const old = {
      ...snap,
      vms: snap.vms.map(({ identity: _i, cgroup: _c, ...v }) => ({ ...v, threads: v.threads.map(({ policy: _p, priority: _q, ...t }) => t) })),
    };
    expect(old.vms[0]).not.toHaveProperty('identity');
    expect(snapshotSchema.safeParse(JSON.parse(JSON.stringify(old))).success).toBe(true);
  });

  it('names a bad value', () => {
    const bad = JSON.parse(JSON.stringify(snap)) as { vms: { identity: string; threads: { policy: string; priority: number }[] }[] };
    const [v0] = bad.vms;
    if (!v0?.threads[0]) throw new Error('fixture');
    v0.identity = 'guessed';
    v0.threads[0].priority = 100;
    const r = snapshotSchema.safeParse(bad);
    expect(r.success).toBe(false);
    if (!r.success) expect(describeIssues(r.error)).toMatch(/^vms\.0\.identity: .*; vms\.0\.threads\.0\.priority: /);
  });
});
