// A VmIntent as one string, so that the agent can tell a changed intent from the same intent
// read again (the pins file and libvirt's status XML are parsed into new objects each time).
import type { CpuList, VmIntent } from '../model/types';

export function intentKey(i: VmIntent | null): string {
  if (i === null) return 'none';
  const list = (l: CpuList | null): string => (l === null ? '-' : l.join(','));
  const map = <T>(m: ReadonlyMap<number, T>, f: (v: T) => string): string => [...m].map(([k, v]) => `${k}=${f(v)}`).join(';');
  return [
    i.source,
    map(i.vcpupin, list),
    list(i.vcpuDefault),
    list(i.emulatorpin),
    map(i.iothreadpin, list),
    i.dedicated ? 'dedicated' : '',
    list(i.memoryNodes),
    i.guestCells.map(list).join(';'),
    map(i.vcpusched, (s) => `${s.policy}:${s.priority}`),
  ].join('|');
}
