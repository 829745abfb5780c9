import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isQemuProcess, parseQemuArgs, parseQemuBool, parseQemuCmdline, splitQemuOpts } from './cmdline';

const FIX = path.join(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');

/** argv of the QEMU process in a captured ps listing (no argument there contains a space). */
function fixtureArgv(file: string): string[] {
  const text = readFileSync(path.join(FIX, file), 'utf8');
  const m = /\/usr\/bin\/qemu-system-x86_64 .*$/m.exec(text);
  if (!m) throw new Error(`no QEMU command line in ${file}`);
  return m[0].trimEnd().split(' ');
}

/** argv as read from /proc/PID/cmdline: NUL-separated with a trailing NUL. */
const fromProc = (...args: string[]): string[] => `${args.join('\0')}\0`.split('\0');

describe('parseQemuCmdline on libvirt-started guests', () => {
  it('probe1 (KVM, libvirt monitor passed as fd)', () => {
    expect(parseQemuCmdline(fixtureArgv('probe1.ps.txt'))).toEqual({
      name: 'probe1',
      uuid: '2e3e9521-1ce8-4f73-aefa-04f25acf84ec',
      smp: { cpus: 2, maxcpus: 4, sockets: 2, dies: 1, cores: 2, threads: 1 },
      qmpSockets: [], // -chardev socket,id=charmonitor,fd=28: libvirt's own, no path
      debugThreads: true,
      accel: 'kvm',
      daemonize: false,
    });
  });

  it('probe3 (TCG) with an extra -qmp socket', () => {
    const c = parseQemuCmdline(fixtureArgv('probe3.ps.txt'));
    expect(c).toMatchObject({
      name: 'probe3',
      uuid: 'a5b4d923-ba12-4b31-9ca5-59ad5ba6fdea',
      smp: { cpus: 2, maxcpus: 4 },
      accel: 'tcg',
      debugThreads: true,
    });
    expect(c.qmpSockets).toEqual(['/run/qmp-extra/probe3-qmp2.sock']);
  });

  it('accepts the trailing empty string left by splitting /proc/PID/cmdline', () => {
    const c = parseQemuCmdline(fromProc('qemu-system-x86_64', '-name', 'vm1'));
    expect(c.name).toBe('vm1');
  });
});

describe('parseQemuCmdline options', () => {
  const q = (...args: string[]) => parseQemuCmdline(['qemu-system-x86_64', ...args]);

  it('-name forms', () => {
    expect(q('-name', 'plain').name).toBe('plain');
    expect(q('-name', 'web,process=qemu-web')).toMatchObject({ name: 'web', debugThreads: false });
    expect(q('-name', 'guest=a,,b,debug-threads=on')).toMatchObject({ name: 'a,b', debugThreads: true });
    expect(q('-name', 'a,,,,b').name).toBe('a,,b');
    expect(q('--name', 'guest=dashed').name).toBe('dashed');
    expect(q('-name', 'guest=x,debug-threads=off').debugThreads).toBe(false);
    expect(q().name).toBeNull();
  });

  it('-smp forms', () => {
    expect(q('-smp', '4').smp).toEqual({ cpus: 4, maxcpus: 4 });
    expect(q('-smp', 'cpus=2').smp).toEqual({ cpus: 2, maxcpus: 2 });
    expect(q('-smp', '2,maxcpus=8').smp).toEqual({ cpus: 2, maxcpus: 8 });
    expect(q('-smp', 'sockets=2,cores=2,threads=2').smp).toEqual({ cpus: 8, maxcpus: 8, sockets: 2, cores: 2, threads: 2 });
    expect(q('-smp', '2,sockets=1,cores=4,threads=1').smp).toEqual({ cpus: 2, maxcpus: 4, sockets: 1, cores: 4, threads: 1 });
    expect(q('-smp', '4,clusters=2').smp).toEqual({ cpus: 4, maxcpus: 4, clusters: 2 });
    expect(q('-smp', 'maxcpus=6').smp).toEqual({ cpus: 6, maxcpus: 6 });
    expect(q('-smp', '2', '-smp', 'maxcpus=4').smp).toEqual({ cpus: 2, maxcpus: 4 }); // options merge
    expect(q().smp).toBeNull();
  });

  it('-qmp sockets in both syntaxes, only when QEMU is the server', () => {
    expect(q('-qmp', 'unix:/a.sock,server=on,wait=off').qmpSockets).toEqual(['/a.sock']);
    expect(q('-qmp', 'unix:/b.sock,server,nowait').qmpSockets).toEqual(['/b.sock']);
    expect(q('-qmp-pretty', 'unix:/c,,d.sock,server').qmpSockets).toEqual(['/c,d.sock']);
    expect(q('-qmp', 'unix:/client.sock').qmpSockets).toEqual([]); // QEMU connects out
    expect(q('-qmp', 'tcp:127.0.0.1:4444,server=on').qmpSockets).toEqual([]);
    expect(q('-qmp', 'unix:/a.sock,server', '-qmp', 'unix:/a.sock,server').qmpSockets).toEqual(['/a.sock']);
  });

  it('-chardev + -mon: only control-mode monitors on a socket path count', () => {
    const c = q(
      '-chardev', 'socket,id=qmp1,path=/run/q1.sock,server=on,wait=off',
      '-mon', 'chardev=qmp1,mode=control',
      '-chardev', 'socket,id=hmp,path=/run/hmp.sock,server=on,wait=off',
      '-mon', 'chardev=hmp,mode=readline',
      '-chardev', 'socket,id=dflt,path=/run/dflt.sock,server=on',
      '-mon', 'dflt', // default mode is readline (HMP)
      '-chardev', 'socket,id=charmonitor,fd=28,server=on,wait=off',
      '-mon', 'chardev=charmonitor,id=monitor,mode=control',
      '-chardev', 'socket,id=client,path=/run/client.sock',
      '-mon', 'chardev=client,mode=control',
      '-chardev', 'socket,id=abs,path=abstract-name,abstract=on,server=on',
      '-mon', 'chardev=abs,mode=control',
      '-mon', 'chardev=missing,mode=control',
    );
    expect(c.qmpSockets).toEqual(['/run/q1.sock']);
    // -mon before -chardev works too: QEMU creates chardevs first
    expect(q('-mon', 'chardev=m,mode=control', '--chardev', 'socket,path=/m.sock,id=m,server,nowait').qmpSockets).toEqual(['/m.sock']);
  });

  it('accelerator', () => {
    expect(q('-accel', 'tcg,thread=multi').accel).toBe('tcg');
    expect(q('-accel', 'kvm').accel).toBe('kvm');
    expect(q('-accel', 'kvm', '-accel', 'tcg').accel).toBe('kvm'); // fallback list: first wins
    expect(q('-machine', 'pc,accel=kvm').accel).toBe('kvm');
    expect(q('-M', 'q35,accel=kvm:tcg').accel).toBe('kvm');
    expect(q('-enable-kvm').accel).toBe('kvm');
    expect(q('-machine', 'pc').accel).toBeNull();
    expect(q().accel).toBeNull();
  });

  it('skips values of options it does not read, even ones that look like options', () => {
    const c = q('-S', '-m', '64', '-append', '-name evil', '-object', '{"qom-type":"iothread","id":"iothread1"}', '-name', 'ok');
    expect(c.name).toBe('ok');
  });
});

describe('parseQemuCmdline hostile input', () => {
  it.each([
    [[], /empty/],
    [[''], /empty/],
    [['qemu', '-name'], /-name has no argument/],
    [['qemu', '-smp', '0'], /cpus="0" is not a positive integer/],
    [['qemu', '-smp', 'x'], /cpus="x"/],
    [['qemu', '-smp', '99999999999'], /cpus="99999999999"/],
    [['qemu', '-smp', '4,maxcpus=2'], /cpus=4 is more than maxcpus=2/],
    [['qemu', '-uuid', 'not-a-uuid'], /-uuid "not-a-uuid": not a UUID/],
    [['qemu', '-name', 'guest=x,debug-threads=maybe'], /"maybe" is not a QEMU boolean/],
    [['qemu', '-qmp', 'unix:/a,server=perhaps'], /"perhaps" is not a QEMU boolean/],
    [['qemu', '-qmp', 'unix:,server'], /empty unix socket path/],
    [['qemu', '-smp', '2,,'], /cpus="2,"/],
  ])('rejects %j', (argv, msg) => {
    expect(() => parseQemuCmdline(argv)).toThrow(msg);
  });
});

describe('parseQemuArgs: options without the binary (libvirt <qemu:commandline>)', () => {
  const sockets = (...args: string[]): readonly string[] => parseQemuArgs(args).qmpSockets;

  it('reads the -qmp of probe3-tcg.xml', () => {
    expect(sockets('-qmp', 'unix:/run/qmp-extra/probe3-qmp2.sock,server=on,wait=off')).toEqual(['/run/qmp-extra/probe3-qmp2.sock']);
  });

  it('accepts --qmp, -qmp-pretty, the short-form "server" and "nowait", ",," escapes, and drops duplicates', () => {
    expect(sockets('-name', 'x', '--qmp', 'unix:/a,server,nowait', '-qmp-pretty', 'unix:/b,,c,server=yes', '-qmp', 'unix:/a,server=on')).toEqual([
      '/a',
      '/b,c',
    ]);
  });

  it('reads a -chardev socket used by a control -mon, not an HMP one', () => {
    expect(
      sockets(
        '-chardev', 'socket,id=m1,path=/run/m1.sock,server=on,wait=off',
        '-chardev', 'socket,id=hmp,path=/run/hmp.sock,server=on',
        '-mon', 'chardev=m1,mode=control',
        '-mon', 'chardev=hmp', // readline (HMP) is the default mode
        '-mon', 'nosuch,mode=control',
      ),
    ).toEqual(['/run/m1.sock']);
  });

  it('leaves out sockets QEMU does not listen on', () => {
    expect(
      sockets(
        '-qmp', 'unix:/client-mode.sock', // QEMU connects out
        '-qmp', 'unix:/off.sock,server=off',
        '-qmp', 'tcp:127.0.0.1:4444,server=on',
        '-qmp', 'stdio',
        '-chardev', 'socket,id=c,path=/c.sock',
        '-mon', 'chardev=c,mode=control',
      ),
    ).toEqual([]);
  });

  it('reads -daemonize', () => {
    expect(parseQemuArgs(['-daemonize', '-name', 'd']).daemonize).toBe(true);
    expect(parseQemuArgs(['--daemonize']).daemonize).toBe(true);
    expect(parseQemuArgs(['-name', 'd']).daemonize).toBe(false);
  });

  it('rejects an option without its value', () => {
    expect(() => parseQemuArgs(['-qmp'])).toThrow('QEMU option -qmp has no argument');
    expect(() => parseQemuArgs(['--mon'])).toThrow(/--mon has no argument/);
  });

  it('is not fooled by hostile option keys', () => {
    expect(sockets('-qmp', 'unix:/p,__proto__=x,server=on')).toEqual(['/p']);
    expect(sockets('-chardev', 'socket,id=__proto__,path=/q,server', '-mon', '__proto__,mode=control')).toEqual(['/q']);
  });
});

describe('splitQemuOpts / parseQemuBool', () => {
  it('splits with ,, escapes and implied keys', () => {
    expect(splitQemuOpts('socket,id=x,path=/a=b,server,nowait', 'backend')).toEqual([
      { key: 'backend', value: 'socket' },
      { key: 'id', value: 'x' },
      { key: 'path', value: '/a=b' },
      { key: 'server', value: 'on' },
      { key: 'wait', value: 'off' },
    ]);
    expect(splitQemuOpts('', 'guest')).toEqual([{ key: 'guest', value: '' }]);
  });

  it('reads a bare "nowait" as wait=off, as QEMU does, never as a key "nowait"', () => {
    // QEMU 7.2, util/qemu-option.c get_opt_name_value: a flag "noX" is X=off (deprecated short
    // form, still accepted); a flag "X" is X=on. The first item is the implied key's value.
    expect(splitQemuOpts('unix:/q.sock,server,nowait', 'path')).toEqual([
      { key: 'path', value: 'unix:/q.sock' },
      { key: 'server', value: 'on' },
      { key: 'wait', value: 'off' },
    ]);
    expect(splitQemuOpts('nowait', 'backend')).toEqual([{ key: 'backend', value: 'nowait' }]);
  });

  it('ends the list at a trailing comma, as QEMU does', () => {
    expect(splitQemuOpts('socket,id=x,', 'backend')).toEqual([
      { key: 'backend', value: 'socket' },
      { key: 'id', value: 'x' },
    ]);
    expect(splitQemuOpts('a,,,b,', 'guest')).toEqual([
      { key: 'guest', value: 'a,' },
      { key: 'b', value: 'on' },
    ]);
  });

  it('parses booleans', () => {
    expect(parseQemuBool('on', 'x')).toBe(true);
    expect(parseQemuBool('no', 'x')).toBe(false);
    expect(() => parseQemuBool('1', 'opt')).toThrow('opt: "1" is not a QEMU boolean');
  });
});

describe('isQemuProcess', () => {
  it.each([
    ['qemu-system-x86', '/usr/bin/qemu-system-x86_64', true],
    ['qemu-system-aar', 'qemu-system-aarch64', true],
    ['qemu-kvm', '/usr/libexec/qemu-kvm', true],
    ['qemu-web', '/usr/bin/qemu-system-x86_64', true], // renamed with -name ...,process=
    ['qemu-system-x86', '', true],
    ['bash', '/bin/bash', false],
    ['qemu-img', '/usr/bin/qemu-img', false],
    ['qemu-system-', 'qemu-system-', false],
    ['', '', false],
    ['CPU 0/KVM', '/usr/bin/qemu-kvm-wrapper', false],
  ])('%j %j -> %j', (comm, argv0, want) => {
    expect(isQemuProcess(comm, argv0)).toBe(want);
  });
});
