// Exact mode as an operator reads it on the host and VM pages, from frames pushed through the
// ingest API: the host says "exact", the pCPU where another task intruded is marked on the grid,
// choosing it lists who else ran there (the task, its PID, host task or VM, its run time) in the
// last interval and over the window, a timeline cell that the vCPU shared with the intruder is
// split in two colours with each one's run time in its tooltip, and the VM page shows each vCPU's
// run time per pCPU, migrations and wake-up latency, now and over the window. A sampled host says
// "sampled". The intruder `yes` runs 480 ms in every other second (the last one included) beside
// vCPU 0's 400 ms: it leads the last interval, vCPU 0 leads the window.
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
    waitNs: (i < 10 ? 100 : 300) * MS,
    identity: 'qmp',
    ...(exact && i > 0
      ? { residency: [{ pcpu, ns: 400 * MS, switchIns: 40 }], migrations: index, wakeLatencyNs: { p50: 12_000, p99: i === 7 ? 250_000 : 80_000, max: 1_200_000, count: 14 } }
      : {}),
  });
  const vcpus = [vcpu(0, 2), vcpu(1, 3)];
  const yes = { pid: 5000, tid: 5000, comm: 'yes', ns: 480 * MS, switchIns: 12, kernel: false };
  const intruded = exact && i % 2 === 1;
  const topology = {
    cpus: exact && i > 0 ? cpus.map((c) => (c.cpu === 2 ? { ...c, others: intruded ? [yes] : [], irqs: [{ irq: '36', name: 'IR-PCI-MSI eth0', count: 900 }] } : c)) : cpus,
    isolated: [],
    nohzFull: [],
  };
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
      intruded
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
  const rows = page.getByTestId('who-else-interval').locator('tbody tr');
  await expect(rows.nth(0)).toContainText('yes');
  await expect(rows.nth(0)).toContainText('5000 / 5000');
  await expect(rows.nth(0)).toContainText('host task');
  await expect(rows.nth(0)).toContainText('480 ms');
  await expect(rows.nth(1)).toContainText('vCPU 0 (CPU 0/KVM)');
  await expect(rows.nth(1)).toContainText('web-1');
  await expect(page.getByTestId('who-else-interval-irqs')).toContainText('36 IR-PCI-MSI eth0 ×900');

  // Over the window (19 exact seconds): vCPU 0 ran 7.6 s there, yes 4.8 s in its 10 seconds.
  const overWindow = page.getByTestId('who-else-window').locator('tbody tr');
  await expect(overWindow.nth(0)).toContainText('vCPU 0 (CPU 0/KVM)');
  await expect(overWindow.nth(0)).toContainText('7.60 s');
  await expect(overWindow.nth(1)).toContainText('yes');
  await expect(overWindow.nth(1)).toContainText('host task');
  await expect(overWindow.nth(1)).toContainText('4.80 s');
  await expect(page.getByTestId('who-else-window-irqs')).toContainText('36 IR-PCI-MSI eth0 ×17100');

  // The last second's cell of pCPU 2: yes (480 ms) above vCPU 0 (400 ms), in two colours.
  const timeline = page.getByTestId('host-timeline');
  const canvas = timeline.locator('canvas');
  await expect(canvas).toHaveAttribute('data-drawn-columns', '20');
  const row = (await timeline.getAttribute('data-row-cpus'))?.split(',').indexOf('2') ?? -1;
  expect(row).toBeGreaterThanOrEqual(0);
  const box = await canvas.boundingBox();
  if (box === null) throw new Error('no timeline canvas');
  const rowH = box.height / 4;
  const x = box.width * (19.5 / 20);
  const [top, bottom] = await canvas.evaluate(
    (c: HTMLCanvasElement, p: { x: number; y0: number; y1: number }) => {
      const ctx = c.getContext('2d');
      const k = c.width / c.getBoundingClientRect().width;
      const at = (y: number) => Array.from(ctx?.getImageData(Math.floor(p.x * k), Math.floor(y * k), 1, 1).data ?? []).join(',');
      return [at(p.y0), at(p.y1)];
    },
    { x, y0: row * rowH + rowH * 0.2, y1: row * rowH + rowH * 0.85 },
  );
  expect(top).not.toBe(bottom);
  await canvas.hover({ position: { x, y: row * rowH + rowH / 2 } });
  const tip = page.getByTestId('heat-tooltip');
  await expect(tip).toContainText('shared by 2 tasks');
  await expect(tip).toContainText('host yes (5000): 480 ms, 48.0%');
  await expect(tip).toContainText('web-1 vCPU 0 (CPU 0/KVM) (1001): 400 ms, 40.0%');

  await page.goto(`${server.url}/hosts/hv-exact/vms/web-1`);
  const v0 = page.locator('[data-testid=vcpu-table] tr[data-vcpu="0"]');
  await expect(v0.getByTestId('residency')).toHaveText('pCPU 2: 40.0%');
  await expect(v0).toContainText('p50 12 µs · p99 80 µs · max 1.20 ms (14)');
  // Over the window, from the history: run and wait share, where it ran, migrations, the worst wake-up.
  const t0 = page.locator('[data-testid=vcpu-over-time] tr[data-vcpu="0"]');
  const t1 = page.locator('[data-testid=vcpu-over-time] tr[data-vcpu="1"]');
  await expect(t0.getByTestId('run-wait')).toHaveText('ran 50.0%, waited 20.0%');
  await expect(t0.getByTestId('residency-window')).toHaveText('pCPU 2: 40.0%');
  await expect(t0.getByTestId('wake-window')).toHaveText('p99 up to 250 µs · max 1.20 ms (266)');
  await expect(t0.getByTestId('migrations-window')).toHaveText('0 in the window');
  await expect(t1.getByTestId('migrations-window')).toHaveText('19 in the window');
  await expect(t1.getByTestId('residency-window')).toHaveText('pCPU 3: 40.0%');
});

test('a sampled host says so', async ({ page }) => {
  await page.goto(`${server.url}/hosts/hv-sampled`);
  await expect(page.getByTestId('mode')).toHaveText('sampled');
  await expect(page.locator('[data-testid=topology] [data-intruder]')).toHaveCount(0);
});
