// The host agent: each tick it samples every thread of every QEMU process and the per-pCPU load,
// joins them with vCPU identity and pinning intent, and builds the host snapshot.
import { readHostTopology } from '../sysfs/topology';
import { pcpuLoad, type ProcStatCpu } from '../procfs/task-stat';
import { parseProcStatBytes } from '../procfs/proc-stat-bytes';
import { scratchBytes } from './pread-scratch';
import { buildSnapshot } from '../model/build-snapshot';
import type { Snapshot } from '../model/snapshot';
import type { HostObservation, HostTopology, VcpuIdentity, VmIntent, VmObservation } from '../model/types';
import type { LibvirtStatus } from '../libvirt/domain-xml';
import { KeptOpenFile } from './kept-open-file';
import { ProcessDiscovery, type QemuProcess } from './process-discovery';
import { ProcessThreads } from './process-threads';
import { LibvirtStatusDir } from './libvirt-status-dir';
import { fetchQmpIdentity, type QmpIdentity } from './qmp-identity';
import { PinsWatch } from './pins-watch';
import { errorText, type Logger } from './log';
import { ExactSource, type ExactOptions } from './exact-source';

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
}

interface QmpState {
  identity: QmpIdentity | null;
  forTidKey: string | null; // thread set the identity (or the last failure) belongs to
  triedAt: number; // epoch ms
  inFlight: Promise<void> | null;
}

interface TrackedVm {
  proc: QemuProcess;
  readonly threads: ProcessThreads;
  readonly qmp: QmpState;
  tidKey: string;
}

const QMP_RETRY_MS = 30_000;

export class Agent {
  private readonly discovery: ProcessDiscovery;
  private readonly libvirt: LibvirtStatusDir;
  private readonly pins: PinsWatch | null;
  private readonly procStat: KeptOpenFile;
  private readonly onlineFile: KeptOpenFile;
  private readonly vms = new Map<number, TrackedVm>();
  private libvirtByPid: ReadonlyMap<number, LibvirtStatus> = new Map();
  private intents: ReadonlyMap<string, VmIntent> = new Map();
  private lastDiscovery = Number.NEGATIVE_INFINITY;
  private discoverEveryTickUntil = 0;
  private onlineText: string | null;
  private prevCpuTimes: readonly ProcStatCpu[] | null = null;
  private prev: { obs: HostObservation; snapshot: Snapshot } | null = null;
  private topologyReload: Promise<void> | null = null;
  private exact: ExactSource | null = null;
  private readonly discoverEveryMs: number;
  private readonly affinityEveryMs: number;
  private readonly fullEveryMs: number;
  private readonly qmpTimeoutMs: number;

  private constructor(
    private readonly opts: AgentOptions,
    private topology: HostTopology,
  ) {
    this.discovery = new ProcessDiscovery(opts.procRoot);
    this.libvirt = new LibvirtStatusDir(opts.libvirtDir, (file, err) =>
      opts.log('warn', `libvirt status ${file} could not be read: ${errorText(err)}`, `libvirt:${file}`),
    );
    this.pins = opts.pinsFile === null ? null : new PinsWatch(opts.pinsFile);
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
  }

  /** Reads the topology and the pins file; throws with a clear message when either is unusable. */
  static async create(opts: AgentOptions): Promise<Agent> {
    const topology = await readHostTopology(opts.sysRoot);
    const agent = new Agent(opts, topology);
    if (agent.pins) agent.intents = agent.pins.load();
    if (opts.exact) {
      agent.exact = ExactSource.start(opts.exact, topology.cpus.map((c) => c.cpu), opts.procRoot, opts.log);
    }
    return agent;
  }

  /** Finds the VMs and waits for their QMP identity, so the first snapshot is complete. */
  async prepare(): Promise<void> {
    const now = Date.now();
    this.discover(now);
    for (const vm of this.vms.values()) this.sampleVm(vm, now);
    await Promise.all([...this.vms.values()].map((vm) => vm.qmp.inFlight));
  }

  /** One tick. Never throws for a VM that vanished or misbehaves: that is logged and skipped. */
  sample(): Snapshot {
    const now = Date.now();
    if (now - this.lastDiscovery >= this.discoverEveryMs || now < this.discoverEveryTickUntil) {
      this.discover(now);
    }
    // The interval closes first, right before the threads' schedstat is read, so both cover it.
    const exact = this.exact?.observe();
    const observations: VmObservation[] = [];
    for (const vm of this.vms.values()) {
      const obs = this.sampleVm(vm, now);
      if (obs) observations.push(obs);
    }
    const obs: HostObservation = {
      host: this.opts.host,
      at: now,
      topology: this.topology,
      vms: observations,
      pcpus: this.readPcpuLoad(),
      mode: this.exact ? 'exact' : 'sampled',
      exact: exact ?? null,
    };
    const snapshot = buildSnapshot(obs, this.prev);
    this.prev = { obs, snapshot };
    this.exact?.follow(snapshot);
    return snapshot;
  }

  /** Resolves when in-flight QMP queries and topology reloads are done. */
  async settle(): Promise<void> {
    await Promise.all([this.topologyReload, ...[...this.vms.values()].map((vm) => vm.qmp.inFlight)]);
  }

  close(): void {
    this.exact?.close();
    this.exact = null;
    for (const vm of this.vms.values()) vm.threads.close();
    this.vms.clear();
    this.procStat.close();
    this.onlineFile.close();
  }

  private discover(now: number): void {
    this.lastDiscovery = now;
    const { log } = this.opts;
    if (this.pins) {
      const path = this.pins.path;
      this.intents = this.pins.poll((err) =>
        log('error', `pins file ${path} is invalid, keeping the previous pins: ${errorText(err)}`, 'pins'),
      );
    }
    this.libvirtByPid = this.libvirt.scan();
    const found = this.discovery.scan(now);
    const present = new Set<number>();
    for (const proc of found) {
      present.add(proc.pid);
      const known = this.vms.get(proc.pid);
      if (known) {
        known.proc = proc;
        continue;
      }
      this.vms.set(proc.pid, {
        proc,
        threads: new ProcessThreads(this.opts.procRoot, proc.pid, {
          affinityEveryMs: this.affinityEveryMs,
          fullEveryMs: this.fullEveryMs,
        }),
        qmp: { identity: null, forTidKey: null, triedAt: Number.NEGATIVE_INFINITY, inFlight: null },
        tidKey: '',
      });
      log('info', `found VM ${displayName(proc, this.libvirtByPid)} (pid ${proc.pid})`);
    }
    for (const [pid, vm] of this.vms) {
      if (!present.has(pid)) this.dropVm(vm, 'exited');
    }
    this.checkTopology();
  }

  private sampleVm(vm: TrackedVm, now: number): VmObservation | null {
    const { proc } = vm;
    const lv = this.libvirtByPid.get(proc.pid);
    let sample;
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
    this.maybeRefreshQmp(vm, now);
    const qmpIdentity = vm.qmp.identity;
    const name = lv?.domain.name ?? proc.name ?? `pid-${proc.pid}`;
    const intent = this.intents.get(name) ?? (lv ? libvirtIntent(lv) : null);
    return {
      name,
      uuid: lv?.domain.uuid ?? proc.uuid,
      pid: proc.pid,
      source: lv ? 'libvirt' : 'qemu',
      threads: sample.threads,
      vcpus: lv ? libvirtVcpus(lv) : (qmpIdentity?.vcpus ?? NONE),
      iothreads: qmpIdentity?.iothreads ?? NONE,
      intent,
      maxVcpus: lv?.domain.vcpuMax ?? proc.maxVcpus,
    };
  }

  private maybeRefreshQmp(vm: TrackedVm, now: number): void {
    const { qmp, proc } = vm;
    if (proc.qmpSockets.length === 0 || qmp.inFlight) return;
    const changed = qmp.forTidKey !== vm.tidKey;
    const failedRetryDue = qmp.identity === null && now - qmp.triedAt >= QMP_RETRY_MS;
    if (!changed && !failedRetryDue) return;
    const tidKey = vm.tidKey;
    qmp.triedAt = now;
    qmp.inFlight = this.queryQmp(proc).then(
      (identity) => {
        qmp.identity = identity;
        qmp.forTidKey = tidKey;
        if (identity === null) return;
        this.opts.log('info', `QMP identity of ${displayName(proc, this.libvirtByPid)}: ${identity.vcpus.length} vCPUs, ${identity.iothreads.length} IOThreads`, `qmp:${proc.pid}`);
      },
    ).finally(() => {
      qmp.inFlight = null;
    });
  }

  /** Tries each QMP socket of the VM; null (after logging why) when none answers. */
  private async queryQmp(proc: QemuProcess): Promise<QmpIdentity | null> {
    const reasons: string[] = [];
    for (const path of proc.qmpSockets) {
      try {
        return await fetchQmpIdentity(path, this.qmpTimeoutMs);
      } catch (err) {
        reasons.push(errorText(err));
      }
    }
    this.opts.log(
      'warn',
      `QMP identity of ${displayName(proc, this.libvirtByPid)} (pid ${proc.pid}) unavailable, matching vCPUs by thread name: ${reasons.join('; ')}`,
      `qmp:${proc.pid}`,
    );
    return null;
  }

  private dropVm(vm: TrackedVm, why: string): void {
    vm.threads.close();
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
const libvirtVcpuCache = new WeakMap<LibvirtStatus, readonly VcpuIdentity[]>();

function libvirtVcpus(lv: LibvirtStatus): readonly VcpuIdentity[] {
  let vcpus = libvirtVcpuCache.get(lv);
  if (!vcpus) {
    vcpus = lv.vcpuPids.map((v) => ({ index: v.index, tid: v.tid, source: 'libvirt' as const }));
    libvirtVcpuCache.set(lv, vcpus);
  }
  return vcpus;
}

function displayName(proc: QemuProcess, libvirtByPid: ReadonlyMap<number, LibvirtStatus>): string {
  const name = libvirtByPid.get(proc.pid)?.domain.name ?? proc.name;
  return name === null ? `pid-${proc.pid}` : JSON.stringify(name);
}

/** A libvirt domain without any pin, default cpuset or numatune is observed, not judged. */
function libvirtIntent(lv: LibvirtStatus): VmIntent | null {
  const i = lv.domain.intent;
  const empty = i.vcpupin.size === 0 && i.vcpuDefault === null && i.emulatorpin === null && i.iothreadpin.size === 0 && i.memoryNodes === null;
  return empty ? null : i;
}
