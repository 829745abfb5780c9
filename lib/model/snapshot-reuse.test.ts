// Idle VMs are not rebuilt or re-serialised each tick; the output must not change because of it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from './build-snapshot';
import { snapshotJson, snapshotJsonLine } from './snapshot-json';
import { flatTopology, host, intent, mainThread, sample, T0, TICK_MS, vcpuThread, vm } from '../../test/support/model-fixtures';
import type { Snapshot } from './snapshot';
import { RULES } from './violations';
import type { HostObservation, ThreadSample } from './types';

const topo = flatTopology(4);
const threads: ThreadSample[] = [mainThread(100, { affinity: '0-3' }), vcpuThread(0, 101, { affinity: '2', pcpu: 2, runNs: 5e6 }), sample(102, 'worker', { affinity: '0-3' })];
const pins = intent({ vcpupin: { 0: '2' }, emulatorpin: '0-1' });
// The agent hands over the same identity arrays each tick; so does this test.
const identity = { vcpus: [], iothreads: [] } as const;

function tick(n: number, ts: readonly ThreadSample[]): HostObservation {
  return { ...host(topo, [vm('a', 100, ts, { intent: pins, ...identity })]), at: T0 + n * TICK_MS };
}

describe('reuse of idle VMs', () => {
  it('reuses the previous VM when nothing ran twice running, and the result equals a fresh build', () => {
    const o1 = tick(1, threads);
    const s1 = buildSnapshot(o1, null);
    const o2 = tick(2, threads);
    const s2 = buildSnapshot(o2, { obs: o1, snapshot: s1 });
    const o3 = tick(3, threads);
    const s3 = buildSnapshot(o3, { obs: o2, snapshot: s2 });
    expect(s3.vms[0]).toBe(s2.vms[0]);
    // The same values in new objects are built afresh: identical output.
    const fresh = buildSnapshot(tick(3, threads.map((t) => ({ ...t }))), { obs: o2, snapshot: s2 });
    expect(fresh.vms[0]).not.toBe(s2.vms[0]);
    expect(fresh).toEqual(s3);
  });

  it('rebuilds when a thread ran in the previous interval', () => {
    const o1 = tick(1, threads);
    const s1 = buildSnapshot(o1, null);
    const ran = threads.map((t) => (t.tid === 101 ? { ...t, runNs: 9e6 } : t));
    const o2 = tick(2, ran);
    const s2 = buildSnapshot(o2, { obs: o1, snapshot: s1 });
    expect(s2.vms[0]?.vcpus[0]?.ran).toBe(true);
    const s3 = buildSnapshot(tick(3, ran), { obs: o2, snapshot: s2 });
    expect(s3.vms[0]).not.toBe(s2.vms[0]);
    expect(s3.vms[0]?.vcpus[0]?.ran).toBe(false);
  });

  it('serialises exactly like JSON.stringify, before and after caching', () => {
    const o1 = tick(1, threads);
    const s1 = buildSnapshot(o1, null);
    const s2 = buildSnapshot(tick(2, threads), { obs: o1, snapshot: s1 });
    expect(snapshotJson(s2)).toBe(JSON.stringify(s2));
    expect(snapshotJson(s2)).toBe(JSON.stringify(s2));
  });

  it('gives the same line as bytes, before and after caching, with non-ASCII names', () => {
    const o1 = { ...tick(1, threads), vms: [vm('é-1 "x"', 100, threads, { intent: pins, ...identity }), vm('b', 200, threads, identity)] };
    const s1 = buildSnapshot(o1, null);
    const s2 = buildSnapshot({ ...o1, at: o1.at + TICK_MS }, { obs: o1, snapshot: s1 });
    for (const s of [s1, s2, s2, s1]) expect(Buffer.concat(snapshotJsonLine(s)).toString('utf8')).toBe(`${JSON.stringify(s)}\n`);
  });

  it('reuses the findings of VM rules on a tick where no VM changed, and equals a full run', () => {
    const isolatedTopo = flatTopology(4, '2-3');
    const drifting: ThreadSample[] = [
      mainThread(300, { affinity: '0-3' }),
      vcpuThread(0, 301, { affinity: '0-3' }), // pinned to 2: affinity-drift
      vcpuThread(1, 302, { affinity: '0-3' }), // no pin while vCPU 0 has one: unpinned-vcpu
    ];
    const pinned = intent({ vcpupin: { 0: '2' } });
    // Per-tick data changes under unchanged VMs: host work on isolated pCPU 3 comes and goes.
    const busy: readonly Readonly<Record<number, number>>[] = [{}, { 3: 0.9 }, { 3: 0.95 }, {}, { 3: 0.5 }];
    const obs = busy.map((b, n) => ({
      ...host(isolatedTopo, [vm('c', 300, drifting, { intent: pinned, ...identity })], { busy: b }),
      at: T0 + n * TICK_MS,
    }));
    let prev: { obs: HostObservation; snapshot: Snapshot } | null = null;
    const kinds = new Set<string>();
    for (const o of obs) {
      const s = buildSnapshot(o, prev);
      if (prev !== null) {
        // A copy of the previous list has no cached findings behind it: every rule runs.
        const full = buildSnapshot(o, { obs: prev.obs, snapshot: { ...prev.snapshot, violations: [...prev.snapshot.violations] } });
        expect(s.violations).toEqual(full.violations);
        if (prev.snapshot !== null && s.vms[0] === prev.snapshot.vms[0]) kinds.add('reused');
      }
      for (const v of s.violations) kinds.add(v.kind);
      prev = { obs: o, snapshot: s };
    }
    expect([...kinds].sort()).toEqual(['affinity-drift', 'isolation-mismatch', 'reused', 'unpinned-vcpu']);
  });

  it('marks every rule whose source reads at, intervalMs or busy as perTick', () => {
    for (const rule of RULES) {
      const source = readFileSync(path.join(import.meta.dirname, 'violations', `${rule.kind}.ts`), 'utf8');
      const perTickData = /\bctx\.at\b|intervalMs|\.busy\b/.test(source);
      expect({ kind: rule.kind, perTick: rule.perTick === true }).toEqual({ kind: rule.kind, perTick: perTickData });
    }
  });
});
