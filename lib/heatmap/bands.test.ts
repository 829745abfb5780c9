import { describe, expect, it } from 'vitest';
import { axisLabels, bandStarts, cpuBands, groupRowsByVm } from './bands';
import { topology } from '../../test/support/history-builder';
import { orderCpus, type TopologyCpu } from './timeline-cells';

describe('cpuBands', () => {
  it('gives the runs of sockets and nodes in topology order', () => {
    const cpus = topology(2, 2, 2); // one node per socket; pCPUs 0-3 first threads, 4-7 siblings
    const order = orderCpus(cpus);
    expect(order).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(cpuBands(order, cpus, 'socket')).toEqual([
      { key: 0, start: 0, end: 4 },
      { key: 1, start: 4, end: 8 },
    ]);
  });
  it('splits a socket into its NUMA nodes and puts pCPUs the topology lacks in a band of their own', () => {
    const cpus: TopologyCpu[] = [0, 1, 2, 3].map((cpu) => ({ cpu, socket: 0, node: cpu < 2 ? 0 : 1, core: cpu, siblings: [cpu] }));
    const bands = cpuBands([0, 1, 2, 3, 9], cpus, 'node');
    expect(bands).toEqual([
      { key: 0, start: 0, end: 2 },
      { key: 1, start: 2, end: 4 },
      { key: -1, start: 4, end: 5 },
    ]);
    expect(bandStarts(bands)).toEqual([2, 4]);
    expect(cpuBands([], cpus, 'node')).toEqual([]);
  });
});

describe('axisLabels', () => {
  it('labels every position when they are far enough apart', () => {
    expect(axisLabels(4, 20, 14)).toEqual([0, 1, 2, 3]);
  });
  it('labels every 2^k-th position so that labels are at least minGap apart', () => {
    expect(axisLabels(256, 3, 16)).toEqual(Array.from({ length: 32 }, (_, i) => i * 8)); // 8 x 3 px = 24 px >= 16
    expect(axisLabels(10, 7, 16)).toEqual([0, 4, 8]);
  });
  it('labels nothing on an empty axis', () => {
    expect(axisLabels(0, 3, 16)).toEqual([]);
    expect(axisLabels(5, 0, 16)).toEqual([]);
  });
});

describe('groupRowsByVm', () => {
  it('orders rows by VM name and vCPU, one group per VM', () => {
    const rows = [
      { vm: 'web', vcpu: 1, tid: 11 },
      { vm: 'db', vcpu: 0, tid: 20 },
      { vm: 'web', vcpu: 0, tid: 10 },
      { vm: 'db', vcpu: 1, tid: 21 },
      { vm: 'app', vcpu: null, tid: 30 },
    ];
    const { order, groups } = groupRowsByVm(rows);
    expect([...order]).toEqual([4, 1, 3, 2, 0]);
    expect(groups).toEqual([
      { vm: 'app', start: 0, end: 1 },
      { vm: 'db', start: 1, end: 3 },
      { vm: 'web', start: 3, end: 5 },
    ]);
  });
});
