// Host CPU topology from sysfs. readHostTopology does the I/O under a root directory (normally
// /sys, a fixture tree in tests); the parse* helpers are pure and throw on malformed content.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { CpuList, CpuTopo, HostTopology } from '../model/types';
import { parseCpuset } from '../cpuset';

/** An integer sysfs attribute such as `core_id` ("3\n"). `what` names the file in errors. */
export function parseSysInt(text: string, what: string): number {
  const t = text.trim();
  if (!/^-?[0-9]{1,10}$/.test(t)) {
    throw new Error(`${what}: expected an integer, got ${JSON.stringify(text.slice(0, 80))}`);
  }
  return Number(t);
}

/** A kernel CPU list attribute such as `online` ("0-15\n") or `isolated` ("\n" when empty). */
export function parseSysCpuList(text: string, what: string): CpuList {
  // The kernel prints plain lists; '^' is libvirt syntax and means the file is not what we think.
  if (text.includes('^')) throw new Error(`${what}: unexpected "^" in ${JSON.stringify(text.slice(0, 80))}`);
  try {
    return parseCpuset(text);
  } catch (e) {
    throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** `physical_package_id` is -1 on some virtual machines and firmware: count that as socket 0. */
export function normalizePackageId(id: number): number {
  return id < 0 ? 0 : id;
}

/** NUMA node of each CPU from the `nodeN/cpulist` files; throws when a CPU is in two nodes. */
export function cpuToNode(nodes: ReadonlyMap<number, CpuList>): ReadonlyMap<number, number> {
  const out = new Map<number, number>();
  for (const [node, cpus] of [...nodes].sort((a, b) => a[0] - b[0])) {
    for (const cpu of cpus) {
      const other = out.get(cpu);
      if (other !== undefined) throw new Error(`cpu${cpu} is listed in both node${other} and node${node}`);
      out.set(cpu, node);
    }
  }
  return out;
}

/** Reads the topology of the online CPUs under `sysRoot` (e.g. "/sys"). */
export async function readHostTopology(sysRoot: string): Promise<HostTopology> {
  const cpuDir = path.join(sysRoot, 'devices/system/cpu');
  const onlineFile = path.join(cpuDir, 'online');
  const onlineText = await readOptional(onlineFile);
  if (onlineText === null) {
    throw new Error(`${onlineFile} not found: is ${JSON.stringify(sysRoot)} the root of a sysfs tree (normally /sys)?`);
  }
  const online = parseSysCpuList(onlineText, onlineFile);
  if (online.length === 0) throw new Error(`${onlineFile} lists no CPUs`);

  const [nodeOf, isolated, nohzFull, topos] = await Promise.all([
    readNodes(path.join(sysRoot, 'devices/system/node')),
    readCpuListOrEmpty(path.join(cpuDir, 'isolated')),
    readCpuListOrEmpty(path.join(cpuDir, 'nohz_full')),
    Promise.all(online.map((cpu) => readCpu(cpuDir, cpu))),
  ]);

  const cpus: CpuTopo[] = topos.map((t) => {
    let node = 0; // no node directory: a host without NUMA information is one node
    if (nodeOf !== null) {
      const n = nodeOf.get(t.cpu);
      if (n === undefined) {
        throw new Error(`cpu${t.cpu} is online but in no ${path.join(sysRoot, 'devices/system/node')}/nodeN/cpulist`);
      }
      node = n;
    }
    return { ...t, node };
  });
  return { cpus, isolated, nohzFull };
}

async function readCpu(cpuDir: string, cpu: number): Promise<Omit<CpuTopo, 'node'>> {
  const dir = path.join(cpuDir, `cpu${cpu}`, 'topology');
  const file = (name: string): string => path.join(dir, name);
  const [pkg, die, core, siblings] = await Promise.all([
    readRequired(file('physical_package_id')),
    readOptional(file('die_id')), // absent before Linux 5.2 and on non-x86
    readRequired(file('core_id')),
    readRequired(file('thread_siblings_list')),
  ]);
  const sib = parseSysCpuList(siblings, file('thread_siblings_list'));
  if (!sib.includes(cpu)) {
    throw new Error(`${file('thread_siblings_list')}: ${JSON.stringify(siblings.trim())} does not include cpu${cpu} itself`);
  }
  return {
    cpu,
    socket: normalizePackageId(parseSysInt(pkg, file('physical_package_id'))),
    die: die === null ? 0 : Math.max(0, parseSysInt(die, file('die_id'))),
    core: parseSysInt(core, file('core_id')),
    siblings: sib,
  };
}

/** cpu -> node, or null when the kernel exposes no node directory (no NUMA support). */
async function readNodes(nodeDir: string): Promise<ReadonlyMap<number, number> | null> {
  let entries: string[];
  try {
    entries = await readdir(nodeDir);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  const ids = entries.filter((n) => /^node[0-9]+$/.test(n)).map((n) => Number(n.slice(4)));
  if (ids.length === 0) return null;
  const lists = await Promise.all(
    ids.map(async (id): Promise<[number, CpuList]> => {
      const file = path.join(nodeDir, `node${id}`, 'cpulist');
      return [id, parseSysCpuList(await readRequired(file), file)];
    }),
  );
  return cpuToNode(new Map(lists));
}

/** isolated and nohz_full: a missing file (older kernel, no nohz support) means none. */
async function readCpuListOrEmpty(file: string): Promise<CpuList> {
  const text = await readOptional(file);
  return text === null ? [] : parseSysCpuList(text, file);
}

async function readRequired(file: string): Promise<string> {
  const text = await readOptional(file);
  if (text === null) throw new Error(`${file} not found: the sysfs tree is incomplete`);
  return text;
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

function isNotFound(e: unknown): boolean {
  return e instanceof Error && 'code' in e && e.code === 'ENOENT';
}
