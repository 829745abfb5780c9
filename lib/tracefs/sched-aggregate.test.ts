import { describe, expect, it } from 'vitest';
import { PageStream } from './page-decoder';
import { SchedAggregator, type TrackedThread } from './sched-aggregate';
import { SchedRecords } from './sched-records';
import { buildPage, fixtureBytes, fixtureFormats, fixtureLayout, migrateData, switchData, wakingData, type BuiltRecord } from '../../test/support/tracefs-fixtures';

const layout = fixtureLayout();
const records = new SchedRecords(fixtureFormats(), true);
const MS = 1_000_000;

function setup(tracked: readonly TrackedThread[], watched: readonly number[] = [], startNs = 0) {
  const agg = new SchedAggregator(4, startNs, { prev: records.prevComm, next: records.nextComm, littleEndian: true });
  agg.track(tracked);
  agg.watch(watched);
  const streams = [0, 1, 2, 3].map((cpu) => new PageStream(layout, 0, records.sinkFor(cpu, agg)));
  /** Feeds one page of records (absolute ns times) to `cpu`. */
  const feed = (cpu: number, events: readonly { readonly ts: number; readonly data: Uint8Array }[], missed: 'none' | 'flag' | number = 'none'): void => {
    const first = events[0]?.ts ?? 0;
    let last = first;
    const recs: BuiltRecord[] = [];
    for (const e of events) {
      const d = e.ts - last;
      if (d >= 2 ** 27) recs.push({ kind: 'extend', delta: d });
      recs.push({ kind: 'event', delta: d >= 2 ** 27 ? 0 : d, data: e.data });
      last = e.ts;
    }
    streams[cpu]?.push(buildPage(first, recs, missed));
  };
  return { agg, feed };
}

const sw = (ts: number, prev: number, next: number, prevState = 1, prevComm = `t${prev}`, nextComm = `t${next}`) => ({ ts, data: switchData(prev, prevComm, prevState, next, nextComm) });
const wake = (ts: number, pid: number) => ({ ts, data: wakingData(pid, `t${pid}`, 1, 0) });
const wakeOn = (ts: number, pid: number, cpu: number) => ({ ts, data: wakingData(pid, `t${pid}`, 1, cpu) });
const mig = (ts: number, pid: number, from: number, to: number) => ({ ts, data: migrateData(pid, `t${pid}`, from, to) });

const VCPU: TrackedThread = { tid: 100, name: 'CPU 0/KVM', vcpu: true };
const EMU: TrackedThread = { tid: 101, name: 'qemu-system-x86', vcpu: false };

describe('SchedAggregator', () => {
  it('gives each tracked thread its ns and switch-ins per pCPU, and closes the running one at the cut', () => {
    const { agg, feed } = setup([VCPU, EMU]);
    feed(0, [sw(10 * MS, 0, 100), sw(30 * MS, 100, 101), sw(35 * MS, 101, 0), sw(40 * MS, 0, 100)]);
    feed(1, [sw(5 * MS, 0, 101), sw(6 * MS, 101, 0)]);
    const i = agg.cut(100 * MS);
    expect(i.threads.get(100)).toEqual({ residency: [{ pcpu: 0, ns: 20 * MS + 60 * MS, switchIns: 2 }], migrations: 0, wakeLatencyNs: null });
    expect(i.threads.get(101)?.residency).toEqual([
      { pcpu: 0, ns: 5 * MS, switchIns: 1 },
      { pcpu: 1, ns: 1 * MS, switchIns: 1 },
    ]);
    expect(i.events).toBe(6);
    // The vCPU still runs: the next interval starts with it.
    feed(0, [sw(150 * MS, 100, 0)]);
    expect(agg.cut(200 * MS).threads.get(100)?.residency).toEqual([{ pcpu: 0, ns: 50 * MS, switchIns: 0 }]);
  });

  it('learns the running task of a pCPU from its first switch and reports the pCPU blind until then', () => {
    const { agg, feed } = setup([VCPU], [], 0);
    feed(2, [sw(70 * MS, 100, 0)]);
    const i = agg.cut(100 * MS);
    expect(i.threads.get(100)?.residency).toEqual([{ pcpu: 2, ns: 70 * MS, switchIns: 0 }]);
    expect(i.blindCpus).toEqual([0, 1, 2, 3]);
    expect(agg.cut(200 * MS).blindCpus).toEqual([0, 1, 3]);
  });

  it('keeps every other task of a watched pCPU with its comm, and none of an unwatched one', () => {
    const { agg, feed } = setup([VCPU], [1]);
    feed(1, [sw(0, 0, 100), sw(10 * MS, 100, 555, 1, 'CPU 0/KVM', 'yes'), sw(60 * MS, 555, 0, 0, 'yes', 'swapper/1'), sw(70 * MS, 0, 556, 1, 'swapper/1', 'kworker/1:1'), sw(71 * MS, 556, 0)]);
    feed(0, [sw(0, 0, 777, 1, 'x', 'make'), sw(50 * MS, 777, 0)]);
    const i = agg.cut(100 * MS);
    expect(i.others.get(1)).toEqual([
      { tid: 555, comm: 'yes', ns: 50 * MS, switchIns: 1 },
      { tid: 556, comm: 'kworker/1:1', ns: 1 * MS, switchIns: 1 },
    ]);
    expect(i.others.has(0)).toBe(false);
    expect(i.threads.get(100)?.residency).toEqual([{ pcpu: 1, ns: 10 * MS, switchIns: 1 }]);
  });

  it('counts migrations that change CPU, as se.nr_migrations does', () => {
    const { agg, feed } = setup([VCPU]);
    feed(0, [mig(1 * MS, 100, 0, 1), mig(2 * MS, 100, 1, 1), mig(3 * MS, 999, 0, 1)]);
    feed(1, [mig(4 * MS, 100, 1, 0)]);
    expect(agg.cut(10 * MS).threads.get(100)?.migrations).toBe(2);
  });

  it('matches a wake-up read after its switch-in on another CPU (CPUs are read one after the other)', () => {
    const { agg, feed } = setup([VCPU]);
    // CPU 0 (read first) has the switch-in at 10.5 ms; CPU 1 (read second) the waking at 10 ms.
    feed(0, [sw(1 * MS, 100, 0), sw(10.5 * MS, 0, 100), sw(11 * MS, 100, 0), sw(21 * MS, 0, 100), sw(22 * MS, 100, 0, 0)]);
    feed(1, [wake(10 * MS, 100), wake(20 * MS, 100)]);
    agg.settle(30 * MS);
    // Preempted (state 0) at 22 ms, back at 40 ms: no wake-up, so no latency.
    feed(0, [sw(40 * MS, 0, 100)]);
    const w = agg.cut(50 * MS).threads.get(100)?.wakeLatencyNs;
    expect(w?.count).toBe(2);
    expect(w?.max).toBe(1 * MS);
    expect(Math.abs((w?.p50 ?? 0) - 0.5 * MS) / (0.5 * MS)).toBeLessThan(0.025);
    expect(Math.abs((w?.p99 ?? 0) - 1 * MS) / MS).toBeLessThan(0.025);
  });

  it('waits for every CPU to be read past a time before matching it', () => {
    const { agg, feed } = setup([VCPU]);
    feed(0, [sw(1 * MS, 100, 0), sw(10.5 * MS, 0, 100)]);
    agg.settle(5 * MS); // CPU 1 only read up to 5 ms so far
    feed(1, [wake(10 * MS, 100)]);
    expect(agg.cut(20 * MS).threads.get(100)?.wakeLatencyNs).toMatchObject({ count: 1, max: 0.5 * MS });
  });

  it('stops counting at lost events and says how many were lost', () => {
    const { agg, feed } = setup([VCPU]);
    feed(0, [sw(0, 0, 100), sw(10 * MS, 100, 0), sw(20 * MS, 0, 100)]);
    // 37 events lost, then a page starting at 60 ms: what ran between 20 and 60 ms is unknown.
    feed(0, [sw(60 * MS, 0, 100), sw(70 * MS, 100, 0)], 37);
    agg.addLost(1, 5);
    const i = agg.cut(100 * MS);
    expect(i.lostEvents).toBe(42);
    expect([...i.lostByCpu]).toEqual([
      [0, 37],
      [1, 5],
    ]);
    // 10 ms before the loss, nothing for the lost span, 10 ms after it.
    expect(i.threads.get(100)?.residency).toEqual([{ pcpu: 0, ns: 20 * MS, switchIns: 3 }]);
    expect(i.blindCpus).toContain(0);
  });

  it('moves a running task between tracked and untracked without losing or doubling time', () => {
    const { agg, feed } = setup([VCPU], [0]);
    feed(0, [sw(0, 0, 200, 1, 'swapper/0', 'new-worker')]);
    agg.track([VCPU, { tid: 200, name: 'worker', vcpu: false }]);
    feed(0, [sw(40 * MS, 200, 0)]);
    const i = agg.cut(50 * MS);
    // It ran 40 ms: all of it goes to the class it had when it switched out.
    expect(i.threads.get(200)?.residency).toEqual([{ pcpu: 0, ns: 40 * MS, switchIns: 0 }]);
    expect(i.others.get(0)).toEqual([{ tid: 200, comm: 'new-worker', ns: 0, switchIns: 1 }]);
  });

  describe('a switch the kernel did not report (every switch out of idle on CPU 1 of this machine)', () => {
    // A kworker on CPU 1, so the switch-ins below are seen; the switches out of idle are not.
    const KW = 7;

    it('runs a thread woken while idle from its wake-up, read on another CPU', () => {
      const { agg, feed } = setup([VCPU]);
      feed(1, [sw(0, 0, KW), sw(1 * MS, KW, 100), sw(10 * MS, 100, 0), sw(50 * MS, 100, 0)]);
      feed(0, [wake(20 * MS, 100)]);
      const i = agg.cut(100 * MS);
      // 9 ms seen, then 30 ms from the wake-up at 20 ms to the switch-out at 50 ms.
      expect(i.threads.get(100)?.residency).toEqual([{ pcpu: 1, ns: 39 * MS, switchIns: 2 }]);
      expect([...i.unseenByCpu]).toEqual([[1, 1]]);
      // Placed, so not blind (the first interval is blind before each pCPU's first switch).
      feed(1, [sw(110 * MS, 0, KW), sw(111 * MS, KW, 100), sw(120 * MS, 100, 0), sw(150 * MS, 100, 0)]);
      feed(0, [wake(130 * MS, 100)]);
      const next = agg.cut(200 * MS);
      expect(next.threads.get(100)?.residency).toEqual([{ pcpu: 1, ns: 29 * MS, switchIns: 2 }]);
      expect(next.blindCpus).not.toContain(1);
    });

    it('runs a thread woken as it went to sleep again at once, and through the cut while its pCPU looks idle', () => {
      const { agg, feed } = setup([VCPU]);
      // Woken at 9.99 ms while still on its CPU: it switches out at 10 ms and runs again at once.
      feed(0, [wake(9.99 * MS, 100), wake(59.99 * MS, 100)]);
      feed(1, [sw(0, 0, KW), sw(1 * MS, KW, 100), sw(10 * MS, 100, 0, 1), sw(60 * MS, 100, 0, 1)]);
      const i = agg.cut(100 * MS);
      // 1-10 ms seen, 10-60 ms unseen, and from 60 ms to the cut: the whole interval but the kworker's 1 ms.
      expect(i.threads.get(100)?.residency).toEqual([{ pcpu: 1, ns: 99 * MS, switchIns: 3 }]);
      feed(1, [sw(150 * MS, 100, 0, 1)]);
      expect(agg.cut(200 * MS).threads.get(100)?.residency).toEqual([{ pcpu: 1, ns: 50 * MS, switchIns: 0 }]);
    });

    it('runs a preempted thread pulled to an idle pCPU from its migration', () => {
      const { agg, feed } = setup([VCPU]);
      feed(0, [sw(0, 0, KW), sw(1 * MS, KW, 100), sw(10 * MS, 100, 8, 0), sw(12 * MS, 8, 0)]);
      feed(1, [sw(0, 0, 9), sw(2 * MS, 9, 0), mig(20 * MS, 100, 0, 1), sw(50 * MS, 100, 0, 1)]);
      const i = agg.cut(100 * MS);
      expect(i.threads.get(100)?.residency).toEqual([
        { pcpu: 0, ns: 9 * MS, switchIns: 1 },
        { pcpu: 1, ns: 30 * MS, switchIns: 1 },
      ]);
      expect(i.threads.get(100)?.migrations).toBe(1);
    });

    it('counts nothing it cannot place, and reports the pCPU blind', () => {
      const { agg, feed } = setup([VCPU], [1]);
      // No wake-up, no migration, not runnable: when it came back is unknown.
      feed(1, [sw(0, 0, KW), sw(1 * MS, KW, 100), sw(10 * MS, 100, 0, 1), sw(50 * MS, 100, 0, 1), sw(60 * MS, 0, 555), sw(70 * MS, 556, 0)]);
      const i = agg.cut(100 * MS);
      expect(i.threads.get(100)?.residency).toEqual([{ pcpu: 1, ns: 9 * MS, switchIns: 1 }]);
      // The other task switched in at 60 ms is cut short by an unseen switch to 556: blind too.
      expect(i.others.get(1)?.find((o) => o.tid === 555)?.ns).toBe(0);
      expect(i.blindCpus).toContain(1);
      expect(i.unseenByCpu.get(1)).toBe(2);
      expect(agg.cut(200 * MS).blindCpus).not.toContain(1);
    });

    it('runs an other task that arrived on an idle watched pCPU and never switched out, from its arrival', () => {
      const { agg, feed } = setup([VCPU], [1, 2]);
      // `taskset -c 1 yes`: moved to pCPU 1 by the stopper on pCPU 0; the switch out of idle on
      // pCPU 1 is not reported, and yes runs there alone: no record on pCPU 1 at all.
      feed(1, [sw(0, 0, KW), sw(1 * MS, KW, 0)]);
      feed(2, [sw(0, 0, KW), sw(1 * MS, KW, 0)]);
      feed(0, [mig(40 * MS, 555, 0, 1), wakeOn(60 * MS, 556, 2), mig(61 * MS, 556, 2, 3), mig(70 * MS, 557, 0, 3)]);
      const i = agg.cut(100 * MS);
      // Its name is in no record of pCPU 1: left for /proc to give.
      expect(i.others.get(1)).toEqual([
        { tid: 555, comm: '', ns: 60 * MS, switchIns: 1 },
        { tid: KW, comm: `t${KW}`, ns: 1 * MS, switchIns: 1 },
      ]);
      // Woken onto pCPU 2 but moved on to 3 at once; 557 went to an unwatched pCPU.
      expect(i.others.get(2)?.map((o) => o.tid)).toEqual([KW]);
      expect(i.unseenByCpu.get(1)).toBe(1);
      // It runs on: the whole next interval is its own, and its first switch there is no surprise.
      feed(1, [sw(150 * MS, 555, KW, 0, 'yes'), sw(151 * MS, KW, 555, 1, `t${KW}`, 'yes')]);
      const next = agg.cut(200 * MS);
      expect(next.others.get(1)?.find((o) => o.tid === 555)).toEqual({ tid: 555, comm: 'yes', ns: 99 * MS, switchIns: 1 });
      expect(next.unseenByCpu.size).toBe(0);
      expect(next.blindCpus).not.toContain(1);
    });

    it('names an other task by its comm as of its last switch, after an exec renamed it', () => {
      const { agg, feed } = setup([], [1]);
      // Forked by node, it exec'd taskset, then yes: the first switches still say node.
      feed(1, [sw(0, 0, KW), sw(1 * MS, KW, 555, 1, `t${KW}`, 'node'), sw(2 * MS, 555, KW, 0, 'node'), sw(3 * MS, KW, 555, 1, `t${KW}`, 'node')]);
      expect(agg.cut(100 * MS).others.get(1)?.find((o) => o.tid === 555)?.comm).toBe('node');
      feed(1, [sw(150 * MS, 555, KW, 0, 'yes'), sw(151 * MS, KW, 555, 1, `t${KW}`, 'yes')]);
      expect(agg.cut(200 * MS).others.get(1)?.find((o) => o.tid === 555)?.comm).toBe('yes');
    });

    it('runs an other task woken onto a watched pCPU from its wake-up when its switch-in was not reported, and only until it switched out', () => {
      const { agg, feed } = setup([VCPU], [1]);
      feed(0, [wakeOn(20 * MS, 555, 1)]);
      // 555 woke onto pCPU 1 and ran (unseen), then switched to idle at 30 ms.
      feed(1, [sw(0, 0, KW), sw(1 * MS, KW, 0), sw(30 * MS, 555, 0, 1, 'yes')]);
      feed(1, [sw(110 * MS, 0, KW), sw(111 * MS, KW, 0)]);
      const i = agg.cut(100 * MS);
      expect(i.others.get(1)?.find((o) => o.tid === 555)).toEqual({ tid: 555, comm: 'yes', ns: 10 * MS, switchIns: 1 });
      expect(agg.cut(200 * MS).others.get(1)?.some((o) => o.tid === 555) ?? false).toBe(false);
    });

    it('measures wake-up latency only from a wake-up of a sleeping vCPU to its switch-in', () => {
      const { agg, feed } = setup([VCPU, EMU]);
      feed(0, [wake(9.99 * MS, 100), wake(20 * MS, 101)]);
      feed(1, [sw(0, 0, KW), sw(1 * MS, KW, 100), sw(10 * MS, 100, 0, 1), sw(30 * MS, 100, 101), sw(31 * MS, 101, 0, 1)]);
      const i = agg.cut(100 * MS);
      // The vCPU's only wake-up came while it ran; the emulator thread keeps no latency.
      expect(i.threads.get(100)?.wakeLatencyNs).toBeNull();
      expect(i.threads.get(101)?.wakeLatencyNs).toBeNull();
      expect(i.threads.get(101)?.residency).toEqual([{ pcpu: 1, ns: 1 * MS, switchIns: 1 }]);
    });
  });

  it('bounds what it keeps whatever the event rate', () => {
    const { agg, feed } = setup([VCPU], [3]);
    // 40,000 distinct short tasks on a watched pCPU in one interval.
    for (let base = 0; base < 40_000; base += 50) {
      const evs = [];
      for (let k = 0; k < 50; k++) evs.push(sw((base + k) * 1000 + 1, base + k, base + k + 1, 1, 'a', 'b'));
      feed(3, evs);
    }
    const i = agg.cut(100 * MS);
    expect(i.othersDropped).toBeGreaterThan(0);
    expect(i.others.get(3)?.length).toBeLessThanOrEqual(16384);
    expect(agg.cut(200 * MS).othersDropped).toBe(0);
  });

  it('reads the captured pages without complaint and accounts the whole interval on every CPU it saw switch', () => {
    const agg = new SchedAggregator(2, 0, { prev: records.prevComm, next: records.nextComm, littleEndian: true });
    agg.watch([0, 1]);
    const ends: number[] = [];
    for (const [cpu, file] of [[0, 'reference.cpu0.pages'], [1, 'reference.cpu1.pages']] as const) {
      const s = new PageStream(layout, 0, records.sinkFor(cpu, agg));
      s.push(fixtureBytes(file));
      ends.push(agg.lastEventNs(cpu));
    }
    const end = Math.max(...ends);
    const i = agg.cut(end);
    expect(i.events).toBe(1366);
    for (const cpu of [0, 1]) {
      const busy = (i.others.get(cpu) ?? []).reduce((n, o) => n + o.ns, 0);
      expect(busy).toBeGreaterThan(0);
      expect(busy).toBeLessThanOrEqual(end);
    }
  });
});
