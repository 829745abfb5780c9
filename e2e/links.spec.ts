// Links that tell the truth: a link to a past window unfurls with that window's picture and
// counts, at VCPUMAP_PUBLIC_URL; Share copies such a link; the picture keeps the viewer-token rule.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startFleetServer, type FleetServer } from '../test/support/fleet-server';
import { expectNoProblems, shot, watchPage } from './fleet-support';

const PUBLIC = 'https://vcpumap.example.test:8443/ops';
const SHOTS = path.resolve(import.meta.dirname, '../test-results/screenshots');
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let fs: FleetServer;
let host: string;
let t0: number; // the critical window ends here; the host has been clean since
const problems: string[] = [];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  fs = await startFleetServer({ hosts: 1, critical: 1, prefix: 'hv-link' }, { VCPUMAP_PUBLIC_URL: `${PUBLIC}/` });
  const h = fs.fleet.hosts[0];
  if (h === undefined) throw new Error('no host');
  host = h.name;
  // Ten minutes critical (one frame each 5 s), then ten minutes clean up to now.
  const now = Date.now();
  t0 = now - 10 * 60_000;
  const frames = [];
  for (let at = now - 20 * 60_000; at <= now; at += 5000) {
    h.state = at <= t0 ? 'critical' : 'clean';
    frames.push(fs.fleet.frame(h, at));
  }
  await fs.pusher.push(frames);
});

test.afterAll(async () => {
  await fs?.stop();
});

test.beforeEach(({ page }) => watchPage(page, problems));
test.afterEach(() => expectNoProblems(problems));

async function meta(page: Page, key: string): Promise<string> {
  const v = await page.locator(`meta[property="${key}"], meta[name="${key}"]`).first().getAttribute('content');
  if (v === null) throw new Error(`no ${key}`);
  return v;
}

/** The image at a public URL, fetched from the test server (the public host does not exist). */
async function fetchImage(publicUrl: string, server = fs.server.url, init?: RequestInit): Promise<Response> {
  expect(publicUrl.startsWith(`${PUBLIC}/`), `${publicUrl} under ${PUBLIC}`).toBe(true);
  return fetch(`${server}${publicUrl.slice(PUBLIC.length)}`, init);
}

async function png(res: Response): Promise<Buffer> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/png');
  const bytes = Buffer.from(await res.arrayBuffer());
  expect([...bytes.subarray(0, 8)]).toEqual(PNG);
  return bytes;
}

test('a past-window link unfurls with that window: its own image, its counts, under VCPUMAP_PUBLIC_URL', async ({ page }) => {
  const from = new Date(t0 - 8 * 60_000).toISOString();
  const to = new Date(t0 - 30_000).toISOString();
  await page.goto(`${fs.server.url}/hosts/${host}?from=${from}&to=${to}`);
  await expect(page.getByTestId('violations-table')).toBeVisible();
  const pastImage = await meta(page, 'og:image');
  const pastDescription = await meta(page, 'og:description');
  expect(pastDescription).toContain(host);
  expect(pastDescription).toContain(`${from.slice(0, 10)} ${from.slice(11, 19)}Z to ${to.slice(11, 19)}Z`);
  expect(pastDescription).toContain('2 critical violations in force at');
  expect(await meta(page, 'og:url')).toBe(`${PUBLIC}/hosts/${host}?from=${from}&to=${to}`);
  expect(await meta(page, 'twitter:image')).toBe(pastImage);
  expect(await meta(page, 'twitter:card')).toBe('summary_large_image');
  const past = await png(await fetchImage(pastImage));

  await page.goto(`${fs.server.url}/hosts/${host}`);
  const liveImage = await meta(page, 'og:image');
  expect(await meta(page, 'og:description')).toContain('no violations in force now');
  expect(liveImage).not.toBe(pastImage);
  const now = await png(await fetchImage(liveImage));
  expect(past.equals(now)).toBe(false);
  await test.info().attach('preview-past-window', { body: past, contentType: 'image/png' });
  await test.info().attach('preview-live', { body: now, contentType: 'image/png' });
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(path.join(SHOTS, 'preview-past-window.png'), past);
  writeFileSync(path.join(SHOTS, 'preview-live.png'), now);

  // Another window, another address (a chat caches images by address).
  await page.goto(`${fs.server.url}/hosts/${host}?from=${new Date(t0 - 9 * 60_000).toISOString()}&to=${to}`);
  expect(await meta(page, 'og:image')).not.toBe(pastImage);
});

test('Share freezes the live window and copies a link at the public address that opens the same window', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto(`${fs.server.url}/hosts/${host}`);
  await expect(page.locator('[data-testid=host-timeline] canvas[data-drawn-columns]')).toBeVisible();
  await page.getByRole('button', { name: 'Share' }).click();
  await expect(page.getByTestId('share-link')).toContainText('Link copied');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link.startsWith(`${PUBLIC}/hosts/${host}?from=`)).toBe(true);
  const u = new URL(link);
  expect(u.searchParams.get('to')).not.toBeNull();
  expect(u.searchParams.get('token')).toBeNull();
  await page.goto(`${fs.server.url}${u.pathname.slice('/ops'.length)}${u.search}`);
  await expect(page.locator('[data-connection=paused]')).toBeVisible();
  expect(await meta(page, 'og:image')).toContain(`from=${Date.parse(u.searchParams.get('from') ?? '')}`);
  await shot(page, 'host-shared-link');
});

test('the preview image keeps the viewer-token rule; without VCPUMAP_PUBLIC_URL the request host stands in, with one warning', async ({ page }) => {
  const token = 'links-viewer-token-0123456789';
  const guarded = await startFleetServer({ hosts: 1, critical: 1, prefix: 'hv-tok' }, { VCPUMAP_VIEWER_TOKEN: token });
  try {
    const h = guarded.fleet.hosts[0]?.name ?? '';
    const image = `${guarded.server.url}/api/v1/hosts/${h}/preview`;
    expect((await fetch(image)).status).toBe(401);
    await png(await fetch(`${image}?token=${token}`));
    await png(await fetch(image, { headers: { cookie: `vcpumap_token=${token}` } }));
    await png(await fetch(image, { headers: { authorization: `Bearer ${token}` } }));
    expect((await fetch(`${image}?token=wrong-token-0123456789`)).status).toBe(401);

    // Without the token a page says nothing of the host, not even in its preview.
    await page.goto(`${guarded.server.url}/hosts/${h}`);
    await expect(page.getByText('This server needs a viewer token.')).toBeVisible();
    await expect(page.locator('meta[property="og:image"]')).toHaveCount(0);
    expect(await page.locator('meta[name=description]').getAttribute('content')).not.toContain(h);
    // With ?token= the page's preview carries it, so that the chat (which fetches the page as
    // HTML, as here) can fetch the picture.
    const html = await (await fetch(`${guarded.server.url}/hosts/${h}?token=${token}`)).text();
    const og = /<meta property="og:image" content="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect(og.startsWith(`${guarded.server.url}/api/v1/hosts/${h}/preview?`)).toBe(true);
    expect(new URL(og).searchParams.get('token')).toBe(token);
    await png(await fetch(og));
    await fetch(`${guarded.server.url}/hosts/${h}?token=${token}`);
    expect(guarded.server.log().match(/VCPUMAP_PUBLIC_URL is not set/g)).toHaveLength(1);
  } finally {
    await page.goto('about:blank');
    await guarded.stop();
  }
});
