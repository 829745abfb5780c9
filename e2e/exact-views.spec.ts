// Exact mode as an operator reads it on the host and VM pages, from frames pushed through the
// ingest API: the host says "exact", the pCPU where another task intruded is marked on the grid,
// choosing it lists who else ran there (the task, its PID, host task or VM, its run time), and the
// VM page shows each vCPU's run time per pCPU, migrations and wake-up latency. A sampled host says
// "sampled".
import { expect, test } from '@playwright/test';
import { pushHistory } from '../test/integration/helpers/push-frames';
import { startServer, type TestServer } from '../test/integration/helpers/server';

const TOKEN = 'e2e-exact-views-token-0123456789abcdef';
const MS = 1e6;
let server: TestServer;

function frame(host: string, at: number, i: number, exact: boolean): unknown {
  const cpu = (n: number) => ({ cpu: n, socket: 0, die: 0, core: n, node: 0, siblings: [n], isolated: false, busy: 0.5 });
  const cpus = [0, 1, 2, 3].map(cpu);
  const vcpu = (index: number, pcpu: number) => ({
    index,
    tid: 1001 + index,
    pcpu,
    affinity: [pcpu],
    pin: [pcpu],
    ran: true,
    state: 'R',
    runNs: 500 * MS,
    waitNs: 480 * MS,
    identity: 'qmp',
    ...(exact && i > 0
      ? { residency: [{ pcpu, ns: 400 * MS, switchIns: 40 }], migrations: index, wakeLatencyNs: { p50: 12_000, p99: 80_000, max: 1_200_000, count: 14 } }
      : {}),
  });
  const vcpus = [vcpu(0, 2), vcpu(1, 3)];
  const yes = { pid: 5000, tid: 5000, comm: 'yes', ns: 480 * MS, switchIns: 12, kernel: false };
  const topology = { cpus: exact && i > 0 ? cpus.map((c) => (c.cpu === 2 ? { ...c, others: [yes], irqs: [{ irq: '36', name: 'IR-PCI-MSI eth0', count: 900 }] } : c)) : cpus, isolated: [], nohzFull: [] };
  return {
    version: 1,
    host,
    at,
    intervalMs: i === 0 ? null : 1000,
    ...(exact ? { mode: 'exact' } : {}),
    ...(exact && i > 0 ? { trace: { events: 60_000, lostEvents: 0 } } : {}),
    topology,
    vms: [
      {
        name: 'web-1',
        uuid: null,
        pid: 1000,
        source: 'qemu',
        intent: 'pins-file',
        dedicated: true,
        maxVcpus: null,
        identity: 'qmp',
        vcpus,
        threads: [
          { tid: 1000, role: 'emulator', name: 'qemu-system-x86', pcpu: 0, affinity: [0, 1], pin: [0, 1], ran: false, state: 'S' },
          ...vcpus.map((v) => ({ tid: v.tid, role: 'vcpu', vcpu: v.index, name: `CPU ${v.index}/KVM`, pcpu: v.pcpu, affinity: v.affinity, pin: v.pin, ran: true, state: 'R' })),
        ],
      },
    ],
    violations:
      exact && i > 0
        ? [
            {
              id: 'intruder:web-1:pcpu2',
              kind: 'intruder',
              severity: 'critical',
              vm: 'web-1',
              vms: ['web-1'],
              tids: [5000],
              pcpus: [2],
              message: 'pCPU 2, dedicated to VM "web-1", also ran "yes" (PID 5000) for 48.0% of the last 1.00 s.',
              fix: 'taskset -apc 0-1 5000',
              since: at,
              lastSeen: at,
            },
          ]
        : [],
  };
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  server = await startServer({ VCPUMAP_AGENT_TOKEN: TOKEN, VCPUMAP_EMBEDDED_AGENT: '0' });
  await pushHistory(server.url, TOKEN, 20, (at, i) => frame('hv-exact', at, i, true));
  await pushHistory(server.url, TOKEN, 5, (at, i) => frame('hv-sampled', at, i, false));
});

test.afterAll(async () => {
  await server?.stop();
});

test('an exact host marks the intruded pCPU and tells who else ran there; the VM page shows run time per pCPU and wake-up latency', async ({ page }) => {
  await page.goto(`${server.url}/hosts/hv-exact`);
  await expect(page.getByTestId('mode')).toHaveText('exact');
  const cell = page.locator('[data-testid=topology] [data-cpu="2"]');
  await expect(cell).toHaveAttribute('data-intruder', '1');
  await expect(cell).toContainText('intruder');
  await expect(page.locator('[data-testid=topology] [data-intruder]')).toHaveCount(1);
  await cell.click();
  const who = page.getByTestId('who-else');
  await expect(who).toHaveAttribute('data-cpu', '2');
  const rows = who.locator('tbody tr');
  await expect(rows.nth(0)).toContainText('yes');
  await expect(rows.nth(0)).toContainText('5000 / 5000');
  await expect(rows.nth(0)).toContainText('host task');
  await expect(rows.nth(0)).toContainText('480 ms');
  await expect(rows.nth(1)).toContainText('vCPU 0 (CPU 0/KVM)');
  await expect(rows.nth(1)).toContainText('web-1');
  await expect(page.getByTestId('who-else-irqs')).toContainText('36 IR-PCI-MSI eth0 ×900');

  await page.goto(`${server.url}/hosts/hv-exact/vms/web-1`);
  const v0 = page.locator('[data-testid=vcpu-table] tr[data-vcpu="0"]');
  await expect(v0.getByTestId('residency')).toHaveText('pCPU 2: 40.0%');
  await expect(v0).toContainText('p50 12 µs · p99 80 µs · max 1.20 ms (14)');
});

test('a sampled host says so', async ({ page }) => {
  await page.goto(`${server.url}/hosts/hv-sampled`);
  await expect(page.getByTestId('mode')).toHaveText('sampled');
  await expect(page.locator('[data-testid=topology] [data-intruder]')).toHaveCount(0);
});
