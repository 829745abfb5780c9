// Agentless analysis: pasted `ps -eLo pid,lwp,psr,comm` (and optionally args and stat columns),
// `query-cpus-fast` output, a libvirt domain or status XML, a pins file and `lscpu -p` text become
// the same host snapshot the agent builds, through the same parsers and violation engine.
//
// What a paste cannot tell is left unknown rather than guessed: the kernel affinity (empty, so
// affinity-drift is not judged) and run-queue times (null); the snapshot says so in `unobserved`.
// A thread counts as having run when ps shows it running (STAT R): include the stat column to
// have off-pin judged.
//
// The text is hostile (anyone may paste anything up to the body limit), so every step is linear
// in its size and bounded: no per-row copies, no spreads of unbounded arrays into calls, CPU lists
// bounded in total (withCpuBudget), counts held to the snapshot contract's bounds. The server runs
// this in a worker with a time and memory budget besides (analyze-pool.ts).
import { withCpuBudget } from '../cpuset';
import { parseDomainXml, parseStatusXml, type LibvirtDomain } from '../libvirt/domain-xml';
import { buildSnapshot } from '../model/build-snapshot';
import type { Snapshot } from '../model/snapshot';
import type { HostObservation, HostTopology, ThreadSample, VcpuIdentity, VmIntent, VmObservation } from '../model/types';
import { flatTopology, parseLscpu } from '../parsers/lscpu';
import { parsePs, type PsRow } from '../parsers/ps';
import { parsePinsFile } from '../pins/pins-file';
import { parseQueryCpusFast } from '../qmp/replies';
import { isQemuProcess, parseQemuCmdline, type QemuCmdline } from '../qemu/cmdline';

export interface AnalyzeInput {
  readonly ps: string;
  readonly queryCpusFast?: string;
  readonly libvirtXml?: string;
  readonly pins?: string;
  readonly topology?: string;
  readonly host?: string;
}

export type AnalyzeField = 'ps' | 'queryCpusFast' | 'libvirtXml' | 'pins' | 'topology';

/** Thrown for input that cannot be analysed: every field that could not be read, each with why. */
export class AnalyzeInputError extends Error {
  readonly fields: Readonly<Partial<Record<AnalyzeField, string>>>;
  constructor(problems: Readonly<Partial<Record<AnalyzeField, string>>>) {
    super(
      Object.entries(problems)
        .map(([f, detail]) => `${f}: ${detail}`)
        .join('\n'),
    );
    this.name = 'AnalyzeInputError';
    this.fields = problems;
  }
}

/** The snapshot contract's bounds (lib/wire/schema.ts): a paste past them is refused. */
const MAX_CPU = 8191;
const MAX_VMS = 4096;
const MAX_THREADS_PER_VM = 65_536;
/** CPU ids all the pasted CPU lists (pins file, libvirt XML) may name together: 8 MiB of numbers. */
const MAX_CPU_IDS = 1 << 20;

const VCPU_NAME = /^CPU \d+\/[A-Z]+$/;

export function analyze(input: AnalyzeInput, now: number): Snapshot {
  return withCpuBudget(MAX_CPU_IDS, () => analyzeWithin(input, now));
}

function analyzeWithin(input: AnalyzeInput, now: number): Snapshot {
  // Every field is read, so that one answer names every field that cannot be read.
  const problems: Partial<Record<AnalyzeField, string>> = {};
  const field = <T>(name: AnalyzeField, text: string | undefined, parse: (text: string) => T): T | null => {
    if (text === undefined || text.trim() === '') return null;
    try {
      return parse(text);
    } catch (err) {
      problems[name] = err instanceof Error ? err.message : String(err);
      return null;
    }
  };
  const rows = field('ps', input.ps, parsePs);
  if (rows !== null && rows.length === 0) problems.ps = 'no process lines under the header';
  const identities = field('queryCpusFast', input.queryCpusFast, parseQmpText) ?? [];
  const libvirt = field('libvirtXml', input.libvirtXml, parseLibvirt);
  const pins = field('pins', input.pins, (t) => parsePinsFile(t)) ?? new Map<string, VmIntent>();
  const pastedTopology = field('topology', input.topology, parseLscpu);
  if (rows === null || Object.keys(problems).length > 0) {
    if (rows === null && problems.ps === undefined) problems.ps = 'paste the output of `ps -eLo pid,lwp,psr,stat,comm,args`';
    throw new AnalyzeInputError(problems);
  }

  const byPid = new Map<number, PsRow[]>();
  let maxPsr = 0;
  for (const r of rows) {
    const threads = byPid.get(r.pid);
    if (threads === undefined) byPid.set(r.pid, [r]);
    else threads.push(r);
    if (r.psr > MAX_CPU) fail('ps', `PSR ${r.psr} of thread ${r.lwp} is not a CPU id (0 to ${MAX_CPU})`);
    if (r.psr > maxPsr) maxPsr = r.psr;
  }
  const identityTids = new Set(identities.map((v) => v.tid));
  const qemu = [...byPid.entries()].filter(([pid, threads]) => looksLikeQemu(pid, threads, identityTids, libvirt?.pid ?? null));
  if (qemu.length === 0) {
    fail('ps', 'no QEMU process found: paste `ps -eLo pid,lwp,psr,stat,comm,args` taken on the hypervisor');
  }
  if (qemu.length > MAX_VMS) fail('ps', `${qemu.length} QEMU processes; at most ${MAX_VMS} can be analysed at once`);

  // Identities by the process their thread belongs to, in one pass.
  const pidOfTid = new Map<number, number>();
  for (const [pid, threads] of qemu) {
    if (threads.length > MAX_THREADS_PER_VM) fail('ps', `process ${pid} has ${threads.length} threads; at most ${MAX_THREADS_PER_VM}`);
    for (const t of threads) pidOfTid.set(t.lwp, pid);
  }
  const identitiesByPid = new Map<number, VcpuIdentity[]>();
  for (const v of identities) {
    const pid = pidOfTid.get(v.tid);
    if (pid === undefined) continue;
    const list = identitiesByPid.get(pid);
    if (list === undefined) identitiesByPid.set(pid, [v]);
    else list.push(v);
  }
  if (identities.length > 0 && identitiesByPid.size === 0) {
    fail('queryCpusFast', 'none of its thread-ids is a thread of a QEMU process in the ps paste: were both taken on the same host at the same time?');
  }

  const cmdlines = new Map<number, QemuCmdline | null>();
  for (const [pid, threads] of qemu) cmdlines.set(pid, commandLine(pid, threads));
  let libvirtUsed = false;
  const vms: VmObservation[] = qemu.map(([pid, threads]) => {
    const cmd = cmdlines.get(pid) ?? null;
    const vcpus: readonly VcpuIdentity[] = identitiesByPid.get(pid) ?? [];
    const lv = libvirt && (libvirt.pid === pid || (libvirt.pid === null && (qemu.length === 1 || cmd?.name === libvirt.domain.name)))
      ? libvirt
      : null;
    if (lv) libvirtUsed = true;
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
  if (libvirt && !libvirtUsed) {
    fail(
      'libvirtXml',
      libvirt.pid === null
        ? `domain ${JSON.stringify(libvirt.domain.name)} is not the -name of any QEMU process in the ps paste`
        : `the status XML is of QEMU pid ${libvirt.pid}, which is not in the ps paste`,
    );
  }

  let maxCpu = maxPsr;
  for (const vm of vms) maxCpu = Math.max(maxCpu, highestPinned(vm.intent));
  const topology: HostTopology = pastedTopology ?? flatTopology(maxCpu);
  const cur: HostObservation = { host: input.host ?? 'pasted', at: now, topology, vms, pcpus: [] };
  // One paste is one point in time. "Ran" comes from the STAT column: the previous observation
  // is the same threads with no CPU time, the current one gives running threads one tick. The
  // previous snapshot is empty: nothing to reuse, no violation seen before.
  const before: HostObservation = { ...cur, vms: vms.map((v) => ({ ...v, threads: v.threads.map((t) => ({ ...t, utime: 0 })) })) };
  const empty: Snapshot = { version: 1, host: cur.host, at: now, intervalMs: null, topology: { cpus: [], isolated: [], nohzFull: [] }, vms: [], violations: [] };
  const snap = buildSnapshot(cur, { obs: before, snapshot: empty });
  return { ...snap, intervalMs: null, unobserved: ['affinity', 'runQueue'] };
}

function fail(name: AnalyzeField, detail: string): never {
  throw new AnalyzeInputError({ [name]: detail });
}

function looksLikeQemu(pid: number, threads: readonly PsRow[], identityTids: ReadonlySet<number>, libvirtPid: number | null): boolean {
  if (pid === libvirtPid) return true;
  let main: PsRow | undefined;
  for (const t of threads) {
    if (identityTids.has(t.lwp)) return true;
    if (t.lwp === pid) main = t;
  }
  const argv0 = main?.args?.split(/\s+/, 1)[0] ?? '';
  if (main && isQemuProcess(main.comm, argv0 || main.comm)) return true;
  return threads.some((t) => VCPU_NAME.test(t.comm));
}

/** The QEMU command line of the process, when ps printed its args; a broken one is named. */
function commandLine(pid: number, threads: readonly PsRow[]): QemuCmdline | null {
  const main = threads.find((t) => t.lwp === pid) ?? threads[0];
  if (!main?.args) return null;
  try {
    return parseQemuCmdline(main.args.split(/\s+/));
  } catch (err) {
    return fail('ps', `command line of process ${pid}: ${err instanceof Error ? err.message : String(err)}`);
  }
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
    affinity: [], // unknown: ps does not print it (the snapshot's `unobserved` says so)
  };
}

function parseQmpText(text: string): readonly VcpuIdentity[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON (${err instanceof Error ? err.message : String(err)}): paste the reply of {"execute":"query-cpus-fast"}`);
  }
  if (typeof json === 'object' && json !== null && 'error' in json) {
    const desc = typeof json.error === 'object' && json.error !== null && 'desc' in json.error ? String(json.error.desc) : JSON.stringify(json.error);
    throw new Error(`the reply is a QMP error, not the vCPU list: ${desc.slice(0, 200)}`);
  }
  const ret = typeof json === 'object' && json !== null && 'return' in json ? json.return : json;
  const ids = parseQueryCpusFast(ret);
  if (ids.length === 0) throw new Error('the reply lists no vCPU');
  return ids;
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

/** The highest CPU any pin of the intent names (its lists are sorted), or 0. */
function highestPinned(intent: VmIntent | null): number {
  if (!intent) return 0;
  let max = 0;
  const see = (cpus: readonly number[] | null): void => {
    const last = cpus?.[cpus.length - 1];
    if (last !== undefined && last > max) max = last;
  };
  for (const l of intent.vcpupin.values()) see(l);
  for (const l of intent.iothreadpin.values()) see(l);
  see(intent.emulatorpin);
  see(intent.vcpuDefault);
  return max;
}
