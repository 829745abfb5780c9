// Transient libvirt domains (virsh create) running TCG guests from a boot sector.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseStatusXml, type LibvirtStatus } from '../../../lib/libvirt/domain-xml';
import { virsh } from './commands';
import { writeBootSector, type Workload } from './guests';

export interface DomainOptions {
  readonly name: string;
  readonly maxVcpus: number;
  readonly currentVcpus: number;
  readonly vcpupin: Readonly<Record<number, string>>;
  readonly emulatorpin?: string;
  readonly workload?: Workload;
}

export interface Domain {
  readonly name: string;
  status(): LibvirtStatus;
  destroy(): void;
}

export const LIBVIRT_STATUS_DIR = '/run/libvirt/qemu';

export function createDomain(opts: DomainOptions): Domain {
  const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-domain-'));
  const disk = writeBootSector(dir, opts.workload ?? 'halt');
  const pins = Object.entries(opts.vcpupin).map(([v, c]) => `<vcpupin vcpu='${v}' cpuset='${c}'/>`).join('');
  const xml = `<domain type='qemu'>
  <name>${opts.name}</name>
  <memory unit='MiB'>32</memory>
  <vcpu placement='static' current='${opts.currentVcpus}'>${opts.maxVcpus}</vcpu>
  <cputune>${pins}${opts.emulatorpin ? `<emulatorpin cpuset='${opts.emulatorpin}'/>` : ''}</cputune>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${disk}'/><target dev='hda' bus='ide'/></disk>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>`;
  const file = path.join(dir, 'domain.xml');
  writeFileSync(file, xml);
  virsh('create', file);
  return {
    name: opts.name,
    status: () => parseStatusXml(readFileSync(`${LIBVIRT_STATUS_DIR}/${opts.name}.xml`, 'utf8')),
    destroy() {
      try {
        virsh('destroy', opts.name);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
