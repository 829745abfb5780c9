// The store's behaviour, written once and run against each backend: SQLite in the unit tests
// (sqlite-store.test.ts), PostgreSQL in the integration tests (test/integration/store-postgres.int.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/model/snapshot';
import { MINUTE_MS, minuteOf } from '../../lib/server/store/residency';
import { openStore, StoreRequestError, type StoreOptions } from '../../lib/server/store/store';
import { encodeTick, toTick } from '../../lib/wire/compact-tick';
import { historyColumn } from '../../lib/wire/history-column';
import type { Frame } from '../../lib/wire/frame';
import { extractStructure, structureHash, structureJson } from '../../lib/wire/structure-body';
import { byThreadKey, expectedHistory } from './history-oracle';
import { DEFAULT_VMS, HostSimulator, hostFrames, type VmSpec } from './snapshot-factory';
import { snapshotStore, type SnapshotStore as FrameStore } from './snapshot-store';

export interface StoreFixture {
  /** Options that point at a new, empty database. */
  newDatabase(): Promise<Pick<StoreOptions, 'databaseUrl' | 'dataDir'>>;
}

const T0 = 1_764_000_000_000; // minute-aligned epoch ms
/** VM names are tenant-chosen: quotes, SQL, unicode. */
const HOSTILE_VMS: readonly VmSpec[] = [
  { name: `x'); DROP TABLE ticks; --`, vcpus: 4, pinBase: 0, load: 0.3 },
  { name: 'ünï "cödé" ✓', vcpus: 2, pinBase: null, load: 0.9 },
  ...DEFAULT_VMS.slice(1, 3),
];

export function storeSuite(name: string, fixture: () => StoreFixture): void {
  // Each test ingests hundreds of frames through compaction: slow on a loaded machine, not a timing check.
  describe(`frame store on ${name}`, { timeout: 30_000 }, () => {
    let db: Pick<StoreOptions, 'databaseUrl' | 'dataDir'>;
    const opened: FrameStore[] = [];
    const errors: Error[] = [];

    async function open(opts: Partial<StoreOptions> = {}): Promise<FrameStore> {
      const s = snapshotStore(await openStore({ ...db, onError: (e) => errors.push(e), ...opts }));
      opened.push(s);
      return s;
    }

    async function ingestInBatches(s: FrameStore, frames: readonly Snapshot[], size = 10): Promise<void> {
      for (let i = 0; i < frames.length; i += size) await s.ingest(frames.slice(i, i + size));
    }

    beforeEach(async () => {
      db = await fixture().newDatabase();
      errors.length = 0;
    });

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      expect(errors.map((e) => e.message)).toStrictEqual([]);
    });

    it('stores compact ticks as the snapshots they stand for, and knows their structures by hash', async () => {
      const frames = hostFrames({ host: 'tick-1', seed: 21, start: T0, hotplugAt: 40 }, 100);
      const s = await open();
      const emitted: Snapshot[] = [];
      s.onFrame((f) => emitted.push(f));
      const hashOf = (f: Snapshot): string => structureHash(structureJson(extractStructure(f)));
      const [first] = frames;
      if (!first) throw new Error('no frames');
      expect(s.knownStructure('tick-1', hashOf(first))).toBeUndefined();
      for (let i = 0; i < frames.length; i += 10) {
        const batch: (Snapshot | Frame)[] = frames.slice(i, i + 10).map((f, k) => {
          const hash = hashOf(f);
          const tick = encodeTick(f, hash);
          // every third frame whole, the rest as ticks against what the store knows (or the frame's own structure)
          if (tick === null || k % 3 === 0) return f;
          return { host: f.host, at: f.at, body: s.knownStructure(f.host, hash) ?? extractStructure(f), tick };
        });
        await s.ingest(batch);
      }
      expect(emitted).toStrictEqual(frames);
      const last = frames.at(-1);
      if (!last) throw new Error('no frames');
      expect(await s.latest('tick-1')).toStrictEqual(last);
      expect(s.knownStructure('tick-1', hashOf(last))).toStrictEqual(extractStructure(last));
      for (const f of [frames[5], frames[39], frames[40], frames[77]]) if (f) expect(await s.nearest('tick-1', f.at)).toStrictEqual(f);
      const h = await s.history('tick-1', T0, last.at);
      expect(h.ticks).toHaveLength(100);
    });

    it('stores concurrent ingests (one group commit) and fails only the one that cannot be stored', async () => {
      const s = await open();
      const emitted: Snapshot[] = [];
      s.onFrame((f) => emitted.push(f));
      const lists = ['g-1', 'g-2', 'g-3', 'g-4'].map((host, i) => hostFrames({ host, seed: i + 11, start: T0 }, 3));
      const [good] = hostFrames({ host: 'g-bad', seed: 3, start: T0 }, 1);
      if (!good) throw new Error('no frame');
      // A pCPU the row codec cannot hold: frames reach the store validated, so only a bug does this.
      const poison: Snapshot = { ...good, vms: good.vms.map((vm, i) => (i === 0 ? { ...vm, threads: vm.threads.map((t, k) => (k === 0 ? { ...t, pcpu: -1 } : t)) } : vm)) };
      const results = await Promise.allSettled([...lists.slice(0, 2).map((l) => s.ingest(l)), s.ingest([poison]), ...lists.slice(2).map((l) => s.ingest(l))]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      for (const l of lists) expect(await s.latest(l[0]?.host ?? '')).toStrictEqual(l.at(-1));
      expect(await s.latest('g-bad')).toBeNull();
      expect(emitted).toHaveLength(12);
      // A frame sent twice in one group is stored (and announced) once.
      const [again] = hostFrames({ host: 'g-1', seed: 99, start: T0 + 60_000 }, 1);
      if (!again) throw new Error('no frame');
      await Promise.all([s.ingest([again]), s.ingest([again])]);
      expect(emitted).toHaveLength(13);
    });

    it('returns exactly what was ingested: latest, nearest, hosts, active violations', async () => {
      const hosts = ['hv-01', `hv'02";--`, 'hv-ünï'];
      const frames = hosts.map((host, i) => hostFrames({ host, seed: i + 1, start: T0 + i * 7, hotplugAt: 50 + i, vms: i === 1 ? HOSTILE_VMS : undefined }, 150));
      const s = await open();
      const emitted: Snapshot[] = [];
      s.onFrame((f) => emitted.push(f));
      // batches mix hosts, as a server receiving several agents does
      for (let i = 0; i < 150; i += 10) await s.ingest(frames.flatMap((list) => list.slice(i, i + 10)));
      expect(emitted).toHaveLength(450);

      for (const [i, host] of hosts.entries()) {
        const list = frames[i] ?? [];
        const last = list.at(-1);
        const mid = list[75];
        const next = list[76];
        if (!last || !mid || !next) throw new Error('no frames');
        expect(await s.latest(host)).toStrictEqual(last);
        expect(await s.nearest(host, mid.at)).toStrictEqual(mid);
        expect(await s.nearest(host, mid.at + 400)).toStrictEqual(mid);
        expect(await s.nearest(host, next.at - 100)).toStrictEqual(next);
        expect(await s.nearest(host, 0)).toStrictEqual(list[0]);
        expect(await s.nearest(host, 9e15)).toStrictEqual(last);
      }
      expect(await s.hosts()).toStrictEqual(
        hosts
          .map((host, i) => {
            const last = frames[i]?.at(-1);
            if (!last) throw new Error('no frame');
            return { host, lastSeen: last.at, vms: last.vms.length, vcpus: last.vms.reduce((n, vm) => n + vm.vcpus.length, 0), violations: last.violations.length };
          })
          .sort((a, b) => (a.host < b.host ? -1 : 1)),
      );
      const active = await s.activeViolations();
      expect(active.map(({ host, ...v }) => [host, v]).sort()).toStrictEqual(
        hosts.flatMap((host, i) => (frames[i]?.at(-1)?.violations ?? []).map((v) => [host, v])).sort(),
      );
      expect(await s.latest('no-such-host')).toBeNull();
      expect(await s.nearest('no-such-host', T0)).toBeNull();
      expect((await s.history('no-such-host', T0, T0 + 1000)).ticks).toStrictEqual([]);
    });

    it('answers history at full resolution and in buckets, the same from memory and from the database', async () => {
      const frames = hostFrames({ host: 'hv-h', start: T0, hotplugAt: 100 }, 200);
      const all = await open();
      await ingestInBatches(all, frames);
      const from = frames[5]?.at ?? 0;
      const to = frames[190]?.at ?? 0;
      // A second store on the same database whose live window holds only the last 30 s: most of
      // each answer comes from the database (ticks, or residency for steps of a minute or more).
      const recent = await open({ liveWindowMs: 30_000 });
      for (const step of [undefined, 10_000, 60_000, 120_000]) {
        const h = await all.history('hv-h', from, to, step);
        // a step of a minute or more is answered from per-minute residency: whole minutes
        const wide = step !== undefined && step >= MINUTE_MS;
        const expected = expectedHistory(frames, wide ? minuteOf(from) : from, wide ? minuteOf(to) + MINUTE_MS - 1 : to, step ?? null);
        expect(h.stepMs).toBe(step ?? null);
        expect(byThreadKey(h)).toStrictEqual(expected);
        expect(await recent.history('hv-h', from, to, step)).toStrictEqual(h);
      }
    });

    it('keeps each vCPU\'s run and wait time in history: per tick, and summed per bucket, also after prune', async () => {
      const frames = hostFrames({ host: 'hv-c', start: T0, hotplugAt: 70 }, 200);
      const s = await open({ retainFullMs: 3600_000 });
      await ingestInBatches(s, frames);
      const last = frames.at(-1)?.at ?? 0;
      // expected, per thread key: from each frame's history column
      const want = (step: number | null, pick: 'runNs' | 'waitNs'): Record<string, (number | null)[]> => {
        const out = new Map<string, Map<number, number | null>>();
        for (const f of frames) {
          const col = historyColumn(f, toTick(f, ''));
          const b = step === null ? f.at : Math.floor(f.at / step) * step;
          col.placed.forEach((p, row) => {
            const v = col[pick][row] ?? null;
            const m = out.get(p.key) ?? new Map<number, number | null>();
            out.set(p.key, m);
            const prev = m.get(b) ?? null;
            m.set(b, v === null ? prev : (prev ?? 0) + v);
          });
        }
        return Object.fromEntries([...out].map(([k, m]) => [k, [...m.values()]]));
      };
      const got = (h: Awaited<ReturnType<typeof s.history>>, pick: 'runNs' | 'waitNs'): Record<string, (number | null)[]> =>
        Object.fromEntries(h.threads.map((t, i) => [t.key, (h[pick] ?? []).map((r) => r[i] ?? null).filter((_, c) => h.pcpu[c]?.[i] !== null)]));
      for (const step of [null, MINUTE_MS]) {
        const h = await s.history('hv-c', T0, last, step ?? undefined, { counters: true });
        for (const pick of ['runNs', 'waitNs'] as const) expect(got(h, pick)).toStrictEqual(want(step, pick));
      }
      expect((await s.history('hv-c', T0, last)).runNs).toBeUndefined();
      await s.prune(T0 + 2 * 3600_000); // full resolution gone: from residency
      const h = await s.history('hv-c', T0, last + MINUTE_MS, MINUTE_MS, { counters: true });
      expect(got(h, 'runNs')).toStrictEqual(want(MINUTE_MS, 'runNs'));
    });

    it('keeps exact mode\'s figures: the snapshot as ingested, and in history per tick and merged per bucket', async () => {
      const frames = hostFrames({ host: 'hv-x', start: T0, exact: true }, 130);
      const s = await open();
      await ingestInBatches(s, frames);
      const mid = frames[64];
      const last = frames.at(-1);
      if (!mid || !last) throw new Error('no frames');
      expect(await s.nearest('hv-x', mid.at)).toStrictEqual(mid);
      expect(await s.latest('hv-x')).toStrictEqual(last);
      // Per tick: each vCPU row's residency, migrations and wake-up latency are the frame's.
      const h = await s.history('hv-x', T0, last.at, undefined, { counters: true });
      const col = h.ticks.indexOf(mid.at);
      const vm = mid.vms[0];
      const v = vm?.vcpus[3];
      if (!vm || !v) throw new Error('no vCPU');
      const row = h.threads.findIndex((t) => t.key === `${vm.name}:${vm.pid}:${v.tid}`);
      expect(h.residency?.[col]?.[row]).toStrictEqual(v.residency);
      expect(h.migrations?.[col]?.[row]).toBe(v.migrations);
      expect(h.wakeLatencyNs?.[col]?.[row]).toStrictEqual(v.wakeLatencyNs);
      const watched = mid.topology.cpus.find((c) => c.others !== undefined);
      if (!watched) throw new Error('no watched pCPU');
      const ci = h.cpus?.indexOf(watched.cpu) ?? -1;
      const { cpu: _c, socket: _s, die: _d, core: _k, node: _n, siblings: _b, isolated: _i, busy: _u, ...exactOf } = watched;
      expect(h.cpuExact?.[col]?.[ci]).toStrictEqual(exactOf);
      // The first frame has no interval: no figures.
      expect(h.residency?.[0]?.[row]).toBeNull();
      // Per minute: residency and migrations summed, wake-ups counted, tasks merged by task.
      const b = await s.history('hv-x', T0, last.at, MINUTE_MS, { counters: true });
      const inMinute = frames.filter((f) => f.at >= T0 + MINUTE_MS && f.at < T0 + 2 * MINUTE_MS);
      const bcol = b.ticks.indexOf(T0 + MINUTE_MS);
      const brow = b.threads.findIndex((t) => t.key === `${vm.name}:${vm.pid}:${v.tid}`);
      const vcpuOf = (f: Snapshot) => f.vms[0]?.vcpus[3];
      const ns = inMinute.reduce((n, f) => n + (vcpuOf(f)?.residency ?? []).reduce((m, r) => m + r.ns, 0), 0);
      expect((b.residency?.[bcol]?.[brow] ?? []).reduce((m, r) => m + r.ns, 0)).toBe(ns);
      expect(b.migrations?.[bcol]?.[brow]).toBe(inMinute.reduce((n, f) => n + (vcpuOf(f)?.migrations ?? 0), 0));
      expect(b.wakeLatencyNs?.[bcol]?.[brow]?.count).toBe(inMinute.reduce((n, f) => n + (vcpuOf(f)?.wakeLatencyNs?.count ?? 0), 0));
      expect(b.wakeLatencyNs?.[bcol]?.[brow]?.max).toBe(Math.max(...inMinute.map((f) => vcpuOf(f)?.wakeLatencyNs?.max ?? 0)));
      const bci = b.cpus?.indexOf(watched.cpu) ?? -1;
      const soft = b.cpuExact?.[bcol]?.[bci]?.others?.find((o) => o.comm === `ksoftirqd/${watched.cpu}`);
      const softNs = inMinute.reduce((n, f) => n + (f.topology.cpus.find((c) => c.cpu === watched.cpu)?.others?.find((o) => o.comm === `ksoftirqd/${watched.cpu}`)?.ns ?? 0), 0);
      expect(soft?.ns).toBe(softNs);
      // A sampled host's history has none of these fields.
      const sampled = await open();
      await sampled.ingest(hostFrames({ host: 'hv-s', start: T0 }, 5));
      expect(await sampled.history('hv-s', T0, T0 + 10_000, undefined, { counters: true })).not.toHaveProperty('residency');
    });

    it('stores an agent backlog at its own times, in any order', async () => {
      const frames = hostFrames({ host: 'hv-b', start: T0 }, 300);
      for (const liveWindowMs of [undefined, 20_000]) {
        db = await fixture().newDatabase();
        const s = await open({ liveWindowMs });
        const emitted: number[] = [];
        s.onFrame((f) => emitted.push(f.at));
        await ingestInBatches(s, frames.slice(200)); // live frames after the outage
        await s.ingest([...frames.slice(0, 200)].reverse()); // the backlog, newest first
        expect(emitted.sort((a, b) => a - b)).toStrictEqual(frames.map((f) => f.at));
        expect(await s.latest('hv-b')).toStrictEqual(frames[299]);
        expect(await s.nearest('hv-b', frames[50]?.at ?? 0)).toStrictEqual(frames[50]);
        const first = frames[0]?.at ?? 0;
        const last = frames[299]?.at ?? 0;
        expect(byThreadKey(await s.history('hv-b', first, last))).toStrictEqual(expectedHistory(frames, first, last, null));
        // the backlog's minutes were closed when it arrived: their residency counts every frame
        expect(byThreadKey(await s.history('hv-b', first, last, MINUTE_MS))).toStrictEqual(expectedHistory(frames, first, last, MINUTE_MS));
      }
    });

    it('ignores duplicates (same host and time), also across a restart', async () => {
      const frames = hostFrames({ host: 'hv-d', start: T0 }, 100);
      let s = await open();
      let emitted = 0;
      s.onFrame(() => emitted++);
      await s.ingest(frames);
      await s.ingest(frames);
      const f10 = frames[10];
      if (!f10) throw new Error('no frame');
      await s.ingest([f10, { ...f10, intervalMs: 12345 }, f10]);
      expect(emitted).toBe(100);
      await s.close();
      s = await open();
      s.onFrame(() => emitted++);
      await s.ingest(frames.slice(40, 60));
      expect(emitted).toBe(100);
      expect(await s.nearest('hv-d', f10.at)).toStrictEqual(f10);
      expect((await s.history('hv-d', T0, T0 + 200_000)).ticks).toHaveLength(100);
    });

    it('restores everything after a restart', async () => {
      const a = hostFrames({ host: 'hv-r1', start: T0, hotplugAt: 30 }, 150);
      const b = hostFrames({ host: 'hv-r2', start: T0 + 500, seed: 9 }, 120);
      const s = await open();
      await ingestInBatches(s, [...a, ...b], 25);
      const ask = async (x: FrameStore) => ({
        hosts: await x.hosts(),
        latest: [await x.latest('hv-r1'), await x.latest('hv-r2')],
        nearest: await x.nearest('hv-r1', (a[77]?.at ?? 0) + 1),
        full: await x.history('hv-r1', T0, T0 + 200_000),
        minutes: await x.history('hv-r2', T0, T0 + 200_000, MINUTE_MS),
        active: await x.activeViolations(),
      });
      const before = await ask(s);
      await s.close();
      expect(await ask(await open())).toStrictEqual(before);
      expect(await ask(await open({ liveWindowMs: 10_000 }))).toStrictEqual(before);
    });

    it('answers whole at once after a restart, while the live window fills from the database, and keeps what is ingested meanwhile', async () => {
      const hosts = ['hv-w1', 'hv-w2', 'hv-w3'];
      const framesOf = hosts.map((host, i) => hostFrames({ host, start: T0 + i * 100, seed: 30 + i }, 150));
      const s = await open();
      for (const frames of framesOf) await ingestInBatches(s, frames, 50);
      const to = T0 + 400_000;
      const ask = async (x: FrameStore) => ({
        hosts: await x.hosts(),
        latest: await Promise.all(hosts.map((h) => x.latest(h))),
        full: await Promise.all(hosts.map((h) => x.history(h, T0, to))),
        active: await x.activeViolations(),
      });
      const before = await ask(s);
      await s.close();
      const again = await open();
      // Asked at once: open has loaded only each host's newest tick, the rest comes from the database.
      const early = ask(again);
      const late = framesOf.map((frames, i) => hostFrames({ host: hosts[i] ?? '', start: (frames.at(-1)?.at ?? 0) + 1000, seed: 40 + i }, 1));
      const ingested = again.ingest(late.flat());
      expect(await early).toStrictEqual(before);
      await ingested;
      await again.windowsFilled;
      const after = await ask(again);
      expect(after.hosts.map((h) => h.lastSeen)).toStrictEqual(late.map((f) => f[0]?.at));
      expect(after.full.map((h) => h.ticks)).toStrictEqual(before.full.map((h, i) => [...h.ticks, late[i]?.[0]?.at]));
      expect(await again.history('hv-w2', T0, to)).toStrictEqual(await again.history('hv-w2', T0, to));
      await again.close();
      // The same again with a window that is filled before anything is asked.
      const third = await open();
      await third.windowsFilled;
      expect((await ask(third)).full).toStrictEqual(after.full);
    });

    it('prune writes every minute before dropping full resolution, then drops minutes past retention', async () => {
      const frames = hostFrames({ host: 'hv-p', start: T0 }, 200); // minutes 0..3, the last one left open
      const s = await open({ retainFullMs: 3600_000, retainMinutesMs: 4 * 3600_000 });
      await ingestInBatches(s, frames);
      const to = T0 + 300_000;
      const minutes = await s.history('hv-p', T0, to, MINUTE_MS);
      expect(byThreadKey(minutes)).toStrictEqual(expectedHistory(frames, T0, to, MINUTE_MS));

      await s.prune(T0 + 2 * 3600_000);
      expect(await s.hosts()).toStrictEqual([]);
      expect(await s.latest('hv-p')).toBeNull();
      expect(await s.nearest('hv-p', T0)).toBeNull();
      expect(await s.history('hv-p', T0, to, MINUTE_MS)).toStrictEqual(minutes);
      // no step, but older than full retention: answered from the minutes, and says so
      expect(await s.history('hv-p', T0, to)).toStrictEqual(minutes);
      // the same after a restart
      const again = await open({ retainFullMs: 3600_000, retainMinutesMs: 4 * 3600_000 });
      expect(await again.history('hv-p', T0, to, MINUTE_MS)).toStrictEqual(minutes);
      await again.close();

      // A frame older than full retention (a very late backlog) still counts in its minute.
      const sim = new HostSimulator({ host: 'hv-p', start: T0 + 30_500 });
      const late = sim.next();
      await s.ingest([late]);
      const withLate = await s.history('hv-p', T0, to, MINUTE_MS);
      expect(byThreadKey(withLate)).toStrictEqual(expectedHistory([...frames, late], T0, to, MINUTE_MS));

      await s.prune(T0 + 5 * 3600_000);
      expect((await s.history('hv-p', T0, to, MINUTE_MS)).ticks).toStrictEqual([]);
    });

    it('stores nothing of a batch when one frame fails, and says so', async () => {
      const [good, next] = hostFrames({ host: 'hv-f', start: T0 }, 2);
      if (!good || !next) throw new Error('no frames');
      const other = hostFrames({ host: 'hv-f2', start: T0, vms: [{ name: 'solo', vcpus: 1, pinBase: 0, load: 0.1 }] }, 1);
      const broken: Snapshot = { ...next, vms: next.vms.map((vm, i) => (i === 0 ? { ...vm, threads: vm.threads.map((t) => ({ ...t, pcpu: -1 })) } : vm)) };
      const s = await open();
      let emitted = 0;
      s.onFrame(() => emitted++);
      await expect(s.ingest([...other, good, broken])).rejects.toThrow(/stored nothing/);
      expect(emitted).toBe(0);
      expect(await s.latest('hv-f')).toBeNull();
      expect(await s.hosts()).toStrictEqual([]);
      // ids handed out inside the failed transaction are not reused from a cache
      await s.ingest([good]);
      await s.ingest(other);
      expect(await s.latest('hv-f')).toStrictEqual(good);
      expect(await s.latest('hv-f2')).toStrictEqual(other[0]);
      await s.close();
      const reopened = await open();
      expect(await reopened.latest('hv-f')).toStrictEqual(good);
    });

    it('calls listeners until they unsubscribe; a throwing listener does not fail the ingest', async () => {
      const frames = hostFrames({ host: 'hv-l', start: T0 }, 4);
      const s = await open();
      const seen: number[] = [];
      const off = s.onFrame((f) => seen.push(f.at));
      s.onFrame(() => {
        throw new Error('listener bug');
      });
      await s.ingest(frames.slice(0, 2));
      off();
      await s.ingest(frames.slice(2));
      expect(seen).toStrictEqual(frames.slice(0, 2).map((f) => f.at));
      expect(errors.map((e) => e.message)).toHaveLength(4);
      expect(errors[0]?.message).toMatch(/listener threw.*listener bug/);
      errors.length = 0;
    });

    it('rejects bad requests and use after close', async () => {
      const s = await open();
      await s.ingest(hostFrames({ host: 'hv-e', start: T0 }, 3));
      await expect(s.history('hv-e', T0 + 10, T0)).rejects.toThrow(StoreRequestError);
      await expect(s.history('hv-e', T0, T0 + 10, 0)).rejects.toThrow(StoreRequestError);
      await expect(s.history('hv-e', T0, T0 + 1e9, 1)).rejects.toThrow(/larger stepMs/);
      await expect(s.nearest('hv-e', Number.NaN)).rejects.toThrow(StoreRequestError);
      await s.close();
      await expect(s.latest('hv-e')).rejects.toThrow(/after close/);
      await expect(s.ingest(hostFrames({ host: 'hv-e' }, 1))).rejects.toThrow(/after close/);
    });
  });
}
