import { mkdtemp, mkdir, rm, writeFile, cp, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuToNode, normalizePackageId, parseSysCpuList, parseSysInt, readHostTopology } from './topology';

const FIX = path.join(import.meta.dirname, '../../test/fixtures/sysfs');

describe('pure helpers', () => {
  it('parseSysInt', () => {
    expect(parseSysInt('3\n', 'core_id')).toBe(3);
    expect(parseSysInt('-1\n', 'physical_package_id')).toBe(-1);
    expect(parseSysInt('65535\n', 'cluster_id')).toBe(65535);
    for (const bad of ['', '\n', 'x\n', '1.5', '1 2', '99999999999', '--1', '0x10']) {
      expect(() => parseSysInt(bad, '/sys/x/core_id')).toThrow(/\/sys\/x\/core_id: expected an integer/);
    }
  });

  it('parseSysCpuList', () => {
    expect(parseSysCpuList('0-1\n', 'online')).toEqual([0, 1]);
    expect(parseSysCpuList('\n', 'isolated')).toEqual([]);
    expect(() => parseSysCpuList('0-1,^1\n', 'online')).toThrow(/online: unexpected "\^"/);
    expect(() => parseSysCpuList('3-1\n', 'online')).toThrow(/online: invalid cpuset "3-1\\n"/);
  });

  it('normalizePackageId', () => {
    expect(normalizePackageId(-1)).toBe(0);
    expect(normalizePackageId(1)).toBe(1);
  });

  it('cpuToNode', () => {
    expect([...cpuToNode(new Map([[1, [2, 3]], [0, [0, 1]]]))]).toEqual([[0, 0], [1, 0], [2, 1], [3, 1]]);
    expect(() => cpuToNode(new Map([[0, [0, 1]], [1, [1]]]))).toThrow('cpu1 is listed in both node0 and node1');
  });
});

describe('readHostTopology on fixtures', () => {
  it('reads a 2-socket, 2-node host with SMT', async () => {
    const t = await readHostTopology(path.join(FIX, 'two-socket-smt'));
    expect(t.cpus.map((c) => c.cpu)).toEqual([...Array(16).keys()]);
    expect(t.isolated).toEqual([2, 3, 10, 11]);
    expect(t.nohzFull).toEqual([2, 3, 10, 11]);
    expect(t.cpus[0]).toEqual({ cpu: 0, socket: 0, die: 0, core: 0, node: 0, siblings: [0, 8] });
    expect(t.cpus[4]).toEqual({ cpu: 4, socket: 1, die: 0, core: 0, node: 1, siblings: [4, 12] });
    expect(t.cpus[11]).toEqual({ cpu: 11, socket: 0, die: 0, core: 3, node: 0, siblings: [3, 11] });
    expect(t.cpus[15]).toEqual({ cpu: 15, socket: 1, die: 0, core: 3, node: 1, siblings: [7, 15] });
    for (const c of t.cpus) {
      expect(c.node).toBe(c.socket);
      expect(c.siblings).toContain(c.cpu);
    }
  });

  it('reads a 2-CPU host with no node directory, no die_id and an empty isolated file', async () => {
    const t = await readHostTopology(path.join(FIX, 'single-node'));
    expect(t).toEqual({
      cpus: [
        { cpu: 0, socket: 0, die: 0, core: 0, node: 0, siblings: [0] },
        { cpu: 1, socket: 0, die: 0, core: 1, node: 0, siblings: [1] },
      ],
      isolated: [],
      nohzFull: [],
    });
  });

  it('reads the real /sys of this machine', async () => {
    const t = await readHostTopology('/sys');
    expect(t.cpus.length).toBeGreaterThanOrEqual(1);
    for (const c of t.cpus) expect(c.siblings).toContain(c.cpu);
  });
});

describe('readHostTopology on broken trees', () => {
  let tmp = '';
  afterEach(async () => {
    if (tmp !== '') await rm(tmp, { recursive: true, force: true });
    tmp = '';
  });

  /** A writable copy of a fixture tree. */
  async function copyOf(name: string): Promise<string> {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'vcpumap-sysfs-'));
    await cp(path.join(FIX, name), tmp, { recursive: true });
    return tmp;
  }

  it('says the root is wrong when cpu/online is missing', async () => {
    await expect(readHostTopology('/nonexistent-sysfs-root')).rejects.toThrow(
      /\/nonexistent-sysfs-root\/devices\/system\/cpu\/online not found: is "\/nonexistent-sysfs-root" the root of a sysfs tree/,
    );
  });

  it('treats physical_package_id -1 as socket 0', async () => {
    const root = await copyOf('single-node');
    await writeFile(path.join(root, 'devices/system/cpu/cpu1/topology/physical_package_id'), '-1\n');
    const t = await readHostTopology(root);
    expect(t.cpus[1]?.socket).toBe(0);
  });

  it('reads only online CPUs', async () => {
    const root = await copyOf('two-socket-smt');
    await writeFile(path.join(root, 'devices/system/cpu/online'), '0-7\n');
    const t = await readHostTopology(root);
    expect(t.cpus.map((c) => c.cpu)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it.each([
    ['devices/system/cpu/online', 'garbage\n', /cpu\/online: invalid cpuset "garbage\\n"/],
    ['devices/system/cpu/online', '\n', /cpu\/online lists no CPUs/],
    ['devices/system/cpu/online', '0-99999\n', /exceeds the maximum/],
    ['devices/system/cpu/isolated', '1-\n', /cpu\/isolated: invalid cpuset/],
    ['devices/system/cpu/cpu0/topology/core_id', '\n', /cpu0\/topology\/core_id: expected an integer/],
    ['devices/system/cpu/cpu0/topology/core_id', '1e400\n', /core_id: expected an integer/],
    ['devices/system/cpu/cpu1/topology/thread_siblings_list', '0\n', /does not include cpu1 itself/],
    ['devices/system/node/node0/cpulist', '0-3,8-12\n', /cpu12 is listed in both node0 and node1/],
    ['devices/system/node/node1/cpulist', '4-7,12-14\n', /cpu15 is online but in no .*nodeN\/cpulist/],
  ])('rejects bad %s %j', async (file, content, msg) => {
    const root = await copyOf('two-socket-smt');
    await writeFile(path.join(root, file), content);
    await expect(readHostTopology(root)).rejects.toThrow(msg);
  });

  it('names a missing required topology file', async () => {
    const root = await copyOf('single-node');
    await unlink(path.join(root, 'devices/system/cpu/cpu1/topology/core_id'));
    await expect(readHostTopology(root)).rejects.toThrow(/cpu1\/topology\/core_id not found/);
  });

  it('names a CPU directory that is missing entirely', async () => {
    const root = await copyOf('single-node');
    await writeFile(path.join(root, 'devices/system/cpu/online'), '0-2\n');
    await expect(readHostTopology(root)).rejects.toThrow(/cpu2\/topology\/\w+ not found/);
  });

  it('uses node 0 for all when the node directory has no nodeN entries', async () => {
    const root = await copyOf('single-node');
    await mkdir(path.join(root, 'devices/system/node'), { recursive: true });
    await writeFile(path.join(root, 'devices/system/node/online'), '0\n');
    const t = await readHostTopology(root);
    expect(t.cpus.map((c) => c.node)).toEqual([0, 0]);
  });
});
