import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewerMayRead, webTokenSource } from './viewer';
import { loadConfig } from '../config';
import { pageTokenSource } from '../page-access';
import { getPreviewImage } from '../preview/preview-image';
import type { Runtime } from '../runtime';
import { openStore, type FrameStore } from '../store/store';
import { FrameSplitter } from '../../wire/frame';
import { hostFrames } from '../../../test/support/snapshot-factory';

const TOKEN = 'viewer-test-token-0123456789 %/';
const guarded = { viewerToken: TOKEN };
const open = { viewerToken: undefined };
const noHeaders = () => null;
const cookie = (value: string) => (n: string) => (n === 'cookie' ? `theme=dark; vcpumap_token=${value}` : null);

describe('one viewer-token rule for pages, the API and the preview image', () => {
  it('a page: its ?token=, or the cookie the token form sets (URI-encoded)', () => {
    expect(viewerMayRead({ viewerToken: 'bearer-token' }, pageTokenSource({}, (n) => (n === 'authorization' ? 'Bearer bearer-token' : null)))).toBe(true);
    expect(viewerMayRead(guarded, pageTokenSource({ token: TOKEN }, noHeaders))).toBe(true);
    expect(viewerMayRead(guarded, pageTokenSource({}, cookie(encodeURIComponent(TOKEN))))).toBe(true);
    expect(viewerMayRead(guarded, pageTokenSource({}, noHeaders))).toBe(false);
    expect(viewerMayRead(guarded, pageTokenSource({ token: 'wrong' }, noHeaders))).toBe(false);
    expect(viewerMayRead(guarded, pageTokenSource({ token: [TOKEN, TOKEN] }, noHeaders))).toBe(false); // ambiguous: none
    expect(viewerMayRead(open, pageTokenSource({}, noHeaders))).toBe(true);
  });

  it('a page and an API request presenting the same token get the same answer', () => {
    for (const [q, h] of [
      [TOKEN, noHeaders],
      ['wrong', cookie(encodeURIComponent(TOKEN))],
      [null, cookie(encodeURIComponent(TOKEN))],
      [null, cookie('wrong')],
    ] as const) {
      const req = new Request(`http://x/api/v1/hosts${q === null ? '' : `?${new URLSearchParams({ token: q }).toString()}`}`, { headers: h('cookie') === null ? {} : { cookie: h('cookie') ?? '' } });
      expect(viewerMayRead(guarded, pageTokenSource(q === null ? {} : { token: q }, h))).toBe(viewerMayRead(guarded, webTokenSource(req)));
    }
  });
});

describe('the preview image (GET /api/v1/hosts/{host}/preview) keeps the rule', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-viewer-'));
  const KEY = Symbol.for('vcpumap.runtime');
  const holder = globalThis as { [KEY]?: Promise<Runtime> };
  let store: FrameStore;

  beforeAll(async () => {
    store = await openStore({ dataDir: dir });
    const splitter = new FrameSplitter();
    await store.ingest(hostFrames({ host: 'hv-og', seed: 1 }, 2).map((f) => splitter.split(f)));
    const config = { ...loadConfig({ NODE_ENV: 'test', VCPUMAP_DATA_DIR: dir }), viewerToken: TOKEN };
    // Only config and store are read by the preview route.
    holder[KEY] = Promise.resolve({ config, store } as Runtime);
  });
  afterAll(async () => {
    delete holder[KEY];
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const image = (query: string, headers: Record<string, string> = {}) => getPreviewImage(new Request(`http://x/api/v1/hosts/hv-og/preview${query}`, { headers }), 'hv-og');

  it('honours ?token= as the page does, and the cookie; refuses none or a wrong one', async () => {
    const q = `?${new URLSearchParams({ token: TOKEN }).toString()}`;
    const ok = await image(q);
    expect([ok.status, ok.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect([...new Uint8Array(await ok.arrayBuffer()).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(ok.headers.get('cache-control')).toBe('private, max-age=30');
    expect((await image('', { cookie: `vcpumap_token=${encodeURIComponent(TOKEN)}` })).status).toBe(200);
    expect((await image('')).status).toBe(401);
    expect((await image('?token=wrong')).status).toBe(401);
    // The page gives its preview the token it was opened with: both follow the same rule.
    expect(viewerMayRead(guarded, pageTokenSource({ token: TOKEN }, noHeaders))).toBe(true);
  });
});
