// The host agent: each tick it samples every thread of every QEMU process and the per-pCPU load,
// joins them with vCPU identity and pinning intent, and builds the host snapshot.
//
// Intent and affinity are read coherently. A live re-pin changes two things that the agent reads
// apart: libvirt writes the kernel mask first and its status XML a few ms later (measured here:
// 0-17 ms), and an operator may edit the pins file before or after a taskset. So:
// - the libvirt status directory and the pins file are watched (inotify), and re-read on the
//   tick after a change instead of on the next 1 s discovery;
// - a tick that sees a thread's mask (or policy) change re-reads them at once, and a tick that
//   sees a VM's intent change re-reads that VM's masks at once;
// - a violation that is new on such a tick is not reported at once: for a short grace (one
//   interval, at least 50 ms and at most 250 ms) the intent and the masks of that VM are re-read
//   every 10 ms, and the snapshot of the tick is judged on what they say then. A re-pin that
//   completes within the grace never shows; a real drift shows on the tick it is seen, at most
//   the grace later (`next()`; `sample()` judges at once, without a grace).
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { readHostTopology } from '../sysfs/topology';
import { pcpuLoad, type ProcStatCpu } from '../procfs/task-stat';
import { parseProcStatBytes } from '../procfs/proc-stat-bytes';
import { scratchBytes } from './pread-scratch';
import { buildSnapshot, type PreviousTick } from '../model/build-snapshot';
import type { Snapshot } from '../model/snapshot';
import type { CgroupCpuset, HostObservation, HostTopology, ThreadSample, VcpuIdentity, VmIntent, VmObservation } from '../model/types';
import type { LibvirtStatus } from '../libvirt/domain-xml';
import { KeptOpenFile } from './kept-open-file';
import { ProcessDiscovery, type QemuProcess } from './process-discovery';
import { ProcessThreads, type ProcessSample } from './process-threads';
import { LibvirtStatusDir } from './libvirt-status-dir';
import { fetchQmpIdentity, type QmpIdentity } from './qmp-identity';
import type { PinsWatch } from './pins-watch';
import { CgroupCpusets, type CgroupTask } from './cgroup-cpusets';
import { intentKey } from './intent-key';
import { errorText, type Logger } from './log';
import type { ExactOptions, ExactSource } from './exact-source';
import type { TraceAnswer } from './trace-export';

export interface AgentOptions {
  readonly host: string;
  readonly intervalMs: number;
  readonly procRoot: string;
  readonly sysRoot: string;
  readonly libvirtDir: string;
  readonly pinsFile: string | null;
  readonly log: Logger;
  /** How often /proc and the libvirt directory are listed for new VMs (ms). */
  readonly discoverEveryMs?: number;
  /** How often each thread's kernel affinity is re-read (ms). */
  readonly affinityEveryMs?: number;
  /** Longest time a thread that did not run goes without its stat being re-read (ms). */
  readonly fullEveryMs?: number;
  readonly qmpTimeoutMs?: number;
  /** Exact mode (the scheduler's trace events); absent: sampling only. */
  readonly exact?: ExactOptions;
  /** Longest wait for intent and masks to agree after either changed (ms); see the file comment. */
  readonly intentGraceMs?: number;
}

interface QmpState {
  identity: QmpIdentity | null; // the last answer, kept when a later ask fails
  covers: ReadonlySet<number> | null; // the threads present when `identity` was asked for
  askedFor: string | null; // thread set of the last attempt
  failed: string | null; // why the last attempt failed; null when it did not
  triedAt: number; // epoch ms
  inFlight: Promise<void> | null;
}

interface TrackedVm {
  proc: QemuProcess;
  readonly threads: ProcessThreads;
  readonly vhost: Map<number, ProcessThreads>; // vhost kernel threads by pid
  readonly qmp: QmpState;
  tidKey: string;
  intent: VmIntent | null; // as judged last
  intentKey: string | null; // null before the first tick
  cgroupsFor: string | null; // tidKey the cgroups were read for
  cgroup: CgroupCpuset | null;
  threadCgroups: ReadonlyMap<number, CgroupCpuset>;
  unknownLogged: boolean;
}

/** The tick whose snapshot may still be judged again within the grace. */
interface OpenTick {
  readonly obs: HostObservation;
  readonly before: PreviousTick | null;
  readonly changed: ReadonlySet<number>; // pids whose masks or intent changed this tick
}

const QMP_RETRY_MS = 30_000;
const GRACE_POLL_MS = 10;

export class Agent {
  private readonly discovery: ProcessDiscovery;
  private readonly libvirt: LibvirtStatusDir;
  private readonly pins: PinsWatch | null;
  private readonly cgroups: CgroupCpusets;
  private readonly procStat: KeptOpenFile;
  private readonly onlineFile: KeptOpenFile;
  private readonly vms = new Map<number, TrackedVm>();
  private vhostByPid: ReadonlyMap<number, readonly number[]> = new Map();
  private libvirtByPid: ReadonlyMap<number, LibvirtStatus> = new Map();
  private intents: ReadonlyMap<string, VmIntent> = new Map();
  private lastDiscovery = Number.NEGATIVE_INFINITY;
  private discoverEveryTickUntil = 0;
  private onlineText: string | null;
  private prevCpuTimes: readonly ProcStatCpu[] | null = null;
  private prev: PreviousTick | null = null;
  private open: OpenTick | null = null;
  private topologyReload: Promise<void> | null = null;
  private exact: ExactSource | null = null;
  private readonly watchers = new Map<string, FSWatcher>();
  private sourcesChanged = false; // a watched intent source changed since it was last read
  private sourcesReadAt = Number.NEGATIVE_INFINITY;
  private readonly discoverEveryMs: number;
  private readonly affinityEveryMs: number;
  private readonly fullEveryMs: number;
  private readonly qmpTimeoutMs: number;
  private readonly graceMs: number;

  private constructor(
    private readonly opts: AgentOptions,
    private topology: HostTopology,
    pins: PinsWatch | null,
  ) {
    this.discovery = new ProcessDiscovery(opts.procRoot);
    this.libvirt = new LibvirtStatusDir(opts.libvirtDir, (file, err) =>
      opts.log('warn', `libvirt status ${file} could not be read: ${errorText(err)}`, `libvirt:${file}`),
    );
    this.pins = pins;
    this.cgroups = new CgroupCpusets(opts.procRoot, opts.sysRoot);
    this.procStat = new KeptOpenFile(`${opts.procRoot}/stat`);
    this.onlineFile = new KeptOpenFile(`${opts.sysRoot}/devices/system/cpu/online`);
    this.onlineText = this.onlineFile.read();
    this.discoverEveryMs = opts.discoverEveryMs ?? Math.max(opts.intervalMs, 1000);
    // status costs ~12 us a read, four times a schedstat read: re-read every 5 s (at 10 Hz, 240
    // threads, 2 s cost ~0.6 us per thread per tick), and at once when a thread runs outside the
    // affinity read last time, so a re-pinned running vCPU shows within a tick; only a re-pin of
    // a thread that does not run waits for the periodic read (SPEC: "may be re-read less often").
    this.affinityEveryMs = opts.affinityEveryMs ?? Math.max(opts.intervalMs, 5000);
    // An idle thread's stat cannot change but for its state letter, and a thread set that grows
    // or shrinks is seen at once: a full re-read every 5 s is a safety net.
    this.fullEveryMs = opts.fullEveryMs ?? Math.max(opts.intervalMs, 5000);
    this.qmpTimeoutMs = opts.qmpTimeoutMs ?? 2000;
    this.graceMs = opts.intentGraceMs ?? Math.min(250, Math.max(50, opts.intervalMs));
  }

  /** Reads the topology and the pins file; throws with a clear message when either is unusable. */
  static async create(opts: AgentOptions): Promise<Agent> {
    const topology = await readHostTopology(opts.sysRoot);
    // The pins file's parser (YAML) and exact mode's trace reader are loaded only when asked for:
    // they are a third of the agent's code, and compiling it is a good part of its start-up.
    const pins = opts.pinsFile === null ? null : new (await import('./pins-watch')).PinsWatch(opts.pinsFile);
    const agent = new Agent(opts, topology, pins);
    if (agent.pins) agent.intents = agent.pins.load();
    if (opts.exact && opts.exact.setting !== 'off') {
      const { ExactSource } = await import('./exact-source');
      agent.exact = ExactSource.start(opts.exact, topology.cpus.map((c) => c.cpu), opts.procRoot, opts.log);
    }
    agent.watchSources();
    return agent;
  }

  /** Finds the VMs and waits for their QMP identity, so the first snapshot is complete. */
  async prepare(): Promise<void> {
    const now = Date.now();
    this.discover(now);
    for (const vm of this.vms.values()) this.sampleVm(vm, now, new Set());
    await Promise.all([...this.vms.values()].map((vm) => vm.qmp.inFlight));
  }

  /**
   * One tick, judged coherently: when a mask or an intent changed and a violation is new, the
   * snapshot is judged again within the grace (see the file comment). Synchronous when nothing
   * is in doubt, which is nearly every tick.
   */
  next(): Snapshot | Promise<Snapshot> {
    const snapshot = this.sample();
    return this.inDoubt(snapshot) ? this.settleJudgement(snapshot) : snapshot;
  }

  /** One tick, judged at once. Never throws for a VM that vanished or misbehaves: that is logged and skipped. */
  sample(): Snapshot {
    const now = Date.now();
    if (now - this.lastDiscovery >= this.discoverEveryMs || now < this.discoverEveryTickUntil) {
      this.discover(now);
    } else if (this.sourcesChanged) {
      this.readIntentSources(now);
    }
    // The trace's interval closes right before the threads' schedstat is read, so both cover it;
    // what else exact mode reads (other tasks' names, /proc/interrupts) comes after the reads.
    this.exact?.cut();
    const changed = new Set<number>();
    const observations: VmObservation[] = [];
    for (const vm of this.vms.values()) {
      const obs = this.sampleVm(vm, now, changed);
      if (obs) observations.push(obs);
    }
    const exact = this.exact?.observe();
    const obs: HostObservation = {
      host: this.opts.host,
      at: now,
      topology: this.topology,
      vms: observations,
      pcpus: this.readPcpuLoad(),
      mode: this.exact ? 'exact' : 'sampled',
      exact: exact ?? null,
    };
    return this.judge({ obs, before: this.prev, changed });
  }

  /** The kept trace of [fromMs, toMs] (epoch ms) as ftrace text for Perfetto, or why there is none. */
  async trace(fromMs: number, toMs: number): Promise<TraceAnswer> {
    if (this.exact === null) {
      return { ok: false, status: 409, error: `host ${this.opts.host} is sampled, not in exact mode: a trace needs exact mode (--exact, as root with tracefs)`, keptFromMs: null };
    }
    const w = this.exact.traceWindow(fromMs, toMs);
    return 'ok' in w ? w : (await import('./trace-export')).formatTraceWindow(w);
  }

  /** Resolves when in-flight QMP queries and topology reloads are done. */
  async settle(): Promise<void> {
    await Promise.all([this.topologyReload, ...[...this.vms.values()].map((vm) => vm.qmp.inFlight)]);
  }

  close(): void {
    this.exact?.close();
    this.exact = null;
    for (const vm of this.vms.values()) closeVm(vm);
    this.vms.clear();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.procStat.close();
    this.onlineFile.close();
    this.discovery.close();
  }

  private judge(tick: OpenTick): Snapshot {
    const snapshot = buildSnapshot(tick.obs, tick.before);
    this.open = tick;
    this.prev = { obs: tick.obs, snapshot };
    this.logUnknown(snapshot);
    this.exact?.follow(snapshot);
    return snapshot;
  }

  /** A violation new in `snapshot` that involves a VM whose masks or intent changed this tick. */
  private inDoubt(snapshot: Snapshot): boolean {
    const tick = this.open;
    if (tick === null || tick.changed.size === 0 || tick.before === null) return false;
    const names = new Set(tick.obs.vms.filter((v) => tick.changed.has(v.pid)).map((v) => v.name));
    const known = new Set(tick.before.snapshot.violations.map((v) => v.id));
    return snapshot.violations.some((v) => !known.has(v.id) && (names.has(v.vm) || v.vms.some((n) => names.has(n))));
  }

  private async settleJudgement(first: Snapshot): Promise<Snapshot> {
    const deadline = Date.now() + this.graceMs;
    let snapshot = first;
    while (this.inDoubt(snapshot)) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      await new Promise((r) => setTimeout(r, Math.min(GRACE_POLL_MS, left)));
      try {
        snapshot = this.rejudge();
      } catch (err) {
        // The tick's snapshot as judged so far goes out rather than none.
        this.opts.log('error', `judging a changed pin again failed: ${errorText(err)}`, 'rejudge');
        break;
      }
    }
    return snapshot;
  }

  /** The open tick judged again on the intent and the masks of its changed VMs as they are now. */
  private rejudge(): Snapshot {
    const tick = this.open;
    if (tick === null) throw new Error('rejudge without a tick');
    const now = Date.now();
    this.readIntentSources(now);
    const vms = tick.obs.vms.map((o) => {
      const vm = tick.changed.has(o.pid) ? this.vms.get(o.pid) : undefined;
      if (vm === undefined) return o;
      const sample = vm.threads.rereadAffinity(now);
      const vhost = this.sampleVhost(vm, now, true);
      this.judgedIntent(vm);
      if (sample.placementChanged || vhost.changed) this.readCgroups(vm, sample, now);
      return this.observationOf(vm, sample, vhost.threads);
    });
    return this.judge({ obs: { ...tick.obs, vms }, before: tick.before, changed: tick.changed });
  }

  private discover(now: number): void {
    this.lastDiscovery = now;
    const { log } = this.opts;
    this.readIntentSources(now);
    this.watchSources();
    const found = this.discovery.scan(now);
    this.vhostByPid = found.vhost;
    const present = new Set<number>();
    for (const proc of found.vms) {
      present.add(proc.pid);
      const known = this.vms.get(proc.pid);
      if (known) {
        known.proc = proc;
        continue;
      }
      this.vms.set(proc.pid, {
        proc,
        threads: this.processThreads(proc.pid),
        vhost: new Map(),
        qmp: { identity: null, covers: null, askedFor: null, failed: null, triedAt: Number.NEGATIVE_INFINITY, inFlight: null },
        tidKey: '',
        intent: null,
        intentKey: null,
        cgroupsFor: null,
        cgroup: null,
        threadCgroups: new Map(),
        unknownLogged: false,
      });
      log('info', `found VM ${displayName(proc, this.libvirtByPid)} (pid ${proc.pid})`);
    }
    for (const [pid, vm] of this.vms) {
      if (present.has(pid)) continue;
      const other = found.notVms.get(pid);
      this.dropVm(vm, other === undefined ? 'exited' : other === pid ? 'exited (not reaped yet)' : `is a fork of the daemonizing QEMU ${other}, not a VM of its own`);
    }
    this.checkTopology();
  }

  private processThreads(pid: number): ProcessThreads {
    return new ProcessThreads(this.opts.procRoot, pid, { affinityEveryMs: this.affinityEveryMs, fullEveryMs: this.fullEveryMs });
  }

  /** Re-reads the libvirt status files and the pins file (each parsed again only when it changed). */
  private readIntentSources(now: number): void {
    this.sourcesChanged = false;
    this.sourcesReadAt = now;
    this.libvirtByPid = this.libvirt.scan();
    if (this.pins) {
      const path = this.pins.path;
      this.intents = this.pins.poll((err) =>
        this.opts.log('error', `pins file ${path} is invalid, keeping the previous pins: ${errorText(err)}`, 'pins'),
      );
    }
  }

  /** inotify on the libvirt status directory and the pins file's directory (editors replace files). */
  private watchSources(): void {
    const dirs = [this.opts.libvirtDir, ...(this.pins ? [dirname(this.pins.path)] : [])];
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      let w: FSWatcher;
      try {
        w = watch(dir, { persistent: false }, () => {
          this.sourcesChanged = true;
        });
      } catch {
        continue; // no such directory (no libvirt here): polled on each discovery, watched once it exists
      }
      w.on('error', (err) => {
        this.opts.log('warn', `watching ${dir} failed, reading it on each discovery instead: ${errorText(err)}`, `watch:${dir}`);
        w.close();
        this.watchers.delete(dir);
      });
      this.watchers.set(dir, w);
    }
  }

  private sampleVm(vm: TrackedVm, now: number, changed: Set<number>): VmObservation | null {
    const { proc } = vm;
    let sample: ProcessSample | null;
    try {
      sample = vm.threads.sample(now);
    } catch (err) {
      this.opts.log('error', `VM ${displayName(proc, this.libvirtByPid)} (pid ${proc.pid}) could not be read: ${errorText(err)}`, `read:${proc.pid}`);
      return null;
    }
    if (!sample) {
      this.dropVm(vm, 'exited between two reads');
      return null;
    }
    if (sample.tidKey !== vm.tidKey) {
      // A thread set change is usually a hot-plug: libvirt rewrites its status file and QMP
      // knows the new vCPU. Look at both again for the next few ticks.
      if (vm.tidKey !== '') this.discoverEveryTickUntil = now + 2 * this.discoverEveryMs;
      vm.tidKey = sample.tidKey;
    }
    let vhost = this.sampleVhost(vm, now, false);
    // A mask changed: judge it against the intent as it stands now, not as read up to 1 s ago.
    if ((sample.placementChanged || vhost.changed) && this.sourcesReadAt !== now) this.readIntentSources(now);
    this.maybeRefreshQmp(vm, sample, now);
    let placementChanged = sample.placementChanged || vhost.changed;
    if (this.judgedIntent(vm)) {
      // The intent changed: are the masks already the new ones? (a sleeping thread's mask is
      // otherwise re-read only every affinityEveryMs)
      sample = vm.threads.rereadAffinity(now);
      vhost = this.sampleVhost(vm, now, true);
      placementChanged = true;
    }
    if (placementChanged) changed.add(proc.pid);
    if (placementChanged || vm.cgroupsFor !== vm.tidKey) this.readCgroups(vm, sample, now);
    return this.observationOf(vm, sample, vhost.threads);
  }

  /** Samples the VM's vhost kernel threads (re-reading their masks when `reread`). */
  private sampleVhost(vm: TrackedVm, now: number, reread: boolean): { readonly threads: readonly ThreadSample[]; readonly changed: boolean } {
    const pids = this.vhostByPid.get(vm.proc.pid) ?? NONE;
    for (const [pid, t] of vm.vhost) {
      if (!pids.includes(pid)) {
        t.close();
        vm.vhost.delete(pid);
      }
    }
    if (pids.length === 0) return NO_VHOST;
    const threads: ThreadSample[] = [];
    let changed = false;
    for (const pid of pids) {
      let t = vm.vhost.get(pid);
      if (t === undefined) {
        t = this.processThreads(pid);
        vm.vhost.set(pid, t);
      }
      const s = reread ? t.rereadAffinity(now) : t.sample(now);
      if (s === null) continue; // the device went away; the next discovery forgets it
      changed ||= s.placementChanged;
      threads.push(...s.threads);
    }
    return { threads, changed };
  }

  /**
   * Sets the VM's intent from the pins file or libvirt; true when it differs from the one judged
   * last (not on the VM's first tick). An equal intent keeps its old object (stable references).
   */
  private judgedIntent(vm: TrackedVm): boolean {
    const lv = this.libvirtByPid.get(vm.proc.pid);
    const name = lv?.domain.name ?? vm.proc.name ?? `pid-${vm.proc.pid}`;
    const intent = this.intents.get(name) ?? (lv ? libvirtIntent(lv) : null);
    if (intent === vm.intent && vm.intentKey !== null) return false;
    const key = intentKey(intent);
    const first = vm.intentKey === null;
    const differs = key !== vm.intentKey;
    if (differs) vm.intent = intent;
    vm.intentKey = key;
    return differs && !first;
  }

  private readCgroups(vm: TrackedVm, sample: ProcessSample, now: number): void {
    vm.cgroupsFor = vm.tidKey;
    const tasks: CgroupTask[] = sample.threads.map((t) => ({ pid: vm.proc.pid, tid: t.tid }));
    for (const pid of vm.vhost.keys()) tasks.push({ pid, tid: pid });
    try {
      const read = this.cgroups.read(tasks, now);
      vm.cgroup = sameCgroup(vm.cgroup, read.vm) ? vm.cgroup : read.vm;
      vm.threadCgroups = read.threads;
    } catch (err) {
      this.opts.log('warn', `cgroups of VM ${displayName(vm.proc, this.libvirtByPid)} could not be read: ${errorText(err)}`, `cgroup:${vm.proc.pid}`);
    }
  }

  private observationOf(vm: TrackedVm, sample: ProcessSample, vhost: readonly ThreadSample[]): VmObservation {
    const { proc, qmp } = vm;
    const lv = this.libvirtByPid.get(proc.pid);
    return {
      name: lv?.domain.name ?? proc.name ?? `pid-${proc.pid}`,
      uuid: lv?.domain.uuid ?? proc.uuid,
      pid: proc.pid,
      source: lv ? 'libvirt' : 'qemu',
      threads: vhost.length === 0 ? sample.threads : [...sample.threads, ...vhost],
      vcpus: lv ? libvirtVcpus(lv) : (qmp.identity?.vcpus ?? NONE),
      iothreads: qmp.identity?.iothreads ?? NONE,
      intent: vm.intent,
      maxVcpus: lv?.domain.vcpuMax ?? proc.maxVcpus,
      namesThreads: lv !== undefined || proc.debugThreads,
      identityCovers: lv ? null : qmp.covers,
      cgroup: vm.cgroup,
      threadCgroups: vm.threadCgroups,
    };
  }

  private maybeRefreshQmp(vm: TrackedVm, sample: ProcessSample, now: number): void {
    const { qmp, proc } = vm;
    if (proc.qmpSockets.length === 0 || qmp.inFlight) return;
    const changed = qmp.askedFor !== vm.tidKey;
    const failedRetryDue = qmp.failed !== null && now - qmp.triedAt >= QMP_RETRY_MS;
    if (!changed && !failedRetryDue) return;
    const tidKey = vm.tidKey;
    const tids = new Set(sample.threads.map((t) => t.tid));
    qmp.triedAt = now;
    qmp.askedFor = tidKey;
    qmp.inFlight = this.queryQmp(proc)
      .then((r) => {
        if (typeof r === 'string') {
          qmp.failed = r;
          return;
        }
        qmp.failed = null;
        qmp.identity = r;
        qmp.covers = tids;
        this.opts.log('info', `QMP identity of ${displayName(proc, this.libvirtByPid)}: ${r.vcpus.length} vCPUs, ${r.iothreads.length} IOThreads`, `qmp:${proc.pid}`);
      })
      .finally(() => {
        qmp.inFlight = null;
      });
  }

  /** Tries each QMP socket of the VM; why none answered (after logging it) when none does. */
  private async queryQmp(proc: QemuProcess): Promise<QmpIdentity | string> {
    const reasons: string[] = [];
    for (const path of proc.qmpSockets) {
      try {
        return await fetchQmpIdentity(path, this.qmpTimeoutMs);
      } catch (err) {
        reasons.push(errorText(err));
      }
    }
    const why = reasons.join('; ');
    const fallback = proc.debugThreads ? 'matching vCPUs by thread name' : 'and its threads are not named (no debug-threads=on)';
    this.opts.log('warn', `QMP identity of ${displayName(proc, this.libvirtByPid)} (pid ${proc.pid}) unavailable, ${fallback}: ${why}`, `qmp:${proc.pid}`);
    return why;
  }

  /** One log line, with the remedy, for each VM whose vCPU threads cannot be identified. */
  private logUnknown(snapshot: Snapshot): void {
    for (const v of snapshot.vms) {
      const vm = this.vms.get(v.pid);
      if (vm === undefined) continue;
      if (v.identity !== 'unknown') {
        vm.unknownLogged = false;
        continue;
      }
      const { proc, qmp } = vm;
      // Not while a first QMP answer may still come.
      if (vm.unknownLogged || qmp.inFlight !== null || (proc.qmpSockets.length > 0 && qmp.askedFor === null)) continue;
      vm.unknownLogged = true;
      const qmpWhy = proc.qmpSockets.length === 0 ? 'it has no QMP socket' : `its QMP socket does not answer (${qmp.failed ?? 'no answer'})`;
      this.opts.log(
        'warn',
        `VM ${displayName(proc, this.libvirtByPid)} (pid ${proc.pid}): its vCPU threads cannot be identified: ${qmpWhy}, its threads are not named and ` +
          'libvirt does not know it; it is shown with identity "unknown" and none of its threads is judged. Start QEMU with ' +
          '-name guest=NAME,debug-threads=on, or give it a QMP socket (-qmp unix:PATH,server=on,wait=off)',
        `identity:${proc.pid}`,
      );
    }
  }

  private dropVm(vm: TrackedVm, why: string): void {
    closeVm(vm);
    this.vms.delete(vm.proc.pid);
    this.discovery.forget(vm.proc.pid);
    this.opts.log('info', `VM ${displayName(vm.proc, this.libvirtByPid)} (pid ${vm.proc.pid}) ${why}`);
  }

  private readPcpuLoad(): HostObservation['pcpus'] {
    const len = this.procStat.readBytes();
    if (len < 0) throw new Error(`${this.opts.procRoot}/stat could not be read: is --proc-root a procfs?`);
    const cur = parseProcStatBytes(scratchBytes(), len);
    const prev = this.prevCpuTimes;
    this.prevCpuTimes = cur;
    return prev ? pcpuLoad(prev, cur) : [];
  }

  private checkTopology(): void {
    const text = this.onlineFile.read();
    if (text === this.onlineText || this.topologyReload) return;
    this.onlineText = text;
    this.opts.log('info', `online CPUs changed to ${text?.trim() ?? '(none)'}: re-reading the topology`);
    this.topologyReload = readHostTopology(this.opts.sysRoot)
      .then((t) => {
        this.topology = t;
      })
      .catch((err: unknown) => this.opts.log('error', `topology re-read failed, keeping the old one: ${errorText(err)}`))
      .finally(() => {
        this.topologyReload = null;
      });
  }
}

// Stable references tick after tick, so that buildSnapshot can tell an unchanged VM at a glance.
const NONE: readonly never[] = [];
const NO_VHOST = { threads: NONE, changed: false } as const;
const libvirtVcpuCache = new WeakMap<LibvirtStatus, readonly VcpuIdentity[]>();

function libvirtVcpus(lv: LibvirtStatus): readonly VcpuIdentity[] {
  let vcpus = libvirtVcpuCache.get(lv);
  if (!vcpus) {
    vcpus = lv.vcpuPids.map((v) => ({ index: v.index, tid: v.tid, source: 'libvirt' as const }));
    libvirtVcpuCache.set(lv, vcpus);
  }
  return vcpus;
}

function closeVm(vm: TrackedVm): void {
  vm.threads.close();
  for (const t of vm.vhost.values()) t.close();
  vm.vhost.clear();
}

function sameCgroup(a: CgroupCpuset | null, b: CgroupCpuset | null): boolean {
  if (a === null || b === null) return a === b;
  return a.path === b.path && a.file === b.file && a.cpus.join(',') === b.cpus.join(',');
}

function displayName(proc: QemuProcess, libvirtByPid: ReadonlyMap<number, LibvirtStatus>): string {
  const name = libvirtByPid.get(proc.pid)?.domain.name ?? proc.name;
  return name === null ? `pid-${proc.pid}` : JSON.stringify(name);
}

/** A libvirt domain without any pin, default cpuset, numatune or vcpusched is observed, not judged. */
function libvirtIntent(lv: LibvirtStatus): VmIntent | null {
  const i = lv.domain.intent;
  const empty =
    i.vcpupin.size === 0 && i.vcpuDefault === null && i.emulatorpin === null && i.iothreadpin.size === 0 && i.memoryNodes === null && i.vcpusched.size === 0;
  return empty ? null : i;
}
