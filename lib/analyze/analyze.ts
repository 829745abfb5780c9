// Agentless analysis: pasted `ps -eLo pid,lwp,psr,comm` (and optionally args and stat columns),
// `query-cpus-fast` output, a libvirt domain or status XML, a pins file and `lscpu -p` text become
// the same host snapshot the agent builds, through the same parsers and violation engine.
//
// What a paste cannot tell is left unknown rather than guessed: the kernel affinity (empty, so
// affinity-drift is not judged) and run-queue times (null). A thread counts as having run when
// ps shows it running (STAT R): include the stat column to have off-pin judged.
import { parseDomainXml, parseStatusXml, type LibvirtDomain } from '../libvirt/domain-xml';
import { buildSnapshot } from '../model/build-snapshot';
import type { Snapshot } from '../model/snapshot';
import type { HostObservation, HostTopology, ThreadSample, VcpuIdentity, VmIntent, VmObservation } from '../model/types';
import { flatTopology, parseLscpu } from '../parsers/lscpu';
import { parsePs, type PsRow } from '../parsers/ps';
import { parsePinsFile } from '../pins/pins-file';
import { parseQueryCpusFast } from '../qmp/replies';
import { isQemuProcess, parseQemuCmdline } from '../qemu/cmdline';

export interface AnalyzeInput {
  readonly ps: string;
  readonly queryCpusFast?: string;
  readonly libvirtXml?: string;
  readonly pins?: string;
  readonly topology?: string;
  readonly host?: string;
}

/** Thrown for input that cannot be analysed; the message names the field and the problem. */
export class AnalyzeInputError extends Error {
  constructor(field: string, detail: string) {
    super(`${field}: ${detail}`);
    this.name = 'AnalyzeInputError';
  }
}

function field<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new AnalyzeInputError(name, err instanceof Error ? err.message : String(err));
  }
}

const VCPU_NAME = /^CPU \d+\/[A-Z]+$/;

export function analyze(input: AnalyzeInput, now: number): Snapshot {
  const rows = field('ps', () => parsePs(input.ps));
  const identities = input.queryCpusFast ? field('queryCpusFast', () => parseQmpText(input.queryCpusFast ?? '')) : [];
  const libvirt = input.libvirtXml ? field('libvirtXml', () => parseLibvirt(input.libvirtXml ?? '')) : null;
  const pins = input.pins ? field('pins', () => parsePinsFile(input.pins ?? '')) : new Map<string, VmIntent>();

  const byPid = new Map<number, PsRow[]>();
  for (const r of rows) byPid.set(r.pid, [...(byPid.get(r.pid) ?? []), r]);
  const qemuPids = [...byPid.entries()].filter(([pid, threads]) => looksLikeQemu(pid, threads, identities, libvirt?.pid ?? null));
  if (qemuPids.length === 0) {
    throw new AnalyzeInputError('ps', 'no QEMU process found: paste `ps -eLo pid,lwp,psr,stat,comm,args` taken on the hypervisor');
  }

  const vms: VmObservation[] = qemuPids.map(([pid, threads]) => {
    const main = threads.find((t) => t.lwp === pid) ?? threads[0];
    const cmd = main?.args ? parseQemuCmdline(main.args.split(/\s+/)) : null;
    const tids = new Set(threads.map((t) => t.lwp));
    const vcpus: readonly VcpuIdentity[] = identities.filter((v) => tids.has(v.tid));
    const lv = libvirt && (libvirt.pid === pid || (libvirt.pid === null && (qemuPids.length === 1 || cmd?.name === libvirt.domain.name)))
      ? libvirt
      : null;
    const name = lv?.domain.name ?? cmd?.name ?? `pid-${pid}`;
    return {
      name,
      uuid: lv?.domain.uuid ?? cmd?.uuid ?? null,
      pid,
      source: lv ? 'libvirt' : 'qemu',
      threads: threads.map(threadSample),
      vcpus: vcpus.length > 0 ? vcpus : (lv?.vcpuPids.map((v) => ({ ...v, source: 'libvirt' as const })) ?? []),
      iothreads: [],
      intent: pins.get(name) ?? lv?.domain.intent ?? null,
      maxVcpus: lv?.domain.vcpuMax ?? cmd?.smp?.maxcpus ?? null,
    };
  });

  const topology: HostTopology = input.topology
    ? field('topology', () => parseLscpu(input.topology ?? ''))
    : flatTopology(Math.max(...rows.map((r) => r.psr), ...vms.flatMap((v) => pinnedCpus(v.intent))));
  const cur: HostObservation = { host: input.host ?? 'pasted', at: now, topology, vms, pcpus: [] };
  // One paste is one point in time. "Ran" comes from the STAT column: the previous observation
  // is the same threads with no CPU time, the current one gives running threads one tick.
  const before: HostObservation = { ...cur, vms: vms.map((v) => ({ ...v, threads: v.threads.map((t) => ({ ...t, utime: 0 })) })) };
  const first = buildSnapshot(before, null);
  const snap = buildSnapshot(cur, { obs: before, snapshot: first });
  return { ...snap, intervalMs: null };
}

function looksLikeQemu(pid: number, threads: readonly PsRow[], ids: readonly VcpuIdentity[], libvirtPid: number | null): boolean {
  if (pid === libvirtPid) return true;
  if (threads.some((t) => ids.some((v) => v.tid === t.lwp))) return true;
  const main = threads.find((t) => t.lwp === pid);
  const argv0 = main?.args?.split(/\s+/)[0] ?? '';
  if (main && isQemuProcess(main.comm, argv0 || main.comm)) return true;
  return threads.some((t) => VCPU_NAME.test(t.comm));
}

function threadSample(r: PsRow): ThreadSample {
  const running = r.stat?.startsWith('R') ?? false;
  return {
    tid: r.lwp,
    name: r.comm,
    state: r.stat?.[0] ?? '?',
    pcpu: r.psr,
    utime: running ? 1 : 0,
    stime: 0,
    runNs: null,
    waitNs: null,
    timeslices: null,
    affinity: [], // unknown: ps does not print it
  };
}

function parseQmpText(text: string): readonly VcpuIdentity[] {
  const json: unknown = JSON.parse(text);
  const ret = typeof json === 'object' && json !== null && 'return' in json ? json.return : json;
  return parseQueryCpusFast(ret);
}

interface PastedLibvirt {
  readonly pid: number | null;
  readonly domain: LibvirtDomain;
  readonly vcpuPids: readonly { readonly index: number; readonly tid: number }[];
}

function parseLibvirt(xml: string): PastedLibvirt {
  if (xml.includes('<domstatus')) {
    const s = parseStatusXml(xml);
    return { pid: s.pid, domain: s.domain, vcpuPids: s.vcpuPids };
  }
  return { pid: null, domain: parseDomainXml(xml), vcpuPids: [] };
}

function pinnedCpus(intent: VmIntent | null): number[] {
  if (!intent) return [];
  const lists = [...intent.vcpupin.values(), ...intent.iothreadpin.values(), intent.emulatorpin ?? [], intent.vcpuDefault ?? []];
  return lists.flat();
}

