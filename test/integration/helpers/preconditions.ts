// Integration tests need real QEMU (and libvirtd for some). Missing parts fail the run loudly:
// a test that cannot see a real guest must never pass.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

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

export const TRACEFS = '/sys/kernel/tracing';

/** Exact mode's tests need tracefs: mounted here if it is not (as setup-os.sh does), else they fail. */
export function requireTracefs(): void {
  requireQemu();
  if (!readFileSync('/proc/mounts', 'utf8').includes(` ${TRACEFS} tracefs `)) {
    try {
      execFileSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`EXACT-MODE TESTS CANNOT RUN: tracefs is not mounted at ${TRACEFS} and mounting it failed (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  if (!existsSync(`${TRACEFS}/instances`)) throw new Error(`EXACT-MODE TESTS CANNOT RUN: ${TRACEFS}/instances is missing`);
}
