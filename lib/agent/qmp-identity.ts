// Asks QEMU which host thread is which vCPU and IOThread. Connects, asks, disconnects: QEMU serves
// one QMP client at a time, so vcpumap must never be the one holding the socket.
import { QmpClient } from '../qmp/client';
import { parseQueryCpusFast, parseQueryIothreads } from '../qmp/replies';
import type { IothreadIdentity, VcpuIdentity } from '../model/types';

export interface QmpIdentity {
  readonly vcpus: readonly VcpuIdentity[];
  readonly iothreads: readonly IothreadIdentity[];
}

export async function fetchQmpIdentity(socketPath: string, timeoutMs: number): Promise<QmpIdentity> {
  const client = await QmpClient.connect(socketPath, { timeoutMs });
  try {
    const vcpus = parseQueryCpusFast(await client.execute('query-cpus-fast'));
    const iothreads = parseQueryIothreads(await client.execute('query-iothreads'));
    return { vcpus, iothreads };
  } finally {
    client.close();
  }
}
