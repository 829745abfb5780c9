// The fleet page with a synthetic fleet: most urgent first (critical count, then warnings, then
// stale), warnings in amber, the kinds and the matched VM on the tile, an empty result that says
// so and clears, relative times that read right, and a grid that renders only what is near.
import { expect, test } from '@playwright/test';
import type { Snapshot, Violation } from '../lib/model/snapshot';
import { pushEvery } from '../test/support/fleet-pusher';
import { startFleetServer, type FleetServer } from '../test/support/fleet-server';
import { expectNoProblems, shot, watchPage } from './fleet-support';

let fs: FleetServer;
let live: { stop(): Promise<void>; errors: Error[] };
const problems: string[] = [];
let names: string[];

/** One more violation of a kind and severity on a host's frame. */
function extra(s: Snapshot, n: number, kind: Violation['kind'], severity: Violation['severity']): Snapshot {
  const vm = s.vms[0]?.name ?? 'vm';
  const more = Array.from({ length: n }, (_, i): Violation => ({ id: `${kind}|${vm}|x${i}`, kind, severity, vm, vms: [vm], pcpus: [4 + i], message: 'synthetic', fix: null, since: s.at - 1000, lastSeen: s.at }));
  return { ...s, violations: [...s.violations, ...more] };
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  fs = await startFleetServer({ hosts: 120, critical: 3, warning: 4, stale: 2 });
  names = fs.fleet.hosts.map((h) => h.name);
  // hosts 0-2 critical (2 each; host 2 gets a third), 3-6 warning (host 3 with 5), 7-8 stale.
  const shape = (frames: readonly Snapshot[]) =>
    frames.map((f) => (f.host === names[2] ? extra(f, 1, 'shared-dedicated', 'critical') : f.host === names[3] ? extra(f, 4, 'numa-split', 'warning') : f));
  live = pushEvery(fs.pusher, 1000, (at) => shape(fs.fleet.frames(at)));
  await expect.poll(async () => ((await (await fetch(`${fs.server.url}/api/v1/fleet`)).json()) as { host: string; critical: number }[]).find((t) => t.host === names[2])?.critical).toBe(3);
});

test.afterAll(async () => {
  await live?.stop();
  await fs?.stop();
});

test.beforeEach(({ page }) => watchPage(page, problems));
test.afterEach(() => expectNoProblems(problems));

/** The hue of a lab(), oklch() or rgb() colour, degrees (Tailwind 4's colours compute as lab or oklch). */
function hue(css: string): number {
  const lab = /^(?:ok)?lab\(\s*[\d.]+%?\s+(-?[\d.]+)\s+(-?[\d.]+)/.exec(css);
  if (lab !== null) return ((Math.atan2(Number(lab[2]), Number(lab[1])) * 180) / Math.PI + 360) % 360;
  const ok = /^oklch\(\s*[\d.]+%?\s+[\d.]+\s+([\d.]+)/.exec(css);
  if (ok !== null) return Number(ok[1]);
  const m = /^rgba?\((\d+), (\d+), (\d+)/.exec(css);
  if (m === null) throw new Error(`unreadable colour ${css}`);
  const [r, g, b] = [Number(m[1]) / 255, Number(m[2]) / 255, Number(m[3]) / 255];
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return (h * 60 + 360) % 360;
}

test('the fleet sorts by severity: critical count, then warnings, then stale; warnings amber, kinds on the tile', async ({ page }) => {
  await page.goto(fs.server.url + '/');
  await expect(page.locator('[data-connection=live]')).toBeVisible();
  await expect(page.getByTestId('fleet-count')).toHaveText('120 of 120 hosts');
  const expected = [names[2], names[0], names[1], names[3], names[4], names[5], names[6], names[7], names[8]];
  await expect.poll(async () => (await page.locator('[data-testid=host-tile]').evaluateAll((els) => els.slice(0, 9).map((e) => e.getAttribute('data-host'))))).toEqual(expected);

  const crit = page.locator(`[data-testid=host-tile][data-host="${names[2]}"]`);
  const warn = page.locator(`[data-testid=host-tile][data-host="${names[3]}"]`);
  const stale = page.locator(`[data-testid=host-tile][data-host="${names[7]}"]`);
  await expect(crit).toHaveAttribute('data-look', 'critical');
  await expect(warn).toHaveAttribute('data-look', 'warning');
  await expect(stale).toHaveAttribute('data-look', 'stale');
  await expect(crit.getByTestId('tile-violations')).toHaveText('▲ 3 critical');
  await expect(warn.getByTestId('tile-violations')).toHaveText('△ 5 warnings');
  await expect(crit.getByTestId('tile-kinds')).toHaveText('affinity-drift, off-pin, shared-dedicated');
  await expect(warn.getByTestId('tile-kinds')).toHaveText('numa-split, smt-sibling-shared');
  await expect(stale.getByTestId('tile-age')).toHaveText(/^unknown, last seen \d+ min ago$/);
  const colours = async (sel: string) => page.locator(sel).first().evaluate((a) => ({ border: getComputedStyle(a).borderTopColor, text: getComputedStyle(a.querySelector('[data-testid=tile-violations]') ?? a).color }));
  const w = await colours(`[data-testid=host-tile][data-host="${names[3]}"] a`);
  const c = await colours(`[data-testid=host-tile][data-host="${names[2]}"] a`);
  for (const x of [w.border, w.text]) expect(hue(x), `amber: ${x}`).toBeGreaterThan(45);
  for (const x of [w.border, w.text]) expect(hue(x), `amber: ${x}`).toBeLessThan(100);
  for (const x of [c.border, c.text]) expect(hue(x) < 40 || hue(x) > 340, `red: ${x}`).toBe(true);

  // Relative times that read: never "now ago".
  await expect(page.locator('main')).not.toContainText('now ago');
  for (const age of await page.getByTestId('tile-age').allTextContents()) expect(age).toMatch(/^(just now|\d+ s ago|unknown, last seen \d+ min ago)$/);
  await shot(page, 'fleet-severity');
});

test('a search by VM shows the matched VM on its tile; one that matches nothing says so and clears', async ({ page }) => {
  const vm = `batch-${(names[5] ?? '').slice(-4)}`;
  await page.goto(fs.server.url + '/');
  await page.getByRole('searchbox').fill(vm);
  await expect(page).toHaveURL(new RegExp(`q=${vm}`));
  const tiles = page.getByTestId('host-tile');
  await expect(tiles).toHaveCount(1);
  await expect(tiles.first()).toHaveAttribute('data-host', names[5] ?? '');
  await expect(tiles.first().getByTestId('tile-match')).toHaveText(`VM match: ${vm}`);
  await expect(tiles.first().locator('mark')).toHaveText(vm);

  await page.getByRole('searchbox').fill('zzz-nothing');
  const empty = page.getByTestId('fleet-empty');
  await expect(empty).toHaveText('No host matches “zzz-nothing” (clear filters).');
  await expect(tiles).toHaveCount(0);
  await page.reload();
  await expect(empty).toBeVisible();
  await page.getByRole('button', { name: 'clear filters' }).click();
  await expect(page).not.toHaveURL(/q=/);
  await expect(page.getByRole('searchbox')).toHaveValue('');
  await expect(page.getByTestId('fleet-count')).toHaveText('120 of 120 hosts');
});

test('the grid renders the rows near the screen only, and the rest as the page scrolls', async ({ page }) => {
  await page.goto(fs.server.url + '/?sort=host');
  await expect(page.getByTestId('host-tile').first()).toHaveAttribute('data-host', [...names].sort()[0] ?? '');
  const rendered = await page.getByTestId('host-tile').count();
  expect(rendered).toBeLessThan(120);
  expect(rendered).toBeGreaterThan(0);
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  const last = [...names].sort().at(-1) ?? '';
  await expect(page.locator(`[data-testid=host-tile][data-host="${last}"]`)).toBeVisible();
  await expect(page.locator(`[data-testid=host-tile][data-host="${last}"]`)).toHaveAttribute('aria-posinset', '120');
});
