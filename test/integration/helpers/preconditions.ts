// Integration tests need real QEMU (and libvirtd for some). Missing parts fail the run loudly:
// a test that cannot see a real guest must never pass.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function requireQemu(): void {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (to read every /proc task and re-pin threads)');
  if (!existsSync('/usr/bin/qemu-system-x86_64')) missing.push('qemu-system-x86 (apt)');
  if (!existsSync('/usr/bin/taskset')) missing.push('util-linux taskset');
  if (missing.length > 0) {
    throw new Error(`INTEGRATION TESTS CANNOT RUN: missing ${missing.join(', ')}. Run scripts/setup-os.sh as root.`);
  }
}

export function requireLibvirt(): void {
  requireQemu();
  try {
    execFileSync('virsh', ['-c', 'qemu:///system', 'version'], { stdio: 'pipe', timeout: 20_000 });
  } catch (err) {
    throw new Error(
      `INTEGRATION TESTS CANNOT RUN: libvirtd does not answer on qemu:///system (${err instanceof Error ? err.message : String(err)}). Run scripts/setup-os.sh as root.`,
    );
  }
}
