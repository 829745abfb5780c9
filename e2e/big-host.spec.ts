// A big host (256 pCPUs in 2 sockets and 4 NUMA nodes, 64 VMs x 8 vCPUs) pushed through the
// ingest API, read as a person would: VM names on the topology grid, a searchable legend, a chosen
// VM highlighted on the grid (DOM) and the timeline (canvas pixels) with the rest dimmed, Escape
// clearing the choice, colouring by state, axes with socket and node bands on the timeline and
// the matrix, zoom and pan kept over a reload, and the grid as one tab stop with arrow keys.
import { expect, test, type Page } from '@playwright/test';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { statePalette } from '../lib/heatmap/cell-colors';
import { palette, vmColorIndex } from '../lib/heatmap/vm-colors';
import { startBigHost, type BigHost } from './support/big-host';

const HOST = 'hv-big-256';
const SHOTS = path.resolve(import.meta.dirname, '../test-results/screenshots');
const CHOSEN = 'vm-00'; // pinned: vCPU n on pCPU n (rarely off its pin)

let big: BigHost;
const problems: string[] = [];

// A big host's page takes seconds to draw on a loaded 2-core machine.
test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  big = await startBigHost(HOST, 180);
});

test.afterAll(async () => {
  await big?.stop();
});

test.beforeEach(({ page }) => {
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error on ${page.url()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
});

test.afterEach(() => {
  expect(problems.splice(0), 'console or page errors').toEqual([]);
});

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  const file = test.info().outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  copyFileSync(file, path.join(SHOTS, `${name}.png`));
}

const hostUrl = () => `${big.server.url}/hosts/${HOST}`;
const timeline = (page: Page) => page.locator('[data-testid=host-timeline] canvas');

async function openHost(page: Page, query = ''): Promise<void> {
  await page.goto(hostUrl() + query);
  await expect(timeline(page)).toHaveAttribute('data-drawn-columns', /[1-9]/, { timeout: 30_000 });
  // The matrix is drawn once the timeline is.
  await expect(page.locator('[data-testid=vcpu-matrix] canvas')).toHaveAttribute('data-drawn', /[1-9]/, { timeout: 15_000 });
}

function hex(c: string): [number, number, number] {
  const n = Number.parseInt(c.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * The timeline canvas's pixels that have exactly one of `colors`: how many per colour, and for
 * `colors[0]` the rows (pCPUs, from the canvas's row order) they are in.
 */
async function pixelsOf(page: Page, colors: readonly string[]): Promise<{ counts: number[]; rows0: number[] }> {
  const rgb = colors.map(hex);
  return timeline(page).evaluate((el, rgb) => {
    if (!(el instanceof HTMLCanvasElement)) throw new Error('not a canvas');
    const ctx = el.getContext('2d');
    if (ctx === null) throw new Error('no 2d context');
    const cpus = (el.closest('[data-testid=host-timeline]')?.getAttribute('data-row-cpus') ?? '').split(',').map(Number);
    const rowPx = el.height / cpus.length;
    const { data, width } = ctx.getImageData(0, 0, el.width, el.height);
    const index = new Map(rgb.map((c, k) => [(c[0] << 16) | (c[1] << 8) | c[2], k]));
    const counts = rgb.map(() => 0);
    const rows0 = new Set<number>();
    for (let i = 0; i < data.length; i += 4) {
      const k = index.get(((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0));
      if (k === undefined) continue;
      counts[k] = (counts[k] ?? 0) + 1;
      if (k === 0) rows0.add(cpus[Math.floor(Math.floor(i / 4 / width) / rowPx)] ?? -1);
    }
    return { counts, rows0: [...rows0].sort((a, b) => a - b) };
  }, rgb);
}

/**
 * Pixels of the matrix canvas in exactly one of `colors` (a cell at full share is drawn opaque):
 * how many in its first `rows` rows (the chosen VM's, VMs by name) and in the others.
 */
async function matrixPixels(page: Page, colors: readonly string[], rows: number): Promise<{ chosen: number; others: number }> {
  return page.locator('[data-testid=vcpu-matrix] canvas').evaluate(
    (el, { rgb, rows }) => {
      if (!(el instanceof HTMLCanvasElement)) throw new Error('not a canvas');
      const ctx = el.getContext('2d');
      if (ctx === null) throw new Error('no 2d context');
      const total = Number(/(\d+) vCPUs/.exec(el.getAttribute('aria-label') ?? '')?.[1] ?? '0');
      const limit = Math.floor((el.height / Math.max(1, total)) * rows);
      const { data, width } = ctx.getImageData(0, 0, el.width, el.height);
      const wanted = new Set(rgb.map((c) => (c[0] << 16) | (c[1] << 8) | c[2]));
      let chosen = 0;
      let others = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (!wanted.has(((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0))) continue;
        if (Math.floor(i / 4 / width) < limit) chosen++;
        else others++;
      }
      return { chosen, others };
    },
    { rgb: colors.map(hex), rows },
  );
}

/** The pCPUs a VM's vCPU threads were on at some tick of the history (from the API). */
async function cpusOfVm(vm: string): Promise<Set<number>> {
  const now = Date.now();
  const h = (await (await fetch(`${big.server.url}/api/v1/hosts/${HOST}/history?from=${now - 3_600_000}&to=${now + 60_000}`)).json()) as {
    threads: { vm: string; role: string }[];
    pcpu: (number | null)[][];
  };
  const mine = h.threads.flatMap((t, i) => (t.vm === vm && t.role === 'vcpu' ? [i] : []));
  const out = new Set<number>();
  for (const col of h.pcpu) for (const i of mine) if (col[i] !== null && col[i] !== undefined) out.add(col[i] as number);
  return out;
}

test('the topology grid names the VM and vCPU on each pCPU, and the axes show sockets and nodes', async ({ page }) => {
  await openHost(page);
  const grid = page.getByTestId('topology-grid');
  await expect(grid.locator('button[data-cpu]')).toHaveCount(256);
  // pCPU 0 carries vm-00's vCPU 0 (pinned there): its name and vCPU are on the cell.
  await expect(grid.locator('button[data-cpu="0"]')).toContainText('vm-00');
  await expect(grid.locator('button[data-cpu="0"]')).toContainText(/vCPU 0|v0 stale/);
  const named = await grid.locator('button[data-vm]').count();
  expect(named).toBeGreaterThan(200);
  // The timeline's rows and the matrix's columns have socket and node bands.
  for (const axis of ['band-axis-rows', 'band-axis-cols']) {
    const text = await page.getByTestId(axis).textContent();
    for (const band of ['S0', 'S1', 'N0', 'N1', 'N2', 'N3']) expect(text, `${axis} has ${band}`).toContain(band);
  }
  // Timeline labels are 11 px, at least 14 px apart.
  const ys = await page.getByTestId('band-axis-rows').locator('text.font-mono').evaluateAll((els) => els.map((e) => [Number(e.getAttribute('y')), Number(e.getAttribute('font-size'))]));
  expect(ys.length).toBeGreaterThan(10);
  for (let i = 1; i < ys.length; i++) expect((ys[i]?.[0] ?? 0) - (ys[i - 1]?.[0] ?? 0)).toBeGreaterThanOrEqual(14);
  expect(ys.every(([, size]) => size === 11)).toBe(true);
  // The matrix names its rows' VMs.
  await expect(page.getByTestId('matrix-vm-names')).toContainText('vm-00');
  await expect(page.getByTestId('matrix-vm-names')).toContainText('vm-63');
  await shot(page, 'big-host');
});

test('choosing a VM in the legend highlights only its cells on the grid, the timeline and the matrix; Escape clears it', async ({ page }) => {
  await openHost(page);
  const full = palette('dark');
  const mine = full[vmColorIndex(CHOSEN)] ?? '';
  const others = full.filter((c) => c !== mine);
  // Before: every VM in its full colour.
  const before = await pixelsOf(page, [mine, ...others]);
  expect(before.counts.slice(1).reduce((a, b) => a + b, 0), 'other VMs in full colour before choosing').toBeGreaterThan(1000);
  expect((await matrixPixels(page, full, 8)).others, 'matrix rows in full colour before choosing').toBeGreaterThan(100);

  await page.getByTestId('host-legend').locator(`button[data-vm="${CHOSEN}"]`).click();
  await expect(page).toHaveURL(new RegExp(`[?&]vm=${CHOSEN}`));
  const grid = page.getByTestId('topology-grid');
  // Grid: the chosen VM's cells and only those are highlighted; every other VM's cell is dimmed.
  // Read in one task of the page: a live frame may move a roaming vCPU off a cell between a query and a read.
  const cells = await grid.evaluate((g) => [...g.querySelectorAll('button[data-vm]')].map((e) => ({ vm: e.getAttribute('data-vm'), hl: e.getAttribute('data-highlight'), dim: e.getAttribute('data-dim') })));
  expect(cells.filter((c) => c.vm === CHOSEN).length).toBeGreaterThan(0);
  for (const c of cells) {
    if (c.vm === CHOSEN) expect(c, `a cell of ${CHOSEN}`).toEqual({ vm: CHOSEN, hl: '1', dim: null });
    else expect(c.hl === null && c.dim === '1', `a cell of ${c.vm} is dimmed`).toBe(true);
  }
  // Timeline: once redrawn, no other full palette colour is left, and the chosen VM's colour is only
  // in rows of pCPUs its vCPUs were on (same-coloured VMs are dimmed too).
  await expect.poll(async () => (await pixelsOf(page, [mine, ...others])).counts.slice(1).reduce((a, b) => a + b, 0), { timeout: 15_000 }).toBe(0);
  const after = await pixelsOf(page, [mine]);
  expect(after.counts[0], `pixels in ${CHOSEN}'s colour`).toBeGreaterThan(100);
  const allowed = await cpusOfVm(CHOSEN);
  expect(after.rows0.filter((cpu) => !allowed.has(cpu)), `rows in ${CHOSEN}'s colour where it never ran`).toEqual([]);
  // Matrix: vm-00's rows (the first 8, VMs by name) keep its colour; no other row has a full colour.
  await expect.poll(async () => (await matrixPixels(page, full, 8)).others, { timeout: 15_000 }).toBe(0);
  expect((await matrixPixels(page, [mine], 8)).chosen, `matrix pixels in ${CHOSEN}'s colour`).toBeGreaterThan(8);
  await expect(page.getByTestId('chosen-vm')).toContainText(CHOSEN);
  await shot(page, 'big-host-chosen');

  // Escape on the page clears the choice: no highlight, no dimming, the URL without vm.
  await page.locator('h1').click();
  await page.keyboard.press('Escape');
  await expect(page).not.toHaveURL(/[?&]vm=/);
  await expect(grid.locator('[data-highlight], [data-dim]')).toHaveCount(0);
  await expect.poll(async () => (await pixelsOf(page, others)).counts.reduce((a, b) => a + b, 0), { timeout: 15_000 }).toBeGreaterThan(1000);
});

test('the legend search and the VM list choose a VM too; the choice survives a reload', async ({ page }) => {
  await openHost(page);
  const search = page.getByRole('searchbox', { name: 'Find a VM' });
  await search.fill('vm-4');
  await expect(page.getByTestId('host-legend').locator('button[data-vm]')).toHaveCount(10); // vm-40 .. vm-49
  await search.press('Enter');
  await expect(page).toHaveURL(/[?&]vm=vm-40/);
  // Escape in a search box with text clears the text first, not the choice.
  await search.press('Escape');
  await expect(page).toHaveURL(/[?&]vm=vm-40/);
  await page.reload();
  await expect(page.getByTestId('topology-grid').locator('[data-highlight="1"]').first()).toHaveAttribute('data-vm', 'vm-40');
  // The VM list's Highlight button chooses another.
  await page.getByRole('button', { name: 'Highlight vm-07' }).click();
  await expect(page).toHaveURL(/[?&]vm=vm-07/);
  await expect(page.getByRole('button', { name: 'Highlight vm-07' })).toHaveAttribute('aria-pressed', 'true');
});

test('colouring by state is a switch in the URL and paints states, not VMs', async ({ page }) => {
  await openHost(page);
  await page.getByRole('radio', { name: 'state' }).check();
  await expect(page).toHaveURL(/[?&]color=state/);
  await expect(page.getByTestId('state-legend')).toContainText('off pin');
  const states = statePalette('dark');
  // VM colours that are not also state colours (both palettes draw on Okabe & Ito).
  const vms = palette('dark').filter((c) => !states.some((s) => s.toLowerCase() === c.toLowerCase()));
  expect(vms.length).toBeGreaterThan(5);
  await expect.poll(async () => (await pixelsOf(page, vms)).counts.reduce((a, b) => a + b, 0), { timeout: 15_000 }).toBe(0);
  const p = await pixelsOf(page, states);
  expect(p.counts[0], 'on-pin pixels').toBeGreaterThan(1000); // half the VMs are pinned
  expect(p.counts[2], 'unpinned pixels').toBeGreaterThan(1000); // the other half roam
  await page.reload();
  await expect(page.getByRole('radio', { name: 'state' })).toBeChecked();
  await shot(page, 'big-host-state');
});

test('zoom and pan go into the URL and survive a reload', async ({ page }) => {
  await openHost(page);
  const canvas = timeline(page);
  const all = Number(await canvas.getAttribute('data-view-columns'));
  await canvas.focus();
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  await page.keyboard.press('Shift+ArrowLeft');
  // The URL is written once the view settles (on a loaded machine, between two keys too): wait
  // until it names the view on screen.
  await expect
    .poll(async () => {
      const first = Number((await canvas.getAttribute('data-view'))?.split('~')[0]);
      return new URL(page.url()).searchParams.get('zfrom') === new Date(first).toISOString();
    })
    .toBe(true);
  await expect(page).toHaveURL(/zfrom=.*zto=/);
  const url = page.url();
  const view = await canvas.getAttribute('data-view');
  const columns = Number(await canvas.getAttribute('data-view-columns'));
  expect(columns).toBeLessThan(all / 3);
  await page.reload();
  await expect(canvas).toHaveAttribute('data-drawn-columns', /[1-9]/);
  expect(page.url()).toBe(url);
  await expect(canvas).toHaveAttribute('data-view', view ?? '');
  await expect(page.getByRole('button', { name: 'Reset zoom' })).toBeVisible();
  // Escape in the heatmap resets the zoom, and the URL follows.
  await canvas.focus();
  await page.keyboard.press('Escape');
  await expect(page).not.toHaveURL(/zfrom=/);
  // Every column in view again (live columns keep arriving, so compare with those drawn).
  await expect.poll(async () => (await canvas.getAttribute('data-view-columns')) === (await canvas.getAttribute('data-drawn-columns'))).toBe(true);
});

test('the topology grid is one tab stop with arrow keys inside', async ({ page }) => {
  await openHost(page);
  const grid = page.getByTestId('topology-grid');
  await expect(grid.locator('button[tabindex="0"]')).toHaveCount(1);
  await expect(grid.locator('button[tabindex="-1"]')).toHaveCount(255);
  await grid.locator('button[tabindex="0"]').focus();
  const first = await page.evaluate(() => document.activeElement?.getAttribute('data-cpu'));
  await page.keyboard.press('ArrowRight');
  const second = await page.evaluate(() => document.activeElement?.getAttribute('data-cpu'));
  expect(second).not.toBe(first);
  // Measured from the grid's top: the page above it (the violations table) changes while live.
  const yInGrid = () =>
    page.evaluate(() => (document.activeElement?.getBoundingClientRect().top ?? 0) - (document.querySelector('[data-testid=topology-grid]')?.getBoundingClientRect().top ?? 0));
  const y0 = await yInGrid();
  await page.keyboard.press('ArrowDown');
  const y1 = await yInGrid();
  expect(y1).toBeGreaterThan(y0);
  await expect(grid.locator('button[tabindex="0"]')).toHaveCount(1);
  const cpu = await page.evaluate(() => document.activeElement?.getAttribute('data-cpu'));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`[?&]cpu=${cpu}`));
  // Tab leaves the grid at once (one stop), for the next control after it.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.closest('[data-testid=topology-grid]') === null)).toBe(true);
});
