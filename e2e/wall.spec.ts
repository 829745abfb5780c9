// The wall with a synthetic fleet of 500 hosts pushed through the ingest API: every host in
// violation and every stale host named whole at the size the screen calls for, clean hosts folded,
// no scrollbar; and the wall through two server restarts without a reload.
import { expect, test, type Page } from '@playwright/test';
import { startFleetServer, type FleetServer } from '../test/support/fleet-server';
import { expectNoProblems, scrollOverflow, shot, watchPage } from './fleet-support';

const SPEC = { hosts: 500, critical: 40, warning: 25, stale: 15, pcpus: 16 };

let fs: FleetServer;
let live: { stop(): Promise<void>; errors: Error[] };
const problems: string[] = [];
let allowed: RegExp[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  fs = await startFleetServer(SPEC);
  live = fs.live(1000);
});

test.afterAll(async () => {
  await fs?.stop();
  expect(live?.errors ?? [], 'pushing the fleet').toEqual([]);
});

test.beforeEach(({ page }) => watchPage(page, problems, () => allowed));
test.afterEach(() => {
  allowed = [];
  expectNoProblems(problems);
});

interface NameBox {
  host: string;
  state: string;
  fontPx: number;
  overflowX: number; // scrollWidth - clientWidth of the name
  ellipsis: boolean;
  inside: boolean; // the name's box inside its tile and the tile inside the viewport
  status: string;
}

async function wallNames(page: Page): Promise<NameBox[]> {
  return page.locator('[data-testid=wall-tile]').evaluateAll((tiles) =>
    tiles.map((tile) => {
      const name = tile.querySelector('[data-testid=wall-name]');
      if (!(name instanceof HTMLElement)) throw new Error('a wall tile without a name');
      const cs = getComputedStyle(name);
      const t = tile.getBoundingClientRect();
      const n = name.getBoundingClientRect();
      const inside = n.left >= t.left - 0.5 && n.right <= t.right + 0.5 && n.top >= t.top - 0.5 && n.bottom <= t.bottom + 0.5 && t.left >= 0 && t.top >= 0 && t.right <= innerWidth && t.bottom <= innerHeight;
      return {
        host: tile.getAttribute('data-host') ?? '',
        state: tile.getAttribute('data-state') ?? '',
        fontPx: parseFloat(cs.fontSize),
        overflowX: name.scrollWidth - name.clientWidth,
        ellipsis: cs.textOverflow === 'ellipsis',
        inside,
        status: tile.querySelector('[data-testid=wall-status]')?.textContent ?? '',
      };
    }),
  );
}

for (const [w, h, minPx] of [
  [1920, 1080, 18],
  [3840, 2160, 36],
] as const) {
  test(`the wall names every host in violation and every stale host whole at ${minPx} px or more on ${w}x${h}, without scrollbars`, async ({ page }) => {
    await page.setViewportSize({ width: w, height: h });
    await page.goto(fs.server.url + '/wall');
    await expect(page.locator('[data-connection=live]')).toBeVisible();
    const attention = SPEC.critical + SPEC.warning + SPEC.stale;
    await expect(page.locator('[data-testid=wall-tile]:not([data-state=clean])')).toHaveCount(attention);
    await expect(page.getByTestId('wall-more')).toHaveCount(0);

    const names = (await wallNames(page)).filter((n) => n.state !== 'clean');
    expect(new Set(names.map((n) => n.host))).toEqual(new Set([...fs.fleet.names('critical'), ...fs.fleet.names('warning'), ...fs.fleet.names('stale')]));
    for (const n of names) {
      expect(n.fontPx, `font of ${n.host}`).toBeGreaterThanOrEqual(minPx);
      expect(n.overflowX, `overflow of ${n.host}`).toBeLessThanOrEqual(0);
      expect(n.ellipsis, `ellipsis on ${n.host}`).toBe(false);
      expect(n.inside, `${n.host} inside its tile and the screen`).toBe(true);
    }
    // Critical first, then warnings, then unknown: in reading order.
    const order = names.map((n) => n.state);
    expect(order).toEqual([...order].sort((a, b) => ['critical', 'warning', 'unknown'].indexOf(a) - ['critical', 'warning', 'unknown'].indexOf(b)));
    for (const n of names.filter((x) => x.state === 'unknown')) expect(n.status).toMatch(/^unknown, last seen \d+ min ago$/);
    for (const n of names) expect(n.status).not.toMatch(/\bok\b/);
    // The clean hosts are folded: a band of squares or a count, not 420 tiles.
    await expect(page.getByTestId('wall-clean')).toContainText(`${SPEC.hosts - attention} clean hosts`);
    expect(await scrollOverflow(page)).toEqual({ x: 0, y: 0 });
    await shot(page, `wall-500-${w}x${h}`);
  });
}

test('the wall rides out two server restarts without a reload: one banner, tiles keep their state, then live again', async ({ page }) => {
  test.setTimeout(240_000);
  // The browser logs the refused connections of the stream while the server is down.
  allowed = [/ERR_CONNECTION_REFUSED|Failed to load resource|EventSource|503/i];
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(fs.server.url + '/wall');
  await expect(page.locator('[data-connection=live]')).toBeVisible();
  const attention = SPEC.critical + SPEC.warning + SPEC.stale;
  await expect(page.locator('[data-testid=wall-tile]:not([data-state=clean])')).toHaveCount(attention);
  const states = async () => Object.fromEntries((await wallNames(page)).map((n) => [n.host, n.state]));
  const before = await states();
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  for (const round of [1, 2]) {
    await fs.server.stop();
    const banner = page.getByTestId('wall-banner');
    await expect(banner).toBeVisible({ timeout: 15_000 });
    await expect(banner).toHaveText(/^disconnected, data as of \d\d:\d\d$/);
    await expect(page.getByText(/disconnected/)).toHaveCount(1); // one banner, not one per tile
    // Longer than a host needs to turn stale (5 s): judged against the data's time, none does.
    await page.waitForTimeout(8000);
    expect(await states(), `states while disconnected (round ${round})`).toEqual(before);
    await expect(page.getByTestId('wall-clean')).toContainText(`${SPEC.hosts - attention} clean hosts`);
    if (round === 1) await shot(page, 'wall-disconnected');
    await fs.server.restart();
    await expect(page.locator('[data-connection=live]')).toBeVisible({ timeout: 30_000 });
    await expect(banner).toHaveCount(0);
    // Fresh frames again: every reporting host back to what it was, the stale ones still unknown.
    await expect.poll(states, { timeout: 30_000 }).toEqual(before);
  }
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  expect(await scrollOverflow(page)).toEqual({ x: 0, y: 0 });
});
