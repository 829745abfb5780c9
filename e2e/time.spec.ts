// Time on the host view: range presets served at the resolution they say (per-minute residency
// beyond the hour), a UTC/local switch that survives a reload, and the window on screen as CSV
// and JSON.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { startFleetServer, type FleetServer } from '../test/support/fleet-server';
import { expectNoProblems, shot, watchPage } from './fleet-support';

let fs: FleetServer;
let host: string;
let live: { stop(): Promise<void>; errors: Error[] };
const problems: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  fs = await startFleetServer({ hosts: 1, critical: 1, prefix: 'hv-time' });
  const h = fs.fleet.hosts[0];
  if (h === undefined) throw new Error('no host');
  host = h.name;
  // Three hours of history, a frame each 10 s, then live at 1 Hz.
  const now = Date.now();
  const frames = [];
  for (let at = now - 3 * 3_600_000; at < now - 1000; at += 10_000) frames.push(fs.fleet.frame(h, at));
  await fs.pusher.push(frames);
  live = fs.live(1000);
});

test.afterAll(async () => {
  await fs?.stop();
  expect(live?.errors ?? []).toEqual([]);
});

test.use({ timezoneId: 'Europe/Berlin' });
test.beforeEach(({ page }) => watchPage(page, problems));
test.afterEach(() => expectNoProblems(problems));

test('range presets ask for the resolution they say and draw it; 15 min is live at full resolution', async ({ page }) => {
  await page.goto(`${fs.server.url}/hosts/${host}`);
  await expect(page.getByTestId('resolution')).toHaveText('(full resolution: one column per frame)');
  await expect(page.locator('[data-connection=live]')).toBeVisible();

  for (const [label, key, step, text] of [
    ['6 h', '6h', 60_000, '(1 min buckets from the per-minute residency)'],
    ['24 h', '24h', 300_000, '(5 min buckets from the per-minute residency)'],
    ['1 h', '1h', 10_000, '(10 s buckets of the stored frames)'],
  ] as const) {
    const answer = page.waitForResponse((r) => r.url().includes('/history?') && r.url().includes(`step=${step}`));
    await page.getByRole('button', { name: label, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`range=${key}`));
    const body = (await (await answer).json()) as { stepMs: number; ticks: number[] };
    expect(body.stepMs).toBe(step);
    await expect(page.getByTestId('resolution')).toHaveText(text);
    await expect(page.getByRole('button', { name: label, exact: true })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('window')).toHaveText(`Last ${label}, following the present`);
    await expect(page.locator('[data-testid=host-timeline] canvas[data-drawn-columns]')).toBeVisible();
    if (key === '6h') {
      // Three hours of 1-minute buckets.
      expect(body.ticks.length).toBeGreaterThan(170);
      expect(body.ticks.length).toBeLessThan(200);
      await shot(page, 'host-range-6h');
    }
  }
  await page.reload();
  await expect(page.getByTestId('resolution')).toHaveText('(10 s buckets of the stored frames)');
  await page.getByRole('button', { name: '15 min live' }).click();
  await expect(page).not.toHaveURL(/range=/);
  await expect(page.getByTestId('resolution')).toHaveText('(full resolution: one column per frame)');
  await expect(page.getByTestId('window')).toHaveText('Last 15 minutes, live');
});

test('times switch between UTC and the browser’s zone, and the choice survives a reload', async ({ page }) => {
  await page.goto(`${fs.server.url}/hosts/${host}`);
  const lastFrame = page.getByTestId('last-frame');
  await expect(lastFrame).toContainText(/\d\d:\d\d:\d\dZ/);
  const toggle = page.getByTestId('time-zone-switch');
  await expect(toggle).toHaveText('Times: UTC');
  await toggle.click();
  await expect(toggle).toHaveText('Times: local (Europe/Berlin)');
  await expect(lastFrame).toContainText(/\d\d:\d\d:\d\d\+0[12]:00/);
  await page.reload();
  await expect(page.getByTestId('time-zone-switch')).toHaveText('Times: local (Europe/Berlin)');
  await expect(page.getByTestId('last-frame')).toContainText(/\+0[12]:00/);
  await page.getByTestId('time-zone-switch').click();
  await expect(page.getByTestId('last-frame')).toContainText(/\d\d:\d\d:\d\dZ/);
});

test('the window on screen downloads as CSV and as JSON', async ({ page }) => {
  await page.goto(`${fs.server.url}/hosts/${host}?range=1h`);
  await expect(page.getByTestId('resolution')).toHaveText('(10 s buckets of the stored frames)', { timeout: 30_000 });

  const csvDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const csv = await csvDownload;
  expect(csv.suggestedFilename()).toMatch(new RegExp(`^vcpumap-${host}-\\d{8}T\\d{6}Z-\\d{8}T\\d{6}Z\\.csv$`));
  const lines = readFileSync(await csv.path(), 'utf8').trim().split('\n');
  expect(lines[0]).toBe('time,at_ms,vm,pid,tid,role,vcpu,thread,pcpu,ran,share');
  expect(lines.length).toBeGreaterThan(300 * 4); // 360 buckets of 16 vCPU and emulator threads, at least
  expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z,\d+,/);
  const vms = new Set(lines.slice(1).map((l) => l.split(',')[2]));
  expect(vms.size).toBe(4);

  const jsonDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download JSON' }).click();
  const json = await jsonDownload;
  const h = JSON.parse(readFileSync(await json.path(), 'utf8')) as { host: string; stepMs: number; from: number; to: number; ticks: number[]; threads: unknown[]; pcpu: unknown[][] };
  expect(h.host).toBe(host);
  expect(h.stepMs).toBe(10_000);
  expect(h.to - h.from).toBe(3_600_000);
  expect(h.ticks.length).toBe(h.pcpu.length);
  expect(h.threads.length).toBeGreaterThan(0);
});
