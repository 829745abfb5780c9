// The dashboard against the built server, its embedded agent (1 s interval) and real QEMU guests:
// each page shows the real guests, a taskset re-pin appears live in the violations table, the
// heatmaps have pixels, untrusted VM names stay text, the view state survives a reload.
import { expect, test, type ConsoleMessage, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGuest, guestName, type Guest } from '../test/integration/helpers/guests';
import { requireQemu } from '../test/integration/helpers/preconditions';
import { startServer, type TestServer } from '../test/integration/helpers/server';
import { TestQmp } from '../test/integration/helpers/test-qmp';

const INTERVAL_MS = 1000;
// Named like HTML, with a right-to-left override that would make it read "...exe.png-…" (and a
// suffix of its own: several runs of this suite may share a host).
const XSS_NAME = `<img src=x onerror=alert(1)>\u202egnp.exe-${Math.random().toString(16).slice(2, 6)}`;
/** How pages show it: the override made visible (lib/ui/shown-text.ts). */
const XSS_SHOWN = XSS_NAME.replace('\u202e', '\u27e8U+202E\u27e9');
const SHOTS = path.resolve(import.meta.dirname, '../test-results/screenshots');

let server: TestServer;
let host: string;
let idle: Guest;
let spin: Guest;
let xss: Guest;
let plug: Guest;
const problems: string[] = [];
/** Console errors a test provokes on purpose (e.g. the browser logging a 400 it asked for). */
let expectedConsole: RegExp[] = [];

function watch(page: Page): void {
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' && !expectedConsole.some((re) => re.test(m.text()))) problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog opened (${d.type()}): ${d.message()}`);
    void d.dismiss();
  });
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const file = test.info().outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  copyFileSync(file, path.join(SHOTS, `${name}.png`));
  await test.info().attach(name, { path: file, contentType: 'image/png' });
}

/** Pixels of a canvas that differ from its top-left pixel (the background). */
async function paintedPixels(page: Page, selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((el) => {
    if (!(el instanceof HTMLCanvasElement)) throw new Error('not a canvas');
    const ctx = el.getContext('2d');
    if (ctx === null) throw new Error('no 2d context');
    const { data } = ctx.getImageData(0, 0, el.width, el.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) n++;
    }
    return n;
  });
}

function hostUrl(): string {
  return `/hosts/${encodeURIComponent(host)}`;
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  requireQemu();
  const tag = guestName('ui');
  idle = await startGuest({ name: `${tag}-idle`, smp: 2, qmpSockets: 1 });
  spin = await startGuest({ name: `${tag}-spin`, smp: 2, workload: 'spin', qmpSockets: 1 });
  xss = await startGuest({ name: XSS_NAME, smp: 1, qmpSockets: 1 });
  plug = await startGuest({ name: `${tag}-plug`, smp: 2, maxcpus: 3, paused: true, qmpSockets: 2 });
  // The spinning guest is pinned: vCPU n on pCPU n, and its threads match at the start.
  const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-e2e-'));
  const pins = path.join(dir, 'pins.json');
  writeFileSync(pins, JSON.stringify({ vms: { [spin.name]: { vcpupin: { '0': '0', '1': '1' } } } }));
  execFileSync('taskset', ['-pc', '0', String(spin.vcpuTid(0))], { stdio: 'ignore' });
  execFileSync('taskset', ['-pc', '1', String(spin.vcpuTid(1))], { stdio: 'ignore' });
  server = await startServer({ VCPUMAP_EMBEDDED_AGENT: '1', VCPUMAP_AGENT_INTERVAL: `${INTERVAL_MS}ms`, VCPUMAP_PINS: pins });
  // Wait for frames that include all three guests.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const hosts = (await (await fetch(`${server.url}/api/v1/hosts`)).json()) as { host: string }[];
    const h = hosts[0]?.host;
    if (h !== undefined) {
      const snap = (await (await fetch(`${server.url}/api/v1/hosts/${encodeURIComponent(h)}/snapshot`)).json()) as { vms: { name: string }[] };
      const names = snap.vms.map((v) => v.name);
      if ([idle.name, spin.name, XSS_NAME, plug.name].every((n) => names.includes(n))) {
        host = h;
        break;
      }
    }
    if (Date.now() > deadline) throw new Error(`the embedded agent did not report the test guests within 30 s:\n${server.log()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

test.afterAll(async () => {
  await server?.stop();
  await Promise.all([idle?.stop(), spin?.stop(), xss?.stop(), plug?.stop()]);
});

test.beforeEach(({ page }) => {
  watch(page);
  test.info().annotations.push({ type: 'server', description: server.url });
});

test.afterEach(() => {
  expectedConsole = [];
  const found = problems.splice(0);
  expect(found, 'console errors, page errors or dialogs').toEqual([]);
});


test('fleet page shows this host with its real guests, searchable by VM name', async ({ page }) => {
  await page.goto(server.url + '/');
  const tile = page.locator(`[data-testid=host-tile][data-host="${host}"]`);
  await expect(tile).toBeVisible();
  await expect(tile).toContainText(spin.name);
  expect(await paintedPixels(page, `[data-testid=host-tile][data-host="${host}"] canvas`)).toBeGreaterThan(0);
  await page.getByRole('searchbox').fill(idle.name);
  await expect(page).toHaveURL(new RegExp(`q=${encodeURIComponent(idle.name)}`));
  await expect(tile).toBeVisible();
  await page.getByRole('searchbox').fill('no-such-vm-or-host');
  await expect(tile).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('searchbox')).toHaveValue('no-such-vm-or-host');
  await page.goto(server.url + '/');
  await expect(tile).toBeVisible();
  await shot(page, 'fleet');
});

test('host page shows the guests, a drawn heatmap, and a taskset re-pin as a new violation row without reload', async ({ page }) => {
  await page.goto(server.url + hostUrl());
  await expect(page.getByTestId('vm-link').filter({ hasText: spin.name })).toBeVisible();
  await expect(page.getByTestId('vm-link').filter({ hasText: idle.name })).toBeVisible();
  const cpus = Number(execFileSync('nproc', ['--all']).toString().trim());
  await expect(page.locator('[data-testid=topology-grid] button[data-cpu]')).toHaveCount(cpus);
  await expect(page.locator('[data-testid=host-timeline] canvas[data-drawn-columns]')).toBeVisible();
  expect(await paintedPixels(page, '[data-testid=host-timeline] canvas')).toBeGreaterThan(0);
  await expect(page.locator('[data-connection=live]')).toBeVisible();

  const rows = page.locator(`[data-testid=violations-table] tr[data-vm="${spin.name}"]`);
  await expect(rows).toHaveCount(0, { timeout: 15_000 }); // pinned as intended
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  const t0 = Date.now();
  execFileSync('taskset', ['-pc', '1', String(spin.vcpuTid(0))], { stdio: 'ignore' });
  await expect(rows.first()).toBeVisible({ timeout: 2 * INTERVAL_MS });
  const seenAfter = Date.now() - t0;
  test.info().annotations.push({ type: 're-pin to violation row', description: `${seenAfter} ms` });
  console.log(`re-pin seen in the violations table after ${seenAfter} ms (interval ${INTERVAL_MS} ms)`);
  expect(seenAfter).toBeLessThanOrEqual(2 * INTERVAL_MS);
  await expect(page.locator(`tr[data-vm="${spin.name}"][data-kind=affinity-drift]`)).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  await shot(page, 'host');
  // Put it back for the next tests.
  execFileSync('taskset', ['-pc', '0', String(spin.vcpuTid(0))], { stdio: 'ignore' });
});

test('VM page shows each vCPU with its real thread id, pin and a drawn timeline', async ({ page }) => {
  await page.goto(`${server.url}${hostUrl()}/vms/${encodeURIComponent(spin.name)}`);
  const table = page.getByTestId('vcpu-table');
  for (const i of [0, 1]) {
    const row = table.locator(`tr[data-vcpu="${i}"]`);
    await expect(row).toContainText(String(spin.vcpuTid(i)));
    await expect(row.locator('td').nth(3)).toHaveText(String(i)); // the pin from the pins file
  }
  await expect(page.locator('[data-testid=vm-timeline] canvas[data-drawn-columns]')).toBeVisible();
  expect(await paintedPixels(page, '[data-testid=vm-timeline] canvas')).toBeGreaterThan(0);
  await shot(page, 'vm');
});

test('a VM named like HTML with a bidi override shows as text, the override visible, on every page, and runs no script', async ({ page }) => {
  await page.goto(server.url + hostUrl());
  await expect(page.getByTestId('vm-link').filter({ hasText: XSS_SHOWN })).toBeVisible();
  await page.goto(server.url + '/?q=' + encodeURIComponent(XSS_NAME.slice(-4)));
  await expect(page.locator(`[data-testid=host-tile][data-host="${host}"]`)).toContainText(XSS_SHOWN);
  await page.goto(`${server.url}${hostUrl()}/vms/${encodeURIComponent(XSS_NAME)}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(XSS_SHOWN);
  // Isolated from the text around it.
  expect(await page.getByRole('heading', { level: 1 }).locator('bdi').count()).toBe(1);
  await expect(page).toHaveTitle(`${XSS_SHOWN} on ${host} · vcpumap`);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await shot(page, 'vm-xss');
});

test('the window, the selection and the theme survive a reload', async ({ page }) => {
  await page.goto(server.url + hostUrl());
  await page.locator('[data-testid=topology-grid] button[data-cpu="1"]').click();
  await expect(page).toHaveURL(/cpu=1/);
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page).toHaveURL(/from=.*to=/);
  const url = page.url();
  await page.reload();
  expect(page.url()).toBe(url);
  await expect(page.locator('[data-connection=paused]')).toBeVisible();
  await expect(page.locator('[data-testid=topology-grid] button[data-cpu="1"]')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('[data-testid=host-timeline] canvas[data-drawn-columns]')).toBeVisible();
  await page.getByRole('button', { name: 'Back to live' }).click();
  await expect(page.locator('[data-connection=live]')).toBeVisible();

  const dark = await page.evaluate(() => document.documentElement.classList.contains('dark'));
  await page.getByRole('button', { name: /theme/i }).click();
  await page.reload();
  expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(!dark);
  await shot(page, dark ? 'host-light' : 'host-dark');
});

test('the heatmap works from the keyboard: a cursor with a tooltip, Enter selects the pCPU', async ({ page }) => {
  await page.goto(server.url + hostUrl());
  const canvas = page.locator('[data-testid=host-timeline] canvas');
  await expect(canvas).toHaveAttribute('data-drawn-columns', /[1-9]/);
  await canvas.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await expect(page.getByTestId('heat-tooltip')).toContainText('pCPU');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/cpu=\d+/);
});

test('wall fits the fleet on 1080p and 4K screens without scrollbars', async ({ page }) => {
  for (const [w, h] of [
    [1920, 1080],
    [3840, 2160],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.goto(server.url + '/wall');
    const tile = page.locator(`[data-testid=wall-tile][data-host="${host}"]`);
    await expect(tile).toBeVisible();
    await expect(page.locator('[data-connection=live]')).toBeVisible();
    expect(await paintedPixels(page, `[data-testid=wall-tile][data-host="${host}"] canvas`)).toBeGreaterThan(0);
    const overflow = await page.evaluate(() => ({ x: document.documentElement.scrollWidth - innerWidth, y: document.documentElement.scrollHeight - innerHeight }));
    expect(overflow).toEqual({ x: 0, y: 0 });
    await shot(page, `wall-${w}x${h}`);
  }
});

test('host page reads at 4K', async ({ page }) => {
  await page.setViewportSize({ width: 3840, height: 2160 });
  await page.goto(server.url + hostUrl());
  await expect(page.locator('[data-testid=host-timeline] canvas')).toHaveAttribute('data-drawn-columns', /[1-9]/);
  const box = await page.locator('[data-testid=host-timeline] canvas').boundingBox();
  expect(box?.width ?? 0).toBeGreaterThan(3000); // the heatmap uses the width it has
  await shot(page, 'host-3840x2160');
});

test('a shared host link unfurls with a preview picture', async ({ page }) => {
  await page.goto(server.url + hostUrl());
  const image = await page.locator('meta[property="og:image"]').getAttribute('content');
  expect(image).toBeTruthy();
  const res = await fetch(new URL(new URL(image ?? '').pathname + new URL(image ?? '').search, server.url));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/png');
  expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
});

test('analyze turns pasted ps and query-cpus-fast into the host view, and names what is wrong in bad input', async ({ page }) => {
  const fixtures = path.resolve(import.meta.dirname, '../test/fixtures/libvirt-9.0-qemu-7.2');
  await page.goto(server.url + '/analyze');
  await page.getByLabel(/^ps -eLo/).fill(readFileSync(path.join(fixtures, 'probe1.ps.txt'), 'utf8'));
  await page.getByLabel(/^query-cpus-fast/).fill(readFileSync(path.join(fixtures, 'probe1.query-cpus-fast.json'), 'utf8'));
  await page.getByRole('button', { name: 'Analyze' }).click();
  const result = page.getByTestId('analyze-result');
  await expect(result).toContainText('probe1');
  await expect(result.getByTestId('vcpu-table').locator('tr[data-vcpu="0"]')).toContainText('7474');
  // A paste has no kernel affinity or run-queue times: the table says so instead of "empty".
  await expect(result.getByTestId('vcpu-table').locator('tr[data-vcpu="0"]')).toContainText('not in the paste');
  await expect(result.getByTestId('vcpu-table')).not.toContainText('empty');
  await shot(page, 'analyze');

  // A new error replaces the old result, and each field that cannot be read says why beside it.
  expectedConsole = [/status of 400/];
  await page.getByLabel(/^query-cpus-fast/).fill('{ not json');
  await page.getByLabel(/^pins file/).fill('vms: [');
  await page.getByRole('button', { name: 'Analyze' }).click();
  await expect(page.locator('p[role=alert]')).toContainText(/query-cpus-fast|JSON/i);
  await expect(page.getByTestId('analyze-result')).toHaveCount(0);
  await expect(page.locator('[data-field-error=queryCpusFast]')).toContainText(/not JSON/);
  await expect(page.locator('[data-field-error=pins]')).toContainText(/YAML|vms/);
  await expect(page.getByLabel(/^query-cpus-fast/)).toHaveAttribute('aria-invalid', 'true');
});

test('the host page says when the server is gone and comes back live by itself after a restart', async ({ page }) => {
  test.setTimeout(120_000);
  // The browser logs the refused connections of the stream while the server is down, and a chunk
  // (the validators) still being fetched then fails to load; the page loads it again afterwards.
  expectedConsole = [/ERR_CONNECTION_REFUSED|Failed to load resource|EventSource|Failed to load chunk/i];
  await page.goto(server.url + hostUrl());
  await expect(page.locator('[data-connection=live]')).toBeVisible();
  await server.stop();
  await expect(page.locator('[data-connection=reconnecting]')).toBeVisible({ timeout: 15_000 });
  await shot(page, 'host-reconnecting');
  await server.restart();
  await expect(page.locator('[data-connection=live]')).toBeVisible({ timeout: 30_000 });
  // New frames flow again, decoded: the last frame's time (not only its "N s ago") moves on without a reload.
  const frameTime = async (): Promise<string> => ((await page.getByTestId('last-frame').textContent()) ?? '').split(' (')[0] ?? '';
  const before = await frameTime();
  await expect.poll(frameTime, { timeout: 10_000 }).not.toBe(before);
});

test('with a viewer token, pages ask for it and then show the dashboard', async ({ page }) => {
  const guarded = await startServer({ VCPUMAP_VIEWER_TOKEN: 'view-secret-1234567890' });
  try {
    expectedConsole = [/status of 401/];
    await page.goto(guarded.url + '/');
    await expect(page.getByText('This server needs a viewer token.')).toBeVisible();
    expect((await fetch(`${guarded.url}/api/v1/fleet`)).status).toBe(401);
    await page.getByLabel('Viewer token').fill('view-secret-1234567890');
    await page.getByRole('button', { name: 'Open' }).click();
    await expect(page.getByRole('heading', { name: 'Fleet' })).toBeVisible();
    await expect(page.locator('[data-connection=live]')).toBeVisible();
  } finally {
    await page.goto('about:blank'); // close the event stream before its server goes away
    await guarded.stop();
  }
});

test('a vCPU hot-plugged while the VM page is open appears in its table and is marked on its timeline', async ({ page }) => {
  await page.goto(`${server.url}${hostUrl()}/vms/${encodeURIComponent(plug.name)}`);
  const table = page.getByTestId('vcpu-table');
  await expect(table.locator('tr[data-vcpu]')).toHaveCount(2);
  await expect(page.locator('[data-testid=vm-timeline] canvas[data-drawn-columns]')).toBeVisible();
  const qmp = await TestQmp.connect(plug.testQmp);
  try {
    const slots = (await qmp.run('query-hotpluggable-cpus')) as { type: string; props: Record<string, number>; 'qom-path'?: string }[];
    const free = slots.find((s) => s['qom-path'] === undefined);
    if (free === undefined) throw new Error('no free hot-plug slot');
    await qmp.run('device_add', { driver: free.type, id: 'e2e-plug', ...free.props });
  } finally {
    qmp.close();
  }
  await expect(table.locator('tr[data-vcpu="2"]')).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId('hotplug-events')).toContainText('vCPU 2 appeared', { timeout: 10_000 });
  await shot(page, 'vm-hotplug');
});
