import { describe, expect, it } from 'vitest';
import { domainArg, MAX_FIX_CHARS, shellQuote, threadsFix, vcpuFix, type FixTarget, type FixThread } from './fix-commands';

const libvirt = (name: string, uuid: string | null = null): FixTarget => ({ name, uuid, source: 'libvirt' });
const qemu: FixTarget = { name: 'q', uuid: null, source: 'qemu' };

describe('shellQuote', () => {
  it('leaves plain names alone', () => {
    expect(shellQuote('web-1.prod_A')).toBe('web-1.prod_A');
  });
  it('single-quotes anything else and escapes embedded quotes', () => {
    expect(shellQuote('<img src=x onerror=alert(1)>')).toBe(`'<img src=x onerror=alert(1)>'`);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('$(reboot)')).toBe(`'$(reboot)'`);
    expect(shellQuote('a b')).toBe(`'a b'`);
    expect(shellQuote('')).toBe(`''`);
  });
});

describe('domainArg', () => {
  it('uses the UUID for names virsh would misread, when one is known', () => {
    expect(domainArg(libvirt('-x', 'u-1'))).toBe('u-1');
    expect(domainArg(libvirt('a\nb', 'u-1'))).toBe('u-1');
    expect(domainArg(libvirt('-x'))).toBe('-x');
    expect(domainArg(libvirt('ok', 'u-1'))).toBe('ok');
  });
});

describe('vcpuFix', () => {
  it('uses virsh for libvirt domains and taskset for plain QEMU', () => {
    expect(vcpuFix(libvirt('web-1'), 0, 1234, [2, 3, 8])).toBe('virsh vcpupin web-1 0 2-3,8 --live');
    expect(vcpuFix(qemu, 0, 1234, [2])).toBe('taskset -pc 2 1234');
    expect(vcpuFix(libvirt("it's"), 1, 1, [4])).toBe(`virsh vcpupin 'it'\\''s' 1 4 --live`);
  });
  it('offers nothing for an empty set', () => {
    expect(vcpuFix(qemu, 0, 1, [])).toBeNull();
  });
});

describe('threadsFix', () => {
  it('pins libvirt emulator threads with one emulatorpin and iothreads by number', () => {
    expect(
      threadsFix(libvirt('d'), [
        { kind: 'emulator', tid: 10, pin: [0, 1] },
        { kind: 'emulator', tid: 11, pin: [0, 1] },
        { kind: 'iothread', tid: 12, pin: [6], number: 1 },
      ]),
    ).toBe('virsh emulatorpin d 0-1 --live && virsh iothreadpin d 1 6 --live');
  });
  it('falls back to taskset for an IOThread libvirt cannot name', () => {
    expect(threadsFix(libvirt('d'), [{ kind: 'iothread', tid: 12, pin: [6], number: null }])).toBe('taskset -pc 6 12');
  });
  it('uses one taskset per tid for plain QEMU', () => {
    expect(
      threadsFix(qemu, [
        { kind: 'emulator', tid: 11, pin: [0, 1] },
        { kind: 'emulator', tid: 10, pin: [0, 1] },
      ]),
    ).toBe('taskset -pc 0-1 10 && taskset -pc 0-1 11');
  });
  it('stays within the contract for many threads', () => {
    const many = Array.from({ length: 400 }, (_, i): FixThread => ({ kind: 'emulator', tid: 100000 + i, pin: [0, 1] }));
    const fix = threadsFix(qemu, many);
    expect(fix).not.toBeNull();
    expect(fix?.length).toBeLessThanOrEqual(MAX_FIX_CHARS);
    expect(fix).toMatch(/^for t in 100000 100001 .* 100399; do taskset -pc 0-1 "\$t"; done$/);
  });
});
