// Accessibility: axe-core (from npm, injected into the page) on every page, in both themes, finds
// nothing rated serious or critical. The data is the synthetic big host (256 pCPUs, 64 VMs)
// pushed through the ingest API, so every colour of the palette and every kind of cell shows.
import { expect as baseExpect, test, type Page } from '@playwright/test';
import axe from 'axe-core';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../test/integration/helpers/server';
import { startBigHost, type BigHost } from './support/big-host';

const HOST = 'hv-a11y-256';
const FIXTURES = path.resolve(import.meta.dirname, '../test/fixtures/libvirt-9.0-qemu-7.2');
const SHOTS = path.resolve(import.meta.dirname, '../test-results/screenshots');

let big: BigHost;

// A big host's page takes seconds to draw on a loaded 2-core machine.
test.describe.configure({ timeout: 240_000 });
const expect = baseExpect.configure({ timeout: 30_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  big = await startBigHost(HOST, 120);
});

test.afterAll(async () => {
  await big?.stop();
});

interface Finding {
  readonly rule: string;
  readonly impact: string;
  readonly nodes: number;
  readonly examples: string[];
}

/** axe's serious and critical findings on the page as it is now. */
async function seriousFindings(page: Page): Promise<Finding[]> {
  await page.addScriptTag({ content: axe.source });
  const results = await page.evaluate(async () => {
    const w = window as unknown as { axe: typeof axe };
    const r = await w.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      rule: v.id,
      impact: v.impact ?? 'unknown',
      nodes: v.nodes.length,
      examples: v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`.slice(0, 400)),
    }));
  });
  return results.filter((f) => f.impact === 'serious' || f.impact === 'critical');
}

async function setTheme(page: Page, url: string, theme: 'dark' | 'light'): Promise<void> {
  await page.context().addCookies([{ name: 'vcpumap_theme', value: theme, url }]);
}

/** Checks the page as it is now, and keeps a screenshot of what was checked. */
async function check(page: Page, what: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const name = `a11y ${what}`.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-+$/, '');
  const file = test.info().outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  copyFileSync(file, path.join(SHOTS, `${name}.png`));
  const found = await seriousFindings(page);
  test.info().annotations.push({ type: `axe ${what}`, description: found.length === 0 ? 'clean' : JSON.stringify(found) });
  expect(found, `axe findings rated serious or critical on ${what}`).toEqual([]);
}

for (const theme of ['dark', 'light'] as const) {
  test(`every page has no serious or critical axe finding (${theme} theme)`, async ({ page }) => {
    const base = big.server.url;
    await setTheme(page, base, theme);
    const hostUrl = `${base}/hosts/${HOST}`;

    await page.goto(base + '/');
    await expect(page.locator(`[data-testid=host-tile][data-host="${HOST}"]`)).toBeVisible();
    await check(page, `/ (${theme})`);

    await page.goto(base + '/wall');
    await expect(page.locator(`[data-testid=wall-tile][data-host="${HOST}"]`)).toBeVisible();
    await check(page, `/wall (${theme})`);

    await page.goto(hostUrl);
    await expect(page.locator('[data-testid=host-timeline] canvas[data-drawn-columns]')).toBeVisible();
    await expect(page.locator('[data-testid=vcpu-matrix] canvas')).toBeVisible();
    await check(page, `/hosts/H (${theme})`);

    // With a VM chosen (the rest dimmed) and coloured by state.
    await page.goto(`${hostUrl}?vm=vm-01&color=state`);
    await expect(page.locator('[data-testid=topology-grid] [data-highlight="1"]').first()).toBeVisible();
    await check(page, `/hosts/H?vm=vm-01&color=state (${theme})`);

    await page.goto(`${hostUrl}/vms/vm-00`);
    await expect(page.locator('[data-testid=vm-timeline] canvas[data-drawn-columns]')).toBeVisible();
    await check(page, `/hosts/H/vms/V (${theme})`);

    await page.goto(base + '/analyze');
    await check(page, `/analyze (${theme})`);
    await page.getByLabel(/^ps -eLo/).fill(readFileSync(path.join(FIXTURES, 'probe1.ps.txt'), 'utf8'));
    await page.getByLabel(/^query-cpus-fast/).fill(readFileSync(path.join(FIXTURES, 'probe1.query-cpus-fast.json'), 'utf8'));
    await page.getByRole('button', { name: 'Analyze' }).click();
    await expect(page.getByTestId('analyze-result')).toBeVisible();
    await check(page, `/analyze with a result (${theme})`);
  });
}

test('the viewer-token page has no serious or critical axe finding in either theme', async ({ page }) => {
  let guarded: TestServer | null = null;
  try {
    guarded = await startServer({ VCPUMAP_VIEWER_TOKEN: 'view-secret-a11y-1234567890' });
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(page, guarded.url, theme);
      await page.goto(guarded.url + '/');
      await expect(page.getByLabel('Viewer token')).toBeVisible();
      await check(page, `token page (${theme})`);
    }
  } finally {
    await page.goto('about:blank');
    await guarded?.stop();
  }
});
