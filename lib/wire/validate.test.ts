import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { cgroup, flatTopology, host, intent, lastTick, mainThread, running, sample, vcpuThread, vm } from '../../test/support/model-fixtures';
import { mulberry32 } from '../random/mulberry32';
import { hostFrames } from '../../test/support/snapshot-factory';
import { toTick } from './compact-tick';
import { checkTickFits } from './frame-checks';
import { parseSnapshot, parseStructure, parseTick } from './parse';
import { snapshotSchema, tickSchema } from './schema';
import { extractStructure } from './structure-body';
import { FieldError, firstError, snapshotValidator, tickValidator } from './validate';

function error(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FieldError) return err.message;
    throw err;
  }
  return 'did not throw';
}

const [frame] = hostFrames({ host: 'hv-01', seed: 4 }, 2).slice(1);
if (!frame) throw new Error('no frame');

describe('host names', () => {
  const withHost = (host: unknown): unknown => ({ ...frame, host });
  it('takes DNS-like names', () => {
    for (const host of ['hv-01', 'HV01.dc-2.example.com', 'a', 'node_7', `${'a'.repeat(63)}.b`, '1.2.3.4']) expect(error(() => parseSnapshot(withHost(host), 'frames.0'))).toBe('did not throw');
  });
  it('refuses ".", "..", empty labels, NUL, control and bidi characters, naming the field', () => {
    const bad = ['.', '..', 'a..b', '.a', 'a.', '-a', 'a-', 'a\u0000b', 'a\nb', 'a\u007fb', 'a\u202eb', 'a\u2066b', 'h\u00e9', 'a b', 'a/b', 'a%2f', `${'a'.repeat(64)}`, 'a.'.repeat(127) + 'a'];
    for (const host of bad) expect(error(() => parseSnapshot(withHost(host), 'frames.2')), JSON.stringify(host)).toMatch(/^frames\.2\.host: a host name without .*DNS-like labels/);
  });
});

describe('duplicate vCPU indices', () => {
  it('are refused in a snapshot and in a structure, naming the second one', () => {
    const [vm0, ...rest] = frame.vms;
    if (!vm0) throw new Error('no VM');
    const [v0, v1, ...vs] = vm0.vcpus;
    if (!v0 || !v1) throw new Error('no vCPUs');
    const dup: Snapshot = { ...frame, vms: [...rest.slice(0, 1), { ...vm0, vcpus: [v0, { ...v1, index: v0.index }, ...vs] }, ...rest.slice(1)] };
    expect(error(() => parseSnapshot(dup, 'frames.4'))).toMatch(/^frames\.4\.vms\.1\.vcpus\.1\.index: vCPU index 0 appears twice in VM "db-primary" \(also at vcpus\.0\)/);
    expect(error(() => parseStructure(extractStructure(dup), 'structures.0'))).toMatch(/^structures\.0\.vms\.1\.vcpus\.1\.index: vCPU index 0 appears twice/);
  });
});

describe('the first error', () => {
  // Mutates one leaf of a valid value at random: the walker must name a field exactly when the
  // compiled check refuses the value.
  function mutate(v: unknown, rand: () => number): unknown {
    const bad = [null, -1, 1.5, 'x', 9e15, {}, [], true, 8192, ''];
    if (Array.isArray(v)) {
      if (v.length === 0 || rand() < 0.1) return bad[Math.floor(rand() * bad.length)];
      const i = Math.floor(rand() * v.length);
      return v.map((x, k) => (k === i ? mutate(x, rand) : x));
    }
    if (typeof v === 'object' && v !== null) {
      const keys = Object.keys(v);
      if (keys.length === 0 || rand() < 0.1) return bad[Math.floor(rand() * bad.length)];
      const k = keys[Math.floor(rand() * keys.length)] ?? '';
      if (rand() < 0.05) {
        const { [k]: _gone, ...others } = v as Record<string, unknown>;
        return others;
      }
      return { ...v, [k]: mutate((v as Record<string, unknown>)[k], rand) };
    }
    return bad[Math.floor(rand() * bad.length)];
  }

  it('is found exactly when the compiled check fails, for snapshots and ticks', () => {
    const rand = mulberry32(7);
    const tick = JSON.parse(JSON.stringify(toTick(frame, 'f'.repeat(64)))) as unknown;
    const snap = JSON.parse(JSON.stringify(frame)) as unknown;
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      for (const [schema, check, value] of [
        [snapshotSchema, (x: unknown) => snapshotValidator.check(x), snap],
        [tickSchema, (x: unknown) => tickValidator.check(x), tick],
      ] as const) {
        const m = mutate(value, rand);
        const ok = check(m);
        const found = firstError(schema as unknown as Record<string, unknown>, m, []);
        expect(found === null, JSON.stringify(found?.path)).toBe(ok);
        if (!ok) refused++;
      }
    }
    expect(refused).toBeGreaterThan(300);
  });

  it('names the field in a snapshot as the contract says', () => {
    const vm = frame.vms[2];
    if (!vm) throw new Error('no VM');
    const withVm = (v: unknown): unknown => ({ ...frame, vms: frame.vms.map((x, i) => (i === 2 ? v : x)) });
    expect(error(() => parseSnapshot(withVm({ ...vm, pid: 'seven' }), 'frames.0'))).toBe('frames.0.vms.2.pid: expected an integer from 1 to 2147483648');
    expect(error(() => parseSnapshot({ ...frame, version: 2 }, ''))).toBe('version: expected 1');
    expect(error(() => parseSnapshot([], ''))).toBe('(body): expected object');
    const { intervalMs: _i, ...noInterval } = frame;
    expect(error(() => parseSnapshot(noInterval, 'frames.1'))).toBe('frames.1.intervalMs: expected a number from 0 to 86400000 or null');
    expect(error(() => parseSnapshot(withVm({ ...vm, source: 'xen' }), 'f'))).toBe('f.vms.2.source: expected one of "qemu", "libvirt"');
  });
});

describe('the issue 9 fields', () => {
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
  const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

  it('accepts identity, cgroup, policy/priority, roles vhost and unknown, and sched-policy-drift, in a snapshot, a structure and a tick', () => {
    expect(snap.vms.map((v) => v.identity)).toEqual(['thread-name', 'unknown']);
    expect(snap.vms[0]?.threads.map((t) => t.role)).toContain('vhost');
    expect(snap.violations.map((v) => v.kind)).toEqual(['sched-policy-drift']);
    expect(error(() => parseSnapshot(wire(snap), ''))).toBe('did not throw');
    expect(error(() => parseStructure(wire(extractStructure(snap)), ''))).toBe('did not throw');
    expect(tickValidator.check(wire(toTick(snap, 'f'.repeat(64))))).toBe(true);
    const unknownRole = { ...snap, vms: snap.vms.map((v) => ({ ...v, threads: v.threads.map((t) => ({ ...t, role: 'unknown' as const })) })) };
    expect(error(() => parseSnapshot(wire(unknownRole), ''))).toBe('did not throw');
    expect(error(() => parseSnapshot(wire({ ...snap, vms: snap.vms.map((v) => ({ ...v, cgroup: null })) }), ''))).toBe('did not throw');
  });

  it('accepts a snapshot without them (an older agent)', () => {
    const old = {
      ...snap,
      vms: snap.vms.map(({ identity: _i, cgroup: _c, ...v }) => ({ ...v, threads: v.threads.map(({ policy: _p, priority: _q, ...t }) => t) })),
    };
    expect(old.vms[0]).not.toHaveProperty('identity');
    expect(error(() => parseSnapshot(wire(old), ''))).toBe('did not throw');
  });

  it('names a bad value', () => {
    const bad = wire(snap) as { vms: { identity: string; cgroup: { cpus: unknown }; threads: { policy: string; priority: number }[] }[] };
    const [v0] = bad.vms;
    if (!v0?.threads[0]) throw new Error('fixture');
    v0.identity = 'guessed';
    expect(error(() => parseSnapshot(bad, 'frames.1'))).toBe('frames.1.vms.0.identity: expected one of "qmp", "libvirt", "thread-name", "unknown"');
    v0.identity = 'qmp';
    v0.threads[0].priority = 100;
    expect(error(() => parseSnapshot(bad, ''))).toBe('vms.0.threads.0.priority: expected an integer from 0 to 99');
    v0.threads[0].priority = 0;
    v0.threads[0].policy = 'sometimes';
    expect(error(() => parseSnapshot(bad, ''))).toMatch(/^vms\.0\.threads\.0\.policy: expected one of "other", "fifo"/);
    v0.threads[0].policy = 'fifo';
    v0.cgroup.cpus = [0, 'x'];
    expect(error(() => parseSnapshot(bad, ''))).toBe('vms.0.cgroup.cpus.1: expected an integer from 0 to 8191');
  });
});

describe('exact mode fields', () => {
  const frames = hostFrames({ host: 'hv-x', seed: 6, exact: true }, 6).slice(1);
  const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

  it('are accepted in snapshots and ticks, and a tick keeps them through parsing', () => {
    for (const f of frames) {
      expect(error(() => parseSnapshot(wire(f), ''))).toBe('did not throw');
      const t = toTick(f, 'a'.repeat(64));
      const parsed = parseTick(wire(t), 'frames.0');
      expect(parsed).toEqual(t);
      expect(() => checkTickFits(parsed, extractStructure(f), 'frames.0')).not.toThrow();
    }
  });

  it('are refused with the field named when malformed', () => {
    const [f] = frames;
    if (!f) throw new Error('no frame');
    const t = wire(toTick(f, 'a'.repeat(64))) as { residency: number[][]; vcpuExact: { entry: number; wakeLatencyNs: unknown }[]; cpuExact: { index: number; others?: unknown[] }[]; mode: string };
    const bad = (change: (x: typeof t) => void): string => {
      const x = structuredClone(t);
      change(x);
      return error(() => checkTickFits(parseTick(x, 'frames.0'), extractStructure(f), 'frames.0'));
    };
    expect(bad((x) => (x.mode = 'precise'))).toBe('frames.0.mode: expected one of "exact", "sampled"');
    expect(bad((x) => x.residency[0]?.push(3))).toMatch(/^frames\.0\.residency\.0: expected \(pcpu, ns, switchIns\) triples/);
    expect(bad((x) => x.residency.reverse())).toMatch(/^frames\.0\.residency\.1\.0: threads must be ascending/);
    expect(bad((x) => x.residency.push([9999]))).toMatch(/^frames\.0\.residency\.\d+\.0: no thread 9999/);
    expect(bad((x) => ((x.vcpuExact[0] as { wakeLatencyNs: unknown }).wakeLatencyNs = [1, 2]))).toMatch(/^frames\.0\.vcpuExact\.0\.wakeLatencyNs/);
    expect(bad((x) => ((x.cpuExact[x.cpuExact.length - 1] as { index: number }).index = 64))).toMatch(/^frames\.0\.cpuExact\.\d+\.index: no pCPU 64/);
    expect(bad((x) => ((x.cpuExact.find((c) => c.others)?.others ?? [])[0] = { tid: 1 }))).toMatch(/^frames\.0\.cpuExact\.\d+\.others\.0\.pid: /);
  });
});
