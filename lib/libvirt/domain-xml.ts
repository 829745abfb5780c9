// libvirt domain XML (`virsh dumpxml`, /etc/libvirt/qemu/NAME.xml) and domain status XML
// (/run/libvirt/qemu/NAME.xml: <domstatus> wrapping the live <domain>) -> plain values. No I/O.
// Only what vcpumap needs is read; everything else (devices, the large <qemuCaps>) is ignored.

import * as z from 'zod/mini';
import '../zod-en';
import { parseCpuset } from '../cpuset';
import { schedIntentOf } from '../model/sched-policy';
import type { CpuList, SchedIntent, VmIntent } from '../model/types';
import { parseQemuArgs } from '../qemu/cmdline';
import { attr, child, children, parseXml, requiredAttr, requiredChild, type XmlElement } from './xml-tree';

export interface LibvirtTopology {
  readonly sockets: number;
  readonly dies: number; // 1 when libvirt does not write dies= (before 6.1)
  readonly cores: number; // per die
  readonly threads: number; // per core
}

export interface LibvirtDomain {
  readonly name: string;
  readonly uuid: string | null; // lowercase 8-4-4-4-12; null in hand-written XML without <uuid>
  readonly id: number | null; // libvirt domain id of a running domain, null when inactive
  readonly type: string; // hypervisor: "kvm", "qemu" (TCG), ...
  readonly vcpuMax: number; // <vcpu>N</vcpu>
  readonly vcpuCurrent: number; // <vcpu current=>; vcpuMax when absent
  readonly vcpuCpuset: CpuList | null; // <vcpu cpuset=>
  readonly intent: VmIntent;
  readonly topology: LibvirtTopology | null; // <cpu><topology>
  readonly iothreads: number; // <iothreads> count
  /** Unix sockets of extra QMP monitors from <qemu:commandline>; libvirt's own one is always busy. */
  readonly extraQmpSockets: readonly string[];
}

export interface LibvirtStatus {
  readonly state: string; // e.g. "running", "paused"
  readonly reason: string; // e.g. "booted", "migrated"
  readonly pid: number; // QEMU process id
  readonly monitorPath: string | null; // libvirt's QMP socket (busy while libvirtd runs); null if not unix
  /** vCPU threads libvirt knows, ascending by index; only online vCPUs are listed. */
  readonly vcpuPids: readonly { readonly index: number; readonly tid: number }[];
  readonly domain: LibvirtDomain;
}

const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';

/** Parses a domain XML document (root <domain>). */
export function parseDomainXml(xml: string): LibvirtDomain {
  const root = parseXml(xml, 'libvirt domain XML');
  if (root.name === 'domstatus') throw new Error('libvirt domain XML: got a <domstatus> document, use parseStatusXml');
  if (root.name !== 'domain') throw new Error(`libvirt domain XML: root element is <${root.name}>, expected <domain>`);
  return domainFrom(root);
}

/** Parses a domain status XML document (root <domstatus> with the live <domain> inside). */
export function parseStatusXml(xml: string): LibvirtStatus {
  const root = parseXml(xml, 'libvirt status XML');
  if (root.name !== 'domstatus') throw new Error(`libvirt status XML: root element is <${root.name}>, expected <domstatus>`);
  const domain = child(root, 'domain');
  if (!domain) throw new Error('libvirt status XML: <domstatus> has no <domain> child');
  const monitor = child(root, 'monitor');
  const monitorType = monitor ? attr(monitor, 'type') : null;
  const vcpusEl = child(root, 'vcpus');
  const vcpuPids = (vcpusEl ? children(vcpusEl, 'vcpu') : []).map((v) => ({
    index: intAttr(v, 'id', 0),
    tid: intAttr(v, 'pid', 1),
  }));
  rejectDuplicateIndexes(vcpuPids.map((v) => v.index), 'domstatus/vcpus/vcpu', 'id');
  return {
    state: requiredAttr(root, 'state'),
    reason: requiredAttr(root, 'reason'),
    pid: intAttr(root, 'pid', 1),
    monitorPath: monitor && (monitorType === null || monitorType === 'unix') ? requiredAttr(monitor, 'path') : null,
    vcpuPids: vcpuPids.sort((a, b) => a.index - b.index),
    domain: domainFrom(domain),
  };
}

function domainFrom(dom: XmlElement): LibvirtDomain {
  const vcpu = child(dom, 'vcpu');
  // libvirt's default when <vcpu> is missing is one vCPU.
  const vcpuMax = vcpu ? intText(vcpu, 1) : 1;
  const vcpuCurrent = vcpu && attr(vcpu, 'current') !== null ? intAttr(vcpu, 'current', 1) : vcpuMax;
  if (vcpuCurrent > vcpuMax) {
    throw new Error(`libvirt XML: ${vcpu?.path ?? 'domain/vcpu'} has current=${vcpuCurrent} above the maximum ${vcpuMax}`);
  }
  const vcpuCpuset = vcpu ? optionalCpuset(vcpu, 'cpuset') : null;
  const cpu = child(dom, 'cpu');
  const iothreadsEl = child(dom, 'iothreads');
  const iothreadIds = child(dom, 'iothreadids');
  return {
    name: requiredChild(dom, 'name').text,
    uuid: uuidOf(child(dom, 'uuid')),
    id: idOf(dom),
    type: requiredAttr(dom, 'type'),
    vcpuMax,
    vcpuCurrent,
    vcpuCpuset,
    intent: intentOf(dom, vcpuMax, vcpuCpuset),
    topology: topologyOf(cpu),
    iothreads: iothreadsEl ? intText(iothreadsEl, 0) : iothreadIds ? children(iothreadIds, 'iothread').length : 0,
    extraQmpSockets: qmpSocketsOf(qemuArgs(dom)),
  };
}

/** Running domains have id >= 1; inactive ones have none (libvirt uses -1 internally). */
function idOf(dom: XmlElement): number | null {
  if (attr(dom, 'id') === null) return null;
  const id = intAttr(dom, 'id', -1);
  return id === -1 ? null : id;
}

function intentOf(dom: XmlElement, vcpuMax: number, vcpuCpuset: CpuList | null): VmIntent {
  const cputune = child(dom, 'cputune');
  const vcpupin = new Map<number, CpuList>();
  const iothreadpin = new Map<number, CpuList>();
  let emulatorpin: CpuList | null = null;
  if (cputune) {
    for (const pin of children(cputune, 'vcpupin')) {
      const index = intAttr(pin, 'vcpu', 0);
      if (index >= vcpuMax) throw new Error(`libvirt XML: ${pin.path} pins vCPU ${index} but the domain has only ${vcpuMax}`);
      if (vcpupin.has(index)) throw new Error(`libvirt XML: ${pin.path} pins vCPU ${index} a second time`);
      vcpupin.set(index, cpusetAttr(pin, 'cpuset'));
    }
    for (const pin of children(cputune, 'iothreadpin')) {
      const id = intAttr(pin, 'iothread', 1);
      if (iothreadpin.has(id)) throw new Error(`libvirt XML: ${pin.path} pins IOThread ${id} a second time`);
      iothreadpin.set(id, cpusetAttr(pin, 'cpuset'));
    }
    const emu = child(cputune, 'emulatorpin');
    if (emu) emulatorpin = cpusetAttr(emu, 'cpuset');
  }
  const numatune = child(dom, 'numatune');
  const memory = numatune ? child(numatune, 'memory') : null;
  return {
    source: 'libvirt',
    vcpupin,
    vcpuDefault: vcpuCpuset,
    // libvirt puts emulator threads on <vcpu cpuset> when there is no <emulatorpin>.
    emulatorpin: emulatorpin ?? vcpuCpuset,
    iothreadpin,
    dedicated: false, // libvirt has no such notion; only a pins file can say so
    // nodeset is absent with placement='auto' (numad decides at run time).
    memoryNodes: memory ? optionalCpuset(memory, 'nodeset') : null,
    guestCells: guestCellsOf(child(dom, 'cpu'), vcpuMax),
    vcpusched: cputune ? vcpuschedOf(cputune, vcpuMax) : new Map(),
  };
}

/** `<vcpusched vcpus='0-3,^2' scheduler='fifo' priority='1'/>`: vCPU index -> policy; no overlaps. */
function vcpuschedOf(cputune: XmlElement, vcpuMax: number): ReadonlyMap<number, SchedIntent> {
  const out = new Map<number, SchedIntent>();
  for (const el of children(cputune, 'vcpusched')) {
    const where = `libvirt XML: ${el.path}`;
    const priority = attr(el, 'priority') === null ? null : intAttr(el, 'priority', 0);
    const want = schedIntentOf(requiredAttr(el, 'scheduler'), priority, where);
    for (const index of cpusetAttr(el, 'vcpus', vcpuMax - 1)) {
      if (out.has(index)) throw new Error(`${where} sets the scheduler of vCPU ${index} a second time`);
      out.set(index, want);
    }
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** Cells in id order; libvirt requires ids 0..N-1. A cell without cpus= is memory-only. */
function guestCellsOf(cpu: XmlElement | null, vcpuMax: number): readonly CpuList[] {
  const numa = cpu ? child(cpu, 'numa') : null;
  if (!numa) return [];
  const cells = children(numa, 'cell').map((c, i) => ({
    id: attr(c, 'id') === null ? i : intAttr(c, 'id', 0),
    cpus: optionalCpuset(c, 'cpus', vcpuMax - 1) ?? [],
    path: c.path,
  }));
  cells.sort((a, b) => a.id - b.id);
  cells.forEach((c, i) => {
    if (c.id !== i) throw new Error(`libvirt XML: ${c.path} has id ${c.id}; NUMA cell ids must be 0..${cells.length - 1}, each once`);
  });
  return cells.map((c) => c.cpus);
}

function topologyOf(cpu: XmlElement | null): LibvirtTopology | null {
  const t = cpu ? child(cpu, 'topology') : null;
  if (!t) return null;
  return {
    sockets: intAttr(t, 'sockets', 1),
    dies: attr(t, 'dies') === null ? 1 : intAttr(t, 'dies', 1),
    cores: intAttr(t, 'cores', 1),
    threads: intAttr(t, 'threads', 1),
  };
}

function qmpSocketsOf(args: readonly string[]): readonly string[] {
  try {
    return parseQemuArgs(args).qmpSockets;
  } catch (err) {
    throw new Error(`libvirt XML: <qemu:commandline>: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Values of <qemu:arg value=...> in order, whatever prefix the document binds to the qemu namespace. */
function qemuArgs(dom: XmlElement): readonly string[] {
  let prefix = 'qemu';
  for (const [name, value] of dom.attrs) if (name.startsWith('xmlns:') && value === QEMU_NS) prefix = name.slice('xmlns:'.length);
  return children(dom, `${prefix}:commandline`).flatMap((cl) => children(cl, `${prefix}:arg`).map((a) => requiredAttr(a, 'value')));
}

const uuidSchema = z.pipe(
  z
    .pipe(
      z.string().check(z.regex(/^[0-9a-fA-F-]+$/, 'not a UUID')),
      z.transform((s: string) => s.replaceAll('-', '').toLowerCase()),
    )
    .check(z.refine((hex) => hex.length === 32, 'a UUID has 32 hex digits')),
  z.transform((h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`),
);

function uuidOf(el: XmlElement | null): string | null {
  return el ? check(uuidSchema, el.text, el.path) : null;
}

/** Decimal integers as libvirt writes them; 9 digits max keeps them exact and below 2^31. */
const decimal = z.pipe(z.string().check(z.regex(/^-?[0-9]{1,9}$/, 'expected a decimal integer')), z.transform(Number));

function intAttr(el: XmlElement, name: string, min: number): number {
  return checkMin(check(decimal, requiredAttr(el, name), `${el.path}/@${name}`), min, `${el.path}/@${name}`);
}

function intText(el: XmlElement, min: number): number {
  return checkMin(check(decimal, el.text, el.path), min, el.path);
}

function checkMin(n: number, min: number, path: string): number {
  if (n < min) throw new Error(`libvirt XML: ${path} is ${n}, must be at least ${min}`);
  return n;
}

function check<T>(schema: z.ZodMiniType<T, string>, value: string, path: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new Error(`libvirt XML: ${path} is ${JSON.stringify(value.slice(0, 80))}: ${r.error.issues.map((i) => i.message).join('; ')}`);
}

/** A required cpuset/nodeset attribute; empty is an error (libvirt refuses it too). */
function cpusetAttr(el: XmlElement, name: string, maxCpu?: number): CpuList {
  const text = requiredAttr(el, name);
  let cpus: CpuList;
  try {
    cpus = parseCpuset(text, maxCpu === undefined ? {} : { maxCpu });
  } catch (err) {
    throw new Error(`libvirt XML: ${el.path}/@${name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (cpus.length === 0) throw new Error(`libvirt XML: ${el.path}/@${name} ${JSON.stringify(text)} selects no CPU`);
  return cpus;
}

function optionalCpuset(el: XmlElement, name: string, maxCpu?: number): CpuList | null {
  return attr(el, name) === null ? null : cpusetAttr(el, name, maxCpu);
}

function rejectDuplicateIndexes(indexes: readonly number[], path: string, name: string): void {
  const seen = new Set<number>();
  for (const i of indexes) {
    if (seen.has(i)) throw new Error(`libvirt status XML: ${path} lists ${name}=${i} twice`);
    seen.add(i);
  }
}
