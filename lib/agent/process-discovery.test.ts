// ProcessDiscovery on a fake /proc tree: QEMU processes, vhost kernel threads, and the parents of
// daemonizing QEMUs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessDiscovery } from './process-discovery';

const T = 1_700_000_000_000;

/** `pid (comm) S ppid pgrp session ...`: 52 fields, as the kernel writes them. */
function statLine(pid: number, comm: string, ppid: number, session: number, state = 'S'): string {
  const rest = Array.from({ length: 46 }, () => '0');
  return `${pid} (${comm}) ${state} ${ppid} ${session} ${session} ${rest.join(' ')}\n`;
}

function fakeProc() {
  const root = mkdtempSync(path.join(tmpdir(), 'vcpumap-discovery-'));
  const proc = (pid: number, comm: string, argv: readonly string[], ppid: number, session: number, state = 'S'): void => {
    mkdirSync(`${root}/${pid}`, { recursive: true });
    writeFileSync(`${root}/${pid}/comm`, `${comm}\n`);
    writeFileSync(`${root}/${pid}/cmdline`, argv.length === 0 ? '' : `${argv.join('\0')}\0`);
    writeFileSync(`${root}/${pid}/stat`, statLine(pid, comm, ppid, session, state));
  };
  return { root, proc, gone: (pid: number) => rmSync(`${root}/${pid}`, { recursive: true }) };
}

const QEMU = ['/usr/bin/qemu-system-x86_64', '-name', 'guest=web,debug-threads=on', '-daemonize', '-smp', '2'];

describe('ProcessDiscovery', () => {
  it('finds QEMU processes with what their command line says', () => {
    const p = fakeProc();
    p.proc(1, 'init', ['/sbin/init'], 0, 1);
    p.proc(500, 'qemu-system-x86', ['/usr/bin/qemu-system-x86_64', '-name', 'a', '-qmp', 'unix:/q.sock,server,nowait'], 1, 500);
    const scan = new ProcessDiscovery(p.root).scan(T);
    expect(scan.vms.map((v) => [v.pid, v.name, v.qmpSockets, v.debugThreads, v.daemonize])).toEqual([[500, 'a', ['/q.sock'], false, false]]);
  });

  it('finds a young process that execs QEMU after it was first seen, and not one older than the recheck window', () => {
    const p = fakeProc();
    p.proc(600, 'libvirtd', ['/usr/sbin/libvirtd'], 1, 1);
    p.proc(601, 'libvirtd', ['/usr/sbin/libvirtd'], 1, 1);
    const d = new ProcessDiscovery(p.root);
    expect(d.scan(T).vms).toEqual([]);
    expect(d.scan(T + 1000).vms).toEqual([]); // the same command line: still not QEMU
    p.proc(600, 'qemu-system-x86', ['/usr/bin/qemu-system-x86_64', '-name', 'late'], 1, 600);
    expect(d.scan(T + 2000).vms.map((v) => [v.pid, v.name])).toEqual([[600, 'late']]);
    p.proc(601, 'qemu-system-x86', ['/usr/bin/qemu-system-x86_64', '-name', 'too-late'], 1, 601);
    expect(d.scan(T + 5000).vms.map((v) => v.pid)).toEqual([600]);
  });

  it('leaves out the parent of a daemonizing QEMU while it waits, and lists it while it is alone', () => {
    const p = fakeProc();
    const d = new ProcessDiscovery(p.root);
    // The shell (pid 400, session 400) runs qemu -daemonize (P, pid 500).
    p.proc(400, 'bash', ['/bin/bash'], 1, 400);
    p.proc(500, 'qemu-system-x86', QEMU, 400, 400);
    expect(d.scan(T).vms.map((v) => v.pid)).toEqual([500]); // not forked yet: the only QEMU of that name
    // P forked C1 (510), which has not forked the VM yet: neither is listed.
    p.proc(510, 'qemu-system-x86', QEMU, 500, 510);
    expect(d.scan(T + 50).vms.map((v) => v.pid)).toEqual([]);
    // C1 called setsid(), forked the VM C2 (520) and exited: a zombie of P.
    p.proc(510, 'qemu-system-x86', [], 500, 510, 'Z');
    p.proc(520, 'qemu-system-x86', QEMU, 1, 510);
    const both = d.scan(T + 100);
    expect(both.vms.map((v) => v.pid)).toEqual([520]);
    expect([...both.notVms].sort((a, b) => a[0] - b[0])).toEqual([
      [500, 520],
      [510, 520], // C1, seen alive before: the session leader of the VM, a zombie now
    ]);
    // P exits once the VM is up; the zombie is reaped.
    p.gone(500);
    p.gone(510);
    const after = d.scan(T + 200);
    expect(after.vms.map((v) => v.pid)).toEqual([520]);
    expect(after.notVms.size).toBe(0);
  });

  it('leaves out a QEMU that exited and is not reaped yet', () => {
    const p = fakeProc();
    p.proc(520, 'qemu-system-x86', ['/usr/bin/qemu-system-x86_64', '-name', 'z'], 1, 510);
    const d = new ProcessDiscovery(p.root);
    expect(d.scan(T).vms.map((v) => v.pid)).toEqual([520]);
    p.proc(520, 'qemu-system-x86', [], 1, 510, 'Z'); // a zombie's cmdline is empty
    const gone = d.scan(T + 100);
    expect(gone.vms.map((v) => v.pid)).toEqual([]);
    expect([...gone.notVms]).toEqual([[520, 520]]);
  });

  it('does not take two VMs of one command line without that fork for parent and child', () => {
    const p = fakeProc();
    p.proc(500, 'qemu-system-x86', QEMU, 1, 490);
    p.proc(520, 'qemu-system-x86', QEMU, 1, 510); // session leader 510 is gone
    expect(new ProcessDiscovery(p.root).scan(T).vms.map((v) => v.pid)).toEqual([500, 520]);
  });

  it('finds vhost kernel threads (vhost-<qemu pid>, Linux before 6.4) of the QEMU processes present', () => {
    const p = fakeProc();
    p.proc(500, 'qemu-system-x86', ['/usr/bin/qemu-system-x86_64', '-name', 'a'], 1, 500);
    p.proc(900, 'vhost-500', [], 2, 0);
    p.proc(901, 'vhost-500', [], 2, 0);
    p.proc(902, 'vhost-777', [], 2, 0); // its QEMU is not (or no longer) there
    p.proc(903, 'kworker/0:1', [], 2, 0);
    const scan = new ProcessDiscovery(p.root).scan(T);
    expect(scan.vms.map((v) => v.pid)).toEqual([500]);
    expect([...scan.vhost]).toEqual([[500, [900, 901]]]);
  });
});
