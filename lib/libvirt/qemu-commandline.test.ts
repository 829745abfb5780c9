import { describe, expect, it } from 'vitest';
import { qmpSocketsFromArgs } from './qemu-commandline';

describe('qmpSocketsFromArgs', () => {
  it('reads the -qmp of probe3-tcg.xml', () => {
    expect(qmpSocketsFromArgs(['-qmp', 'unix:/run/qmp-extra/probe3-qmp2.sock,server=on,wait=off'])).toEqual([
      '/run/qmp-extra/probe3-qmp2.sock',
    ]);
  });

  it('accepts --qmp, -qmp-pretty, legacy bare "server", ",," escapes, and drops duplicates', () => {
    expect(
      qmpSocketsFromArgs([
        '-name', 'x',
        '--qmp', 'unix:/a,server,nowait',
        '-qmp-pretty', 'unix:/b,,c,server=yes',
        '-qmp', 'unix:/a,server=on',
      ]),
    ).toEqual(['/a', '/b,c']);
  });

  it('reads a -chardev socket used by a control -mon', () => {
    expect(
      qmpSocketsFromArgs([
        '-chardev', 'socket,id=m1,path=/run/m1.sock,server=on,wait=off',
        '-chardev', 'socket,id=hmp,path=/run/hmp.sock,server=on',
        '-mon', 'chardev=m1,mode=control',
        '-mon', 'chardev=hmp', // readline (HMP) is the default mode
        '-mon', 'nosuch,mode=control',
      ]),
    ).toEqual(['/run/m1.sock']);
  });

  it('leaves out sockets QEMU does not listen on', () => {
    expect(
      qmpSocketsFromArgs([
        '-qmp', 'unix:/client-mode.sock', // QEMU connects out
        '-qmp', 'unix:/off.sock,server=off',
        '-qmp', 'tcp:127.0.0.1:4444,server=on',
        '-qmp', 'stdio',
        '-chardev', 'socket,id=c,path=/c.sock',
        '-mon', 'chardev=c,mode=control',
      ]),
    ).toEqual([]);
  });

  it('rejects an option without its value', () => {
    expect(() => qmpSocketsFromArgs(['-qmp'])).toThrow('QEMU argument -qmp is the last one: its value is missing');
    expect(() => qmpSocketsFromArgs(['--mon'])).toThrow(/-mon is the last one/);
  });

  it('is not fooled by hostile option keys', () => {
    expect(qmpSocketsFromArgs(['-qmp', 'unix:/p,__proto__=x,server=on'])).toEqual(['/p']);
    expect(qmpSocketsFromArgs(['-chardev', 'socket,id=__proto__,path=/q,server', '-mon', '__proto__,mode=control'])).toEqual(['/q']);
  });
});
