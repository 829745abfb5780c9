// bench:ui, fleet phase: the fleet (/) and wall (/wall) pages with a synthetic fleet of
// BENCH_FLEET_HOSTS (2,000) hosts of 64 pCPUs pushed into the built server
// (test/support/synthetic-fleet.ts), every host sending a frame each BENCH_FLEET_INTERVAL_S (5 s:
// 400 frames/s, which the server, this pusher and Chromium can share two cores with; the page's
// work per update hardly depends on it, the stream sends at most one event a second; 1 on a
// bigger machine)
// while measured, 5% of them with a tile that changes each frame. Prints:
//  - what goes over the wire: GET /api/v1/fleet, the `tiles` events of the stream (the first,
//    whole fleet, then the deltas), beside what re-reading /api/v1/fleet on each `fleet` event
//    (the way the pages worked before) would cost;
//  - per page, median of BENCH_LOADS navigations: time to first render (navigation start to the
//    page's first commit with tiles: the `vcpumap:fleet-ready` / `vcpumap:wall-ready` marks);
//  - per page, live for BENCH_LIVE_SECONDS: frame time (requestAnimationFrame intervals), the
//    work of a live update (event to commit, `vcpumap:fleet-update`), tiles touched per update
//    (DOM mutations, by tile), and main-thread tasks over 50 ms (Long Tasks API).
import type { Browser, Page } from 'playwright-core';
import { startFleetServer } from '../../test/support/fleet-server';
import { FleetPusher, pushEvery } from '../../test/support/fleet-pusher';
import { load, median, ms, pct } from './stats';
import { TaskTrace, taskText, type TaskFigures } from './task-trace';

const HOSTS = Number(process.env.BENCH_FLEET_HOSTS ?? 2000);
const INTERVAL_S = Number(process.env.BENCH_FLEET_INTERVAL_S ?? 5);

export interface FleetBenchOptions {
  readonly browser: Browser;
  readonly width: number;
  readonly height: number;
  readonly loads: number;
  readonly liveSeconds: number;
}

const kib = (x: number) => `${(x / 1024).toFixed(1)} KiB`;

/** The `tiles` events of the stream for `seconds`: their sizes and tile counts. */
async function streamSizes(url: string, seconds: number): Promise<{ sizes: number[]; tiles: number[] }> {
  const ctl = new AbortController();
  const res = await fetch(`${url}/api/v1/stream?view=tiles`, { signal: ctl.signal });
  const reader = res.body?.getReader();
  if (reader === undefined) throw new Error('no stream body');
  const sizes: number[] = [];
  const tiles: number[] = [];
  const dec = new TextDecoder();
  let buf = '';
  const stop = setTimeout(() => ctl.abort(), seconds * 1000);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = /^data: (.*)$/m.exec(ev)?.[1];
        if (!ev.includes('event: tiles') || data === undefined) continue;
        sizes.push(Buffer.byteLength(ev) + 2);
        tiles.push((JSON.parse(data) as { tiles: unknown[] }).tiles.length);
      }
    }
  } catch (err) {
    if (!(err instanceof Error && err.name === 'AbortError')) throw err;
  } finally {
    clearTimeout(stop);
  }
  return { sizes, tiles };
}

interface LiveFigures {
  frames: number[];
  updates: number[];
  touched: number[];
  longTasks: number[];
  rendered: number;
  trace: TaskFigures;
}

async function measureLive(page: Page, tileSelector: string, seconds: number): Promise<LiveFigures> {
  // tsx keeps function names with a helper the page does not have.
  await page.evaluate('window.__name = window.__name || ((f) => f)');
  await page.evaluate((sel) => {
    const w = window as unknown as { __bench: { frames: number[]; longTasks: number[]; touched: number[]; pending: Set<Element> } };
    w.__bench = { frames: [], longTasks: [], touched: [], pending: new Set() };
    const b = w.__bench;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t: number) => {
      b.frames.push(t - last);
      last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    // Tiles touched: the distinct tiles with a DOM change, counted per live update.
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.target instanceof Element ? r.target : r.target.parentElement;
        const tile = el?.closest(sel);
        if (tile) b.pending.add(tile);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    new PerformanceObserver((list) => {
      for (const _ of list.getEntries()) {
        b.touched.push(b.pending.size);
        b.pending.clear();
      }
    }).observe({ type: 'measure' });
    performance.clearMeasures('vcpumap:fleet-update');
  }, tileSelector);
  const trace = await TaskTrace.start(page);
  await page.waitForTimeout(seconds * 1000);
  const traced = await trace.stop();
  const figures = await page.evaluate((sel) => {
    const b = (window as unknown as { __bench: { frames: number[]; longTasks: number[]; touched: number[] } }).__bench;
    return {
      frames: b.frames.slice(1),
      updates: performance.getEntriesByName('vcpumap:fleet-update', 'measure').map((e) => e.duration),
      touched: b.touched,
      longTasks: b.longTasks,
      rendered: document.querySelectorAll(sel).length,
    };
  }, tileSelector);
  return { ...figures, trace: traced };
}

export async function benchFleet(o: FleetBenchOptions): Promise<void> {
  console.log('');
  console.log(`bench:ui fleet: ${HOSTS} hosts of 64 pCPUs (60 critical, 40 warning, 20 stale), a frame each ${INTERVAL_S} s per host; Chromium ${o.width}x${o.height}`);
  const t0 = performance.now();
  const fs = await startFleetServer({ hosts: HOSTS, critical: 60, warning: 40, stale: 20, pcpus: 64, vms: 8, churn: 0.05, seed: 11, intervalMs: INTERVAL_S * 1000 });
  console.log(`filled in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // A pusher of its own that makes each host's structure once: the bench process must not eat a core.
  const pusher = new FleetPusher({ url: fs.server.url, token: 'fleet-test-agent-token-0123456789' }, 200, true);
  const feeder = pushEvery(pusher, INTERVAL_S * 1000, (at) => fs.fleet.frames(at));
  const pushStart = performance.now();
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const fleetMs: number[] = [];
    let fleetBytes = 0;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      fleetBytes = (await (await fetch(`${fs.server.url}/api/v1/fleet`)).arrayBuffer()).byteLength;
      fleetMs.push(performance.now() - t);
    }
    const stream = await streamSizes(fs.server.url, 12);
    const [first, ...deltas] = stream.sizes;
    const perSecond = deltas.length === 0 ? NaN : deltas.reduce((a, b) => a + b, 0) / deltas.length;
    console.log(`GET /api/v1/fleet: ${kib(fleetBytes)} of JSON, median ${ms(median(fleetMs))}`);
    console.log(
      `stream ?view=tiles: first event ${kib(first ?? NaN)} (${stream.tiles[0] ?? '?'} tiles), then ${deltas.length} deltas: median ${kib(median(deltas))}, max ${kib(Math.max(...deltas))}, median ${median(stream.tiles.slice(1))} tiles each`,
    );
    console.log(`  per viewer: ${kib(perSecond)}/event, against ${kib(fleetBytes)}/event when each fleet event re-read /api/v1/fleet (x${(fleetBytes / perSecond).toFixed(0)})`);

    for (const [name, path, mark, tileSel] of [
      ['fleet /', '/', 'vcpumap:fleet-ready', '[data-testid=host-tile]'],
      ['wall /wall', '/wall', 'vcpumap:wall-ready', '[data-testid=wall-tile], [data-testid=wall-more], [data-testid=wall-band]'],
    ] as const) {
      const page = await o.browser.newPage({ viewport: { width: o.width, height: o.height } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      const first: number[] = [];
      const html: number[] = [];
      for (let i = 0; i < o.loads; i++) {
        await page.goto(fs.server.url + path);
        await page.waitForFunction((m) => performance.getEntriesByName(m).length > 0, mark, { timeout: 60_000 });
        const t = await page.evaluate((m) => {
          const nav = performance.getEntriesByType('navigation')[0];
          return { ready: performance.getEntriesByName(m)[0]?.startTime ?? NaN, html: nav instanceof PerformanceNavigationTiming ? nav.responseEnd : NaN, bytes: nav instanceof PerformanceNavigationTiming ? nav.transferSize : NaN };
        }, mark);
        first.push(t.ready);
        html.push(t.html);
      }
      const loadFirst = load();
      const live = await measureLive(page, tileSel, o.liveSeconds);
      const longest = live.longTasks.length === 0 ? 0 : Math.max(...live.longTasks);
      console.log(`${name}:`);
      console.log(`  time to first render, ${o.loads} loads: median ${ms(median(first))} [${first.map((x) => x.toFixed(0)).join(', ')}] (HTML done at ${ms(median(html))})   target < 1500 ms   ${loadFirst}`);
      console.log(`  frame time while live (${live.frames.length} frames): median ${ms(median(live.frames))}, p95 ${ms(pct(live.frames, 0.95))}, max ${ms(Math.max(...live.frames))}`);
      console.log(`  live update, event to commit (${live.updates.length} updates): median ${ms(median(live.updates))}, p95 ${ms(pct(live.updates, 0.95))}, max ${ms(Math.max(...live.updates))}`);
      console.log(`  tiles touched per update: median ${median(live.touched)}, max ${Math.max(0, ...live.touched)}; tiles in the DOM: ${live.rendered} for ${HOSTS} hosts`);
      console.log(`  long tasks (> 50 ms) while live for ${o.liveSeconds} s: ${live.longTasks.length}, longest ${live.longTasks.length === 0 ? 'none' : ms(longest)}   target none (no task over 50 ms)   ${load()}`);
      console.log(`  ${taskText(live.trace)}   target none over 50 ms`);
      if (errors.length > 0) console.log(`  browser errors: ${errors.slice(0, 3).join(' | ')}`);
      await page.close();
    }
    const rate = pusher.stored / ((performance.now() - pushStart) / 1000);
    console.log(`frames stored while measuring: ${pusher.stored}, ${rate.toFixed(0)}/s of ${(HOSTS - 20) / INTERVAL_S}/s sent for (${pusher.retries} retries)${feeder.errors.length > 0 ? `; push errors: ${feeder.errors[0]?.message}` : ''}`);
  } finally {
    await feeder.stop();
    await fs.stop();
  }
}
