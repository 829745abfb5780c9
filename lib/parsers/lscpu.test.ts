import { describe, expect, it } from 'vitest';
import { flatTopology, parseLscpu } from './lscpu';

const TWO_SOCKET_SMT = `# The following is the parsable format, which can be fed to other
# programs. Each different item in every column has an unique ID
# starting usually from zero.
# CPU,Core,Socket,Node,,L1d,L1i,L2,L3
0,0,0,0,,0,0,0,0
1,1,0,0,,1,1,1,0
2,0,1,1,,2,2,2,1
3,1,1,1,,3,3,3,1
4,0,0,0,,0,0,0,0
5,1,0,0,,1,1,1,0
6,0,1,1,,2,2,2,1
7,1,1,1,,3,3,3,1
`;

describe('parseLscpu', () => {
  it('reads sockets, cores, nodes and derives SMT siblings', () => {
    const t = parseLscpu(TWO_SOCKET_SMT);
    expect(t.cpus).toHaveLength(8);
    expect(t.cpus[0]).toEqual({ cpu: 0, socket: 0, die: 0, core: 0, node: 0, siblings: [0, 4] });
    expect(t.cpus[6]).toEqual({ cpu: 6, socket: 1, die: 0, core: 0, node: 1, siblings: [2, 6] });
  });

  it('follows the header column order and tolerates missing columns', () => {
    const t = parseLscpu('# Socket,CPU\n0,1\n0,0\r\n');
    expect(t.cpus.map((c) => [c.cpu, c.socket, c.node, c.core])).toEqual([[0, 0, 0, 0], [1, 0, 0, 1]]); // no Core column: no SMT known
  });

  it('rejects what is not lscpu -p output', () => {
    expect(() => parseLscpu('')).toThrow(/no CPU lines/);
    expect(() => parseLscpu('0,0,0,0')).toThrow(/before the "# CPU,Core,Socket,Node" header/);
    expect(() => parseLscpu('# CPU,Core\n0,x\n')).toThrow(/line 2: core "x"/);
    expect(() => parseLscpu('# CPU,Core\n0,0\n0,1\n')).toThrow(/CPU 0 is listed twice/);
  });

  it('builds a flat topology', () => {
    expect(flatTopology(1).cpus.map((c) => c.cpu)).toEqual([0, 1]);
  });
});

describe('parseLscpu on hostile input', () => {
  it('refuses CPU ids past the contract and cores with absurd sibling counts, sharing one list per core', () => {
    expect(() => parseLscpu('# CPU,Core\n9000,0\n')).toThrow(/cpu "9000" is not a number from 0 to 8191/);
    const oneCore = '# CPU,Core,Socket\n' + Array.from({ length: 100 }, (_, i) => `${i},0,0`).join('\n');
    expect(() => parseLscpu(oneCore)).toThrow(/more than 64 CPUs/);
    const t = parseLscpu(TWO_SOCKET_SMT);
    expect(t.cpus[0]?.siblings).toBe(t.cpus[4]?.siblings);
  });
});
