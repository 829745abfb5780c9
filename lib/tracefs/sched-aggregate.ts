// Exact per-interval scheduling figures from the scheduler's own events. Pure: it is fed decoded
// records (sched-records.ts) CPU by CPU and asked to close an interval at a time; no I/O, no
// clock. Memory is bounded whatever the event rate: accumulators are per (tracked thread, pCPU)
// and per (other task, watched pCPU) of one interval, in typed arrays reset at each cut.
//
// Per pCPU it follows which task runs (sched_switch): the run time between two switches goes to
// the task switched out. Tracked threads (every thread of every VM) get their ns and switch-ins
// on each pCPU, their migrations (sched_migrate_task) and, for vCPUs, wake-up latency
// (sched_waking to the switch-in). Every other task that runs on a watched pCPU (pinned by a VM,
// or isolated) gets its ns there. The idle task (pid 0) is nobody.
//
// Events of one CPU arrive in time order, but the CPUs are read one after the other, so a wake-up
// seen on CPU 1 may be read after its switch-in on CPU 0. Latency therefore works on per-thread
// lists of times, sorted and matched only up to a watermark that every CPU has been read past.
//
// A switch whose prev_pid is not the task the aggregator had running there is an unseen switch:
// the kernel wrote no record of that task's switch-in. Some kernels never trace a switch out of
// the idle task on some CPUs (seen here: every switch out of idle on CPU 1 of a nested guest went
// unreported, 20 a second for a vCPU that halts). The task switched out ran from its switch-in,
// somewhere after the last switch seen on that CPU. For a followed thread the wake-up or the
// migration that came last before it marks the time: a task reaches an idle CPU by being woken
// there or pulled there while runnable, and runs a few us later. With neither the run time is
// unknown, and the pCPU is reported blind. A task that arrives that way and never switches out
// (a CPU-bound task alone on its pCPU) leaves no record at all on that pCPU: at a cut, a followed
// thread ready on a pCPU that looks idle is running there, and so is an other task that arrived
// on an idle watched pCPU (woken there, or moved there) after its last switch.
import type { ExactResidency, ExactThread } from '../model/exact';
import { LatencyHistogram } from './latency-histogram';
import { readString, type SchedHandler, type StringField } from './sched-records';

export interface TrackedThread {
  readonly tid: number;
  readonly name: string; // comm as the sampler read it, for a thread that turns into an "other"
  readonly vcpu: boolean; // wake-up latency is kept for vCPUs
}

export interface OtherRun {
  readonly tid: number;
  readonly comm: string;
  readonly ns: number;
  readonly switchIns: number;
}

export interface SchedInterval {
  readonly startNs: number; // trace time (relative ns)
  readonly endNs: number;
  readonly events: number; // records handled
  readonly lostEvents: number; // over all CPUs
  readonly lostByCpu: ReadonlyMap<number, number>;
  /** Tracked threads that ran or migrated in the interval; a tracked tid absent here did neither. */
  readonly threads: ReadonlyMap<number, ExactThread>;
  /** Watched pCPU -> every untracked task that ran there, by ns descending. */
  readonly others: ReadonlyMap<number, readonly OtherRun[]>;
  /** pCPUs whose running task was unknown for part of the interval (before their first switch, after lost events). */
  readonly blindCpus: readonly number[];
  /** Switches the kernel did not report, found from the next switch's prev_pid, per pCPU. */
  readonly unseenByCpu: ReadonlyMap<number, number>;
  /** Distinct other tasks not kept because the per-interval bound was reached. */
  readonly othersDropped: number;
}

/** CPU ids are below this (the snapshot contract's bound + 1). */
const MAX_CPUS = 8192;
/** At most this many distinct (task, watched pCPU) pairs per interval; more are counted, not kept. */
export const MAX_OTHERS = 16384;

export class SchedAggregator implements SchedHandler {
  /** [0]: the time (ns) of the record being handled, written by the decoder. */
  readonly time = new Float64Array(1);
  // Tracked threads, one slot each.
  private readonly slotOf = new Map<number, number>();
  private readonly slotPages: (Int32Array | null)[] = []; // tid -> slot + 1, in pages of 4096 tids
  private slotTid = new Int32Array(64);
  private slotVcpu = new Uint8Array(64);
  private slotName: string[] = [];
  private slotMigr = new Uint32Array(64);
  private slotCpu = new Int32Array(64).fill(-1); // the CPU it last switched out on or moved to
  private slotCpuAt = new Float64Array(64); // when
  private slotHead = new Int32Array(64).fill(-1); // first residency pair of the slot, or -1
  private slotTouched = new Uint8Array(64);
  private slotCount = 0;
  private readonly freeSlots: number[] = [];
  private readonly touched: number[] = [];
  private readonly wake: (WakeLists | null)[] = [];
  private readonly wakeDirty: WakeLists[] = []; // lists with times waiting to be matched

  // Residency pairs (slot, cpu) of the interval: a linked list per slot.
  private pairCpu = new Int32Array(256);
  private pairNs = new Float64Array(256);
  private pairIns = new Uint32Array(256);
  private pairNext = new Int32Array(256);
  private pairLen = 0;

  // Untracked tasks on watched CPUs.
  // Per watched CPU: tid -> index of its entry (small-integer keys: a tid * cpu key would be a heap number).
  private readonly otherIdx: (Map<number, number> | null)[];
  private otherTid = new Int32Array(256);
  private otherCpu = new Int32Array(256);
  private otherNs = new Float64Array(256);
  private otherIns = new Uint32Array(256);
  private otherComm: string[] = [];
  private otherLen = 0;
  private othersDropped = 0;

  // Per CPU: what runs now.
  private readonly known: Uint8Array;
  private readonly since: Float64Array;
  private readonly lastTs: Float64Array;
  private readonly curTid: Int32Array;
  private readonly curSlot: Int32Array;
  private readonly curPair: Int32Array;
  private readonly curOther: Int32Array;
  private readonly curComm: (string | null)[];
  private readonly watched: Uint8Array;
  private readonly lostPage: Float64Array; // counted from the pages' missed-events flags
  private readonly lostStat: Float64Array; // counted from per_cpu/cpuN/stats
  private readonly blind: Uint8Array;
  private readonly unseen: Uint32Array;
  private readonly switchAt: Float64Array; // time of the last switch (or loss) seen on each CPU
  // Per watched CPU: the first untracked task that arrived on its queue after its last switch.
  private readonly arrivedTid: Int32Array;
  private readonly arrivedAt: Float64Array;
  /** Credits an unseen switch-in's run (WakeLists.settle): bound once, no closure per call. */
  private readonly resolveGap = (pair: number, startNs: number, endNs: number): void => {
    if (Number.isNaN(startNs) || endNs < startNs) {
      this.blind[this.pairCpu[pair] ?? 0] = 1;
      return;
    }
    this.pairNs[pair] = (this.pairNs[pair] ?? 0) + (endNs - startNs);
    this.pairIns[pair] = (this.pairIns[pair] ?? 0) + 1;
  };

  private start: number;
  private events = 0;

  constructor(
    private readonly cpuSlots: number,
    startNs: number,
    private readonly comm: { readonly prev: StringField; readonly next: StringField; readonly littleEndian: boolean },
  ) {
    if (cpuSlots > MAX_CPUS) throw new Error(`at most ${MAX_CPUS} CPUs are supported, got ${cpuSlots}`);
    this.otherIdx = new Array<Map<number, number> | null>(cpuSlots).fill(null);
    this.start = startNs;
    this.known = new Uint8Array(cpuSlots);
    this.since = new Float64Array(cpuSlots).fill(startNs);
    this.lastTs = new Float64Array(cpuSlots).fill(startNs);
    this.curTid = new Int32Array(cpuSlots).fill(-1);
    this.curSlot = new Int32Array(cpuSlots).fill(-1);
    this.curPair = new Int32Array(cpuSlots).fill(-1);
    this.curOther = new Int32Array(cpuSlots).fill(-1);
    this.curComm = new Array<string | null>(cpuSlots).fill(null);
    this.watched = new Uint8Array(cpuSlots);
    this.lostPage = new Float64Array(cpuSlots);
    this.lostStat = new Float64Array(cpuSlots);
    this.blind = new Uint8Array(cpuSlots).fill(1);
    this.unseen = new Uint32Array(cpuSlots);
    this.switchAt = new Float64Array(cpuSlots).fill(startNs);
    this.arrivedTid = new Int32Array(cpuSlots);
    this.arrivedAt = new Float64Array(cpuSlots);
  }

  /** The threads to follow from now on (every thread of every VM); others become untracked. */
  track(threads: readonly TrackedThread[]): void {
    const keep = new Set<number>();
    for (const t of threads) {
      keep.add(t.tid);
      let slot = this.slotOf.get(t.tid);
      if (slot === undefined) {
        slot = this.newSlot(t.tid);
        this.slotOf.set(t.tid, slot);
        this.setSlotFor(t.tid, slot);
      }
      this.slotVcpu[slot] = t.vcpu ? 1 : 0;
      this.slotName[slot] = t.name;
      // Every followed thread's wake-ups place its unseen switch-ins; only a vCPU's make latency.
      const w = (this.wake[slot] ??= new WakeLists());
      w.latency = t.vcpu;
    }
    for (const [tid, slot] of this.slotOf) {
      if (keep.has(tid)) continue;
      this.slotOf.delete(tid);
      this.setSlotFor(tid, -1);
      // Its figures of this interval are still reported at the next cut; the slot is freed then.
      this.slotTid[slot] = -tid - 1;
      this.wake[slot] = null;
    }
    this.reenterAll();
  }

  /** The pCPUs whose other tasks are kept (pinned by some VM, or isolated). */
  watch(cpus: readonly number[]): void {
    const next = new Uint8Array(this.cpuSlots);
    for (const c of cpus) if (c >= 0 && c < this.cpuSlots) next[c] = 1;
    let same = true;
    for (let c = 0; c < this.cpuSlots; c++) if (next[c] !== this.watched[c]) same = false;
    if (same) return;
    this.watched.set(next);
    this.reenterAll();
  }

  /** Events lost on `cpu` that the page flags did not show (per_cpu/cpuN/stats overruns). */
  addLost(cpu: number, n: number): void {
    if (cpu < 0 || cpu >= this.cpuSlots || n <= 0) return;
    this.lostStat[cpu] = (this.lostStat[cpu] ?? 0) + n;
  }

  /** The time of the last event seen on `cpu` (ns). */
  lastEventNs(cpu: number): number {
    return this.lastTs[cpu] ?? this.start;
  }

  // --- SchedHandler: the decoder's calls, CPU by CPU in time order -------------------------
  // Times come in `time[0]`, not as arguments: a double passed to a call that is not inlined is
  // boxed, one allocation per event.

  page(cpu: number, lost: number): void {
    if (lost === 0 || cpu >= this.cpuSlots) return;
    const ts = this.time[0] ?? 0;
    this.lostPage[cpu] = (this.lostPage[cpu] ?? 0) + (lost > 0 ? lost : 1);
    this.switchAt[cpu] = ts;
    // What ran between the last event seen and this page is unknown: stop counting at the last
    // event, and learn the running task again from the next switch.
    this.close(cpu, Math.max(this.lastTs[cpu] ?? ts, this.since[cpu] ?? ts));
    this.leave(cpu);
    this.known[cpu] = 0;
    this.blind[cpu] = 1;
    this.since[cpu] = Math.max(ts, this.start);
    this.curTid[cpu] = -1;
  }

  // A task switched out runnable (prev_state R or R+) needs no wake-up to run again: it is ready at once.
  switched(cpu: number, prevPid: number, prevState: number, nextPid: number, view: DataView, at: number): void {
    if (cpu >= this.cpuSlots) return;
    this.events++;
    const ts = this.time[0] ?? 0;
    this.lastTs[cpu] = ts;
    this.switchAt[cpu] = ts;
    const since = this.since[cpu] ?? ts;
    if (this.known[cpu] === 0) {
      // The first switch seen here: the task switched out has run since `since`.
      this.known[cpu] = 1;
      this.enter(cpu, prevPid, false, null, view, at, this.comm.prev);
    } else if (this.curTid[cpu] !== prevPid) {
      this.unseenSwitch(cpu, prevPid, since, ts, view, at);
    }
    // The run time of the task switched out (a late event is clamped to the interval start; an
    // unseen switch-in's run is placed when settled, from since[cpu] = ts).
    const from = this.since[cpu] ?? since;
    if (ts > from) {
      const d = ts - from;
      const p = this.curPair[cpu] ?? -1;
      if (p >= 0) this.pairNs[p] = (this.pairNs[p] ?? 0) + d;
      else {
        const o = this.curOther[cpu] ?? -1;
        if (o >= 0) this.otherNs[o] = (this.otherNs[o] ?? 0) + d;
      }
      this.since[cpu] = ts;
    }
    const out = this.curSlot[cpu] ?? -1;
    if (out >= 0) {
      this.place(out, cpu, ts);
      this.pushWake(out, OUT);
      // Switched out runnable (preempted, R+, or yielding, R): ready to run again from now on.
      if ((prevState & TASK_STATE_BITS) === 0) this.pushWake(out, RUNNABLE);
    }
    // Most switches are of tasks that are neither followed nor on a watched pCPU: nothing to keep.
    if (this.watched[cpu] === 0 && this.slotFor(nextPid) < 0) {
      this.curTid[cpu] = nextPid;
      this.curSlot[cpu] = -1;
      this.curPair[cpu] = -1;
      this.curOther[cpu] = -1;
      this.curComm[cpu] = null;
      return;
    }
    this.enter(cpu, nextPid, true, null, view, at, this.comm.next);
    const inSlot = this.curSlot[cpu] ?? -1;
    if (inSlot >= 0) this.pushWake(inSlot, IN);
  }

  /**
   * `prevPid` switches out at `ts` on `cpu`, where the task the aggregator had running since
   * `since` was another: the kernel reported no switch-in of `prevPid` (see the file comment).
   */
  private unseenSwitch(cpu: number, prevPid: number, since: number, ts: number, view: DataView, at: number): void {
    this.unseen[cpu] = (this.unseen[cpu] ?? 0) + 1;
    // The task it had running stopped at an unknown time: none of [since, ts] goes to it (idle, the
    // common case, has nothing to lose), and a task's run cut short makes the pCPU blind.
    if ((this.curTid[cpu] ?? 0) > 0) this.blind[cpu] = 1;
    const arrived = this.arrivedAt[cpu] ?? 0;
    if (this.arrivedTid[cpu] === prevPid && arrived >= since && arrived <= ts) {
      // An other task of a watched pCPU woken or moved there after the last switch: it ran from then.
      this.arrivedTid[cpu] = 0;
      this.since[cpu] = arrived;
      this.enter(cpu, prevPid, true, null, view, at, this.comm.prev);
      return;
    }
    this.since[cpu] = ts;
    this.enter(cpu, prevPid, false, null, view, at, this.comm.prev);
    const slot = this.curSlot[cpu] ?? -1;
    const w = slot >= 0 ? this.wake[slot] : null;
    if (w != null) {
      // Resolved once every CPU has been read past ts (settle): from its wake-up, or blind.
      w.gap(ts, since, this.curPair[cpu] ?? -1);
      if (!w.dirty) {
        w.dirty = true;
        this.wakeDirty.push(w);
      }
    } else if (prevPid > 0 && (this.curOther[cpu] ?? -1) >= 0) {
      // Another task of a watched pCPU: no wake-ups of it are read, its run time is unknown.
      this.blind[cpu] = 1;
    }
  }

  waking(cpu: number, pid: number, targetCpu: number): void {
    if (cpu < this.cpuSlots) {
      this.events++;
      this.lastTs[cpu] = this.time[0] ?? 0;
    }
    const slot = this.slotFor(pid);
    if (slot >= 0) this.pushWake(slot, WAKE);
    else this.arrive(targetCpu, pid);
  }

  migrated(cpu: number, pid: number, origCpu: number, destCpu: number): void {
    if (cpu < this.cpuSlots) {
      this.events++;
      this.lastTs[cpu] = this.time[0] ?? 0;
    }
    if (origCpu === destCpu) return; // se.nr_migrations counts only a change of CPU
    const slot = this.slotFor(pid);
    if (slot < 0) {
      if (origCpu >= 0 && origCpu < this.cpuSlots && this.arrivedTid[origCpu] === pid) this.arrivedTid[origCpu] = 0;
      this.arrive(destCpu, pid);
      return;
    }
    this.slotMigr[slot] = (this.slotMigr[slot] ?? 0) + 1;
    this.touch(slot);
    this.place(slot, destCpu, this.time[0] ?? 0);
    this.pushWake(slot, MOVE);
  }

  /**
   * Untracked `pid` is on the queue of `cpu` as of time[0]. Kept for a watched CPU: the first task to
   * arrive after its last switch is the one that runs there if it looks idle at the cut.
   */
  private arrive(cpu: number, pid: number): void {
    if (pid <= 0 || cpu < 0 || cpu >= this.cpuSlots || this.watched[cpu] !== 1) return;
    const ts = this.time[0] ?? 0;
    const at = this.arrivedAt[cpu] ?? 0;
    // CPUs are read one after the other: an earlier arrival read later replaces a later one.
    if ((this.arrivedTid[cpu] ?? 0) > 0 && at > (this.switchAt[cpu] ?? 0) && at <= ts) return;
    this.arrivedTid[cpu] = pid;
    this.arrivedAt[cpu] = ts;
  }

  /** The thread of `slot` is on `cpu`'s queue as of `ts` (CPUs are read one after the other: the latest wins). */
  private place(slot: number, cpu: number, ts: number): void {
    if (ts < (this.slotCpuAt[slot] ?? 0)) return;
    this.slotCpu[slot] = cpu;
    this.slotCpuAt[slot] = ts;
  }

  /** The slot of a followed thread, or -1: two array loads instead of a Map lookup per event. */
  private slotFor(tid: number): number {
    if (tid <= 0) return -1;
    const page = this.slotPages[tid >>> SLOT_PAGE_BITS];
    return page === undefined || page === null ? -1 : (page[tid & SLOT_PAGE_MASK] ?? 0) - 1;
  }

  private setSlotFor(tid: number, slot: number): void {
    const i = tid >>> SLOT_PAGE_BITS;
    while (this.slotPages.length <= i) this.slotPages.push(null);
    let page = this.slotPages[i];
    if (!page) this.slotPages[i] = page = new Int32Array(1 << SLOT_PAGE_BITS);
    page[tid & SLOT_PAGE_MASK] = slot + 1;
  }

  /**
   * Matches wake-ups with switch-ins up to `watermarkNs`, a time every CPU has been read past;
   * later times wait for the next call.
   */
  settle(watermarkNs: number): void {
    const dirty = this.wakeDirty;
    let keep = 0;
    for (let i = 0; i < dirty.length; i++) {
      const w = dirty[i];
      if (w === undefined) continue;
      w.settle(watermarkNs, this.resolveGap);
      if (w.pendingEvents()) dirty[keep++] = w;
      else w.dirty = false;
    }
    dirty.length = keep;
  }

  private pushWake(slot: number, kind: number): void {
    const w = this.wake[slot];
    if (w == null) return;
    (kind === WAKE ? w.wakes : kind === IN ? w.ins : kind === OUT ? w.outs : kind === MOVE ? w.moves : w.runnable).push(this.time);
    if (!w.dirty) {
      w.dirty = true;
      this.wakeDirty.push(w);
    }
  }

  /** Closes the interval at `endNs` (trace time; every CPU read up to it) and starts the next. */
  cut(endNs: number): SchedInterval {
    this.settle(endNs);
    // A gap not resolved by now (its switch-out after endNs cannot be: every CPU was read to it)
    // would credit a pair of the next interval: dropped, its pCPU blind.
    for (const w of this.wakeDirty) w.dropGaps(this.resolveGap);
    this.runReadyOnIdle();
    this.runArrivedOnIdle(endNs);
    for (let c = 0; c < this.cpuSlots; c++) {
      if ((this.known[c] ?? 0) === 1) this.close(c, Math.max(endNs, this.since[c] ?? endNs));
      else this.since[c] = Math.max(endNs, this.since[c] ?? endNs);
    }
    const threads = new Map<number, ExactThread>();
    for (const s of this.touched) {
      const tid = this.slotTid[s] ?? -1;
      const residency: ExactResidency[] = [];
      for (let p = this.slotHead[s] ?? -1; p >= 0; p = this.pairNext[p] ?? -1) {
        const ns = this.pairNs[p] ?? 0;
        const ins = this.pairIns[p] ?? 0;
        if (ns > 0 || ins > 0) residency.push({ pcpu: this.pairCpu[p] ?? 0, ns: Math.round(ns), switchIns: ins });
      }
      residency.sort((a, b) => a.pcpu - b.pcpu);
      const hist = this.wake[s]?.latency === true ? this.wake[s]?.hist : undefined;
      const wakeLatencyNs =
        hist && hist.count > 0 ? { p50: hist.quantile(0.5), p99: hist.quantile(0.99), max: Math.round(hist.max), count: hist.count } : null;
      const migrations = this.slotMigr[s] ?? 0;
      if (residency.length > 0 || migrations > 0 || wakeLatencyNs !== null) {
        threads.set(tid >= 0 ? tid : -tid - 1, { residency, migrations, wakeLatencyNs });
      }
      this.slotHead[s] = -1;
      this.slotMigr[s] = 0;
      this.slotTouched[s] = 0;
      hist?.reset();
    }
    this.touched.length = 0;
    const others = new Map<number, OtherRun[]>();
    for (let i = 0; i < this.otherLen; i++) {
      const ns = this.otherNs[i] ?? 0;
      const ins = this.otherIns[i] ?? 0;
      if (ns <= 0 && ins === 0) continue;
      const cpu = this.otherCpu[i] ?? 0;
      let list = others.get(cpu);
      if (!list) others.set(cpu, (list = []));
      list.push({ tid: this.otherTid[i] ?? 0, comm: this.otherComm[i] ?? '', ns: Math.round(ns), switchIns: ins });
    }
    for (const list of others.values()) list.sort((a, b) => b.ns - a.ns || a.tid - b.tid);
    const lostByCpu = new Map<number, number>();
    const unseenByCpu = new Map<number, number>();
    let lostEvents = 0;
    const blindCpus: number[] = [];
    for (let c = 0; c < this.cpuSlots; c++) {
      if ((this.unseen[c] ?? 0) > 0) unseenByCpu.set(c, this.unseen[c] ?? 0);
      // The stats and the page flags count the same losses: the larger of the two.
      const n = Math.max(this.lostPage[c] ?? 0, this.lostStat[c] ?? 0);
      if (n > 0) {
        lostByCpu.set(c, n);
        lostEvents += n;
      }
      if (this.blind[c] === 1) blindCpus.push(c);
      this.blind[c] = this.known[c] === 1 ? 0 : 1;
    }
    const result: SchedInterval = {
      startNs: this.start,
      endNs,
      events: this.events,
      lostEvents,
      lostByCpu,
      threads,
      others,
      blindCpus,
      unseenByCpu,
      othersDropped: this.othersDropped,
    };
    // Start the next interval: empty accumulators, the running tasks entered again.
    this.start = endNs;
    this.events = 0;
    this.lostPage.fill(0);
    this.lostStat.fill(0);
    this.unseen.fill(0);
    this.pairLen = 0;
    this.otherLen = 0;
    for (const m of this.otherIdx) m?.clear();
    this.otherComm.length = 0;
    this.othersDropped = 0;
    for (let s = 0; s < this.slotCount; s++) {
      if ((this.slotTid[s] ?? 0) < 0 && this.slotTid[s] !== FREE) {
        this.slotTid[s] = FREE;
        this.freeSlots.push(s);
      }
    }
    this.reenterAll();
    return result;
  }

  // --- internals ---------------------------------------------------------------------------

  /**
   * At a cut (every CPU read to it, every list settled): a followed thread ready to run on a pCPU
   * the aggregator has idle is running there, its switch-in unseen (an idle CPU does not leave a
   * ready task waiting). Without this, its run from then to the cut would count only once its
   * switch-out is read, in the next interval, from the cut on.
   */
  private runReadyOnIdle(): void {
    for (let s = 0; s < this.slotCount; s++) {
      const w = this.wake[s];
      const tid = this.slotTid[s] ?? -1;
      if (w == null || tid <= 0) continue;
      const ready = w.readySince();
      const c = this.slotCpu[s] ?? -1;
      if (Number.isNaN(ready) || c < 0 || c >= this.cpuSlots || this.known[c] !== 1 || this.curTid[c] !== 0) continue;
      this.unseen[c] = (this.unseen[c] ?? 0) + 1;
      this.since[c] = Math.max(ready, this.since[c] ?? ready);
      this.enter(c, tid, true, this.slotName[s] ?? '', null, 0, null);
      w.markRunning();
    }
  }

  /**
   * At a cut, after runReadyOnIdle: an untracked task that arrived on a watched pCPU the aggregator
   * still has idle, after the last switch there, is running there since it arrived (its name is
   * not in the record that moved or woke it: it may have exec'd since, so it is left empty).
   */
  private runArrivedOnIdle(endNs: number): void {
    for (let c = 0; c < this.cpuSlots; c++) {
      const tid = this.arrivedTid[c] ?? 0;
      if (tid <= 0) continue;
      const at = this.arrivedAt[c] ?? 0;
      if (this.watched[c] !== 1 || this.known[c] !== 1 || this.curTid[c] !== 0 || at <= (this.switchAt[c] ?? 0) || at > endNs) {
        if (at <= (this.switchAt[c] ?? 0)) this.arrivedTid[c] = 0;
        continue;
      }
      this.arrivedTid[c] = 0;
      this.unseen[c] = (this.unseen[c] ?? 0) + 1;
      this.since[c] = Math.max(at, this.since[c] ?? at);
      this.enter(c, tid, true, '', null, 0, null);
    }
  }

  /** Adds the run time of the current task of `cpu` up to `t`. */
  private close(cpu: number, t: number): void {
    const since = this.since[cpu] ?? t;
    const d = t - since;
    if (d > 0) {
      const p = this.curPair[cpu] ?? -1;
      if (p >= 0) this.pairNs[p] = (this.pairNs[p] ?? 0) + d;
      else {
        const o = this.curOther[cpu] ?? -1;
        if (o >= 0) this.otherNs[o] = (this.otherNs[o] ?? 0) + d;
      }
    }
    this.since[cpu] = t > since ? t : since;
  }

  private leave(cpu: number): void {
    this.curSlot[cpu] = -1;
    this.curPair[cpu] = -1;
    this.curOther[cpu] = -1;
  }

  /** `tid` runs on `cpu` from since[cpu]; a switch-in when `switchIn`. The comm is read only for a new other entry. */
  private enter(cpu: number, tid: number, switchIn: boolean, knownComm: string | null, view: DataView | null, at: number, field: StringField | null): void {
    this.curTid[cpu] = tid;
    this.curSlot[cpu] = -1;
    this.curPair[cpu] = -1;
    this.curOther[cpu] = -1;
    if (tid <= 0) {
      this.curComm[cpu] = null;
      return;
    }
    const slot = this.slotFor(tid);
    if (slot >= 0) {
      this.curSlot[cpu] = slot;
      this.curComm[cpu] = this.slotName[slot] ?? null;
      const p = this.pairFor(slot, cpu);
      this.curPair[cpu] = p;
      if (switchIn) this.pairIns[p] = (this.pairIns[p] ?? 0) + 1;
      return;
    }
    if (this.watched[cpu] !== 1) {
      this.curComm[cpu] = null;
      return;
    }
    let idx = this.otherIdx[cpu];
    if (!idx) this.otherIdx[cpu] = idx = new Map();
    let o = idx.get(tid);
    if (o === undefined) {
      const comm = knownComm ?? (view !== null && field !== null ? readString(view, at, field, this.comm.littleEndian) : '');
      o = this.newOther(tid, cpu, comm);
      if (o < 0) {
        this.curComm[cpu] = comm;
        return;
      }
      idx.set(tid, o);
    } else if (view !== null && field !== null) {
      // Its name as of this record: it may have been entered without one (it was running when its
      // pCPU became watched, or arrived unseen), or under the name it had before an exec.
      this.otherComm[o] = readString(view, at, field, this.comm.littleEndian);
    }
    this.curComm[cpu] = this.otherComm[o] ?? null;
    this.curOther[cpu] = o;
    if (switchIn) this.otherIns[o] = (this.otherIns[o] ?? 0) + 1;
  }

  /** After a change of what is tracked or watched, or a cut: each CPU's running task entered again. */
  private reenterAll(): void {
    for (let c = 0; c < this.cpuSlots; c++) {
      if (this.known[c] !== 1) continue;
      const tid = this.curTid[c] ?? -1;
      this.enter(c, tid, false, this.curComm[c] ?? '', null, 0, null);
    }
  }

  private pairFor(slot: number, cpu: number): number {
    for (let p = this.slotHead[slot] ?? -1; p >= 0; p = this.pairNext[p] ?? -1) if (this.pairCpu[p] === cpu) return p;
    if (this.pairLen === this.pairCpu.length) this.growPairs();
    const p = this.pairLen++;
    this.pairCpu[p] = cpu;
    this.pairNs[p] = 0;
    this.pairIns[p] = 0;
    this.pairNext[p] = this.slotHead[slot] ?? -1;
    this.slotHead[slot] = p;
    this.touch(slot);
    return p;
  }

  private touch(slot: number): void {
    if (this.slotTouched[slot] === 1) return;
    this.slotTouched[slot] = 1;
    this.touched.push(slot);
  }

  private newOther(tid: number, cpu: number, comm: string): number {
    if (this.otherLen >= MAX_OTHERS) {
      this.othersDropped++;
      return -1;
    }
    if (this.otherLen === this.otherTid.length) this.growOthers();
    const o = this.otherLen++;
    this.otherTid[o] = tid;
    this.otherCpu[o] = cpu;
    this.otherNs[o] = 0;
    this.otherIns[o] = 0;
    this.otherComm[o] = comm;
    return o;
  }

  private newSlot(tid: number): number {
    const free = this.freeSlots.pop();
    const slot = free ?? this.slotCount++;
    if (slot >= this.slotTid.length) this.growSlots();
    this.slotTid[slot] = tid;
    this.slotHead[slot] = -1;
    this.slotMigr[slot] = 0;
    this.slotCpu[slot] = -1;
    this.slotCpuAt[slot] = 0;
    this.slotTouched[slot] = 0;
    this.wake[slot] = null;
    return slot;
  }

  private growSlots(): void {
    const n = this.slotTid.length * 2;
    this.slotTid = grow(this.slotTid, new Int32Array(n));
    this.slotVcpu = grow(this.slotVcpu, new Uint8Array(n));
    this.slotMigr = grow(this.slotMigr, new Uint32Array(n));
    this.slotCpu = grow(this.slotCpu, new Int32Array(n).fill(-1));
    this.slotCpuAt = grow(this.slotCpuAt, new Float64Array(n));
    this.slotHead = grow(this.slotHead, new Int32Array(n).fill(-1));
    this.slotTouched = grow(this.slotTouched, new Uint8Array(n));
  }

  private growPairs(): void {
    const n = this.pairCpu.length * 2;
    this.pairCpu = grow(this.pairCpu, new Int32Array(n));
    this.pairNs = grow(this.pairNs, new Float64Array(n));
    this.pairIns = grow(this.pairIns, new Uint32Array(n));
    this.pairNext = grow(this.pairNext, new Int32Array(n));
  }

  private growOthers(): void {
    const n = this.otherTid.length * 2;
    this.otherTid = grow(this.otherTid, new Int32Array(n));
    this.otherCpu = grow(this.otherCpu, new Int32Array(n));
    this.otherNs = grow(this.otherNs, new Float64Array(n));
    this.otherIns = grow(this.otherIns, new Uint32Array(n));
  }
}

const FREE = -2147483648;
const SLOT_PAGE_BITS = 12;
const SLOT_PAGE_MASK = (1 << SLOT_PAGE_BITS) - 1;
const WAKE = 0;
const IN = 1;
const OUT = 2;
const MOVE = 3; // a migration to another CPU
const RUNNABLE = 4; // a switch-out of a task that stays runnable
/** prev_state's task-state bits (TASK_REPORT); TASK_REPORT_MAX above them marks a preemption. */
const TASK_STATE_BITS = 0xff;

function grow<T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/**
 * A growable list of times (ns). Times come CPU by CPU, each CPU's in order, so the list is a few
 * sorted runs: it is put in order by merging the runs, not by sorting.
 */
class TimeList {
  buf = new Float64Array(16);
  len = 0;
  private runs: number[] = []; // start index of every run after the first
  private scratch = new Float64Array(16);

  /** Adds time[0]. */
  push(time: Float64Array): void {
    const ts = time[0] ?? 0;
    if (this.len === this.buf.length) {
      const b = new Float64Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    if (this.len > 0 && ts < (this.buf[this.len - 1] ?? 0)) this.runs.push(this.len);
    this.buf[this.len++] = ts;
  }

  /** Puts the list in order; returns how many times are <= `limit`. */
  sortedUpTo(limit: number): number {
    if (this.runs.length > 0) this.mergeRuns();
    const b = this.buf;
    let n = 0;
    while (n < this.len && (b[n] ?? 0) <= limit) n++;
    return n;
  }

  /** Drops the first `n` times. */
  shift(n: number): void {
    if (n <= 0) return;
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }

  private mergeRuns(): void {
    if (this.scratch.length < this.buf.length) this.scratch = new Float64Array(this.buf.length);
    let bounds = [0, ...this.runs, this.len];
    let src = this.buf;
    let dst = this.scratch;
    // Merge neighbouring runs pairwise until one is left: O(n log runs).
    while (bounds.length > 2) {
      const next = [0];
      for (let r = 0; r + 1 < bounds.length; r += 2) {
        const a0 = bounds[r] ?? 0;
        const a1 = bounds[r + 1] ?? 0;
        const b1 = r + 2 < bounds.length ? (bounds[r + 2] ?? a1) : a1;
        let i = a0;
        let j = a1;
        let k = a0;
        while (i < a1 && j < b1) dst[k++] = (src[i] ?? 0) <= (src[j] ?? 0) ? (src[i++] ?? 0) : (src[j++] ?? 0);
        while (i < a1) dst[k++] = src[i++] ?? 0;
        while (j < b1) dst[k++] = src[j++] ?? 0;
        next.push(b1);
      }
      bounds = next;
      const t = src;
      src = dst;
      dst = t;
    }
    if (src !== this.buf) {
      this.scratch = this.buf;
      this.buf = src;
    }
    this.runs = [];
  }
}

type GapResolver = (pair: number, startNs: number, endNs: number) => void;

/**
 * One followed thread's wake-ups, switch-ins, switch-outs and migrations, matched in time order:
 * a vCPU's wake-up latency (a wake-up to the switch-in after it), and the start of a switch-in
 * the kernel did not report (see the file comment).
 */
class WakeLists {
  readonly wakes = new TimeList();
  readonly ins = new TimeList();
  readonly outs = new TimeList();
  readonly runnable = new TimeList(); // switch-outs that left it runnable (each also in outs)
  readonly moves = new TimeList();
  readonly hist = new LatencyHistogram();
  /** Wake-up latency is kept (a vCPU). */
  latency = false;
  private running = false;
  private pending = Number.NaN; // the wake-up a latency is measured from
  // Since it last ran: when it became ready to run (woken, or switched out runnable), and when it
  // last moved to another CPU's queue. Its next switch-in comes after both.
  private ready = Number.NaN;
  private moved = Number.NaN;
  // A wake-up came while it ran: it was about to sleep, and is ready again as it switches out.
  private wokeRunning = false;
  // Switch-outs with no switch-in seen before them (rare): their time, the earliest the unseen
  // switch-in can be, and the residency pair to credit.
  private gapAt: number[] = [];
  private gapLo: number[] = [];
  private gapPair: number[] = [];
  dirty = false; // in the aggregator's list of lists to settle

  pendingEvents(): boolean {
    return this.wakes.len > 0 || this.ins.len > 0 || this.outs.len > 0 || this.moves.len > 0 || this.runnable.len > 0 || this.gapAt.length > 0;
  }

  /** Since when it has been ready to run and not running (as settled so far), or NaN. */
  readySince(): number {
    if (this.running || Number.isNaN(this.ready)) return Number.NaN;
    return Number.isNaN(this.moved) ? this.ready : Math.max(this.ready, this.moved);
  }

  /** It runs from now on, though no switch-in was seen (SchedAggregator.runReadyOnIdle). */
  markRunning(): void {
    this.running = true;
    this.wokeRunning = false;
    this.pending = Number.NaN;
    this.ready = Number.NaN;
    this.moved = Number.NaN;
  }

  /** The switch-out at `at` had no switch-in seen after `lo`: its run is placed when settled. */
  gap(at: number, lo: number, pair: number): void {
    this.gapAt.push(at);
    this.gapLo.push(lo);
    this.gapPair.push(pair);
  }

  /** Gaps still open at a cut: unknown. */
  dropGaps(resolve: GapResolver): void {
    for (const p of this.gapPair) resolve(p, Number.NaN, 0);
    this.gapAt.length = this.gapLo.length = this.gapPair.length = 0;
  }

  settle(limit: number, resolve: GapResolver): void {
    const nw = this.wakes.sortedUpTo(limit);
    const ni = this.ins.sortedUpTo(limit);
    const no = this.outs.sortedUpTo(limit);
    const nr = this.runnable.sortedUpTo(limit);
    const nm = this.moves.sortedUpTo(limit);
    const w = this.wakes.buf;
    const i = this.ins.buf;
    const o = this.outs.buf;
    const r = this.runnable.buf;
    const m = this.moves.buf;
    let a = 0;
    let b = 0;
    let c = 0;
    let e = 0;
    let d = 0;
    // Merge in time order; at equal times a switch-out comes first, then its being runnable, a
    // migration, a wake-up, and a switch-in last.
    while (a < nw || b < ni || c < no || e < nr || d < nm) {
      const tw = a < nw ? (w[a] ?? Infinity) : Infinity;
      const ti = b < ni ? (i[b] ?? Infinity) : Infinity;
      const to = c < no ? (o[c] ?? Infinity) : Infinity;
      const tr = e < nr ? (r[e] ?? Infinity) : Infinity;
      const tm = d < nm ? (m[d] ?? Infinity) : Infinity;
      if (to <= tw && to <= ti && to <= tr && to <= tm) {
        if (this.gapAt.length > 0) this.closeGap(to, resolve);
        this.ready = this.wokeRunning ? to : Number.NaN;
        this.moved = Number.NaN;
        this.running = false;
        this.wokeRunning = false;
        this.pending = Number.NaN;
        c++;
      } else if (tr <= tw && tr <= ti && tr <= tm) {
        if (Number.isNaN(this.ready)) this.ready = tr;
        e++;
      } else if (tm <= tw && tm <= ti) {
        if (!this.running) this.moved = tm;
        d++;
      } else if (tw <= ti) {
        if (this.running || !Number.isNaN(this.ready)) {
          // Woken while it runs (a switch-in unseen, or it was about to sleep): sched_waking
          // is only written for a sleeping task, so it is going to sleep and runs again at once.
          this.wokeRunning = true;
        } else {
          this.ready = tw;
          this.pending = tw;
        }
        a++;
      } else {
        if (!Number.isNaN(this.pending) && this.latency) this.hist.add(ti - this.pending);
        this.pending = Number.NaN;
        this.ready = Number.NaN;
        this.moved = Number.NaN;
        this.running = true;
        this.wokeRunning = false;
        b++;
      }
    }
    this.wakes.shift(nw);
    this.ins.shift(ni);
    this.outs.shift(no);
    this.runnable.shift(nr);
    this.moves.shift(nm);
  }

  /** The switch-out at `to`, if it is a gap's: its run from the wake-up or migration that came before it. */
  private closeGap(to: number, resolve: GapResolver): void {
    const g = this.gapAt.indexOf(to);
    if (g < 0) return;
    const lo = this.gapLo[g] ?? to;
    const pair = this.gapPair[g] ?? -1;
    this.gapAt.splice(g, 1);
    this.gapLo.splice(g, 1);
    this.gapPair.splice(g, 1);
    if (pair < 0) return;
    // Ready since it last ran: it ran from then, or from its move to this CPU, or from lo (the
    // last switch seen on this CPU), whichever is latest. Else unknown.
    const from = Math.max(this.ready, lo, Number.isNaN(this.moved) ? lo : this.moved);
    resolve(pair, !this.running && !Number.isNaN(this.ready) ? from : Number.NaN, to);
  }
}
