// npm run bench:ui: the dashboard in Debian's Chromium with a big host. Replays 15 minutes of 1 Hz
// frames of a synthetic 256-pCPU / 512-vCPU host (scripts/bench-ui/synthetic-host.ts) into the
// built server, then measures in the browser:
//  - time to first heatmap: navigation start to the host timeline's last chunk drawn (the
//    `vcpumap:heatmap-ready` mark), median of BENCH_LOADS navigations;
//  - per live frame (one pushed per second for BENCH_LIVE_SECONDS): the heatmap redraw (the
//    `vcpumap:heatmap-redraw` measures: drawing the new column and copying the window) and the
//    whole main-thread work of the frame (SSE message to the end of its longest task);
//  - the longest main-thread task while live (Long Tasks API);
//  - first-load JavaScript of each page (script bytes over the wire and decoded).
// Then the fleet and wall pages with 2,000 hosts (scripts/bench-ui/fleet.ts), then time to ready
// after a restart with 1 GB of data (scripts/bench-startup.ts).
// Knobs: BENCH_LOADS (5), BENCH_CPU_LOADS (3: traced loads for the main-thread CPU figure), BENCH_LIVE_SECONDS (30), BENCH_WIDTH x BENCH_HEIGHT (1920 x 1080),
// BENCH_PROFILE=1 prints the functions with the most self time in the browser in one load to the first heatmap and while live,
// BENCH_ONLY=host, fleet or startup runs one phase (startup: bench-startup.ts, time to ready after a restart with 1 GB); BENCH_FLEET_HOSTS, BENCH_FLEET_INTERVAL_S.
import { writeFileSync } from 'node:fs';
import { printProfile } from './bench-common';
import { startupFigures } from './bench-startup';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../playwright.config';
import { pushFrames } from '../test/integration/helpers/push-frames';
import { startServer } from '../test/integration/helpers/server';
import { benchFleet } from './bench-ui/fleet';
import { load, median, ms, pct } from './bench-ui/stats';
import { TaskTrace, taskText } from './bench-ui/task-trace';
import { SyntheticHost, VCPUS_PER_VM, VMS } from './bench-ui/synthetic-host';

const LOADS = Number(process.env.BENCH_LOADS ?? 5);
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 30);
const WIDTH = Number(process.env.BENCH_WIDTH ?? 1920);
const HEIGHT = Number(process.env.BENCH_HEIGHT ?? 1080);
const TOKEN = 'bench-ui-token-0123456789abcdef';
const HOST = 'hv-bench-256';
const HISTORY_S = 900;
const BATCH = 8;
const CPU_LOADS = Number(process.env.BENCH_CPU_LOADS ?? 3);

const kb = (x: number) => `${(x / 1024).toFixed(0)} KiB`;

async function scriptBytes(page: Page): Promise<{ transfer: number; decoded: number; files: number }> {
  return page.evaluate(() => {
    let transfer = 0;
    let decoded = 0;
    let files = 0;
    for (const e of performance.getEntriesByType('resource')) {
      if (!(e instanceof PerformanceResourceTiming) || e.initiatorType !== 'script') continue;
      transfer += e.transferSize;
      decoded += e.decodedBodySize;
      files++;
    }
    return { transfer, decoded, files };
  });
}

interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly ts: number;
  readonly dur?: number;
  readonly tdur?: number;
  readonly tid: number;
  readonly pid: number;
  readonly args?: { name?: string };
}

/** The trace events (devtools.timeline, user timing) of what `during` does. */
async function collectTrace(cdp: import('playwright-core').CDPSession, during: () => Promise<unknown>): Promise<TraceEvent[]> {
  const events: TraceEvent[] = [];
  let complete = (): void => {};
  const done = new Promise<void>((r) => (complete = r));
  const onEvent = ({ method, params }: { method: string; params?: object }): void => {
    if (method === 'Tracing.dataCollected' && params !== undefined && 'value' in params && Array.isArray(params.value)) events.push(...(params.value as TraceEvent[]));
    if (method === 'Tracing.tracingComplete') complete();
  };
  cdp.on('event', onEvent);
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing'] } });
  await during();
  await cdp.send('Tracing.end');
  await done;
  cdp.off('event', onEvent);
  return events;
}

/** The events of the renderer main thread with the most work (the page's). */
function pageMainThread(events: readonly TraceEvent[]): TraceEvent[] {
  const mains = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const busy = new Map<string, number>();
  for (const e of events) if (e.name === 'RunTask' && mains.has(`${e.pid}:${e.tid}`)) busy.set(`${e.pid}:${e.tid}`, (busy.get(`${e.pid}:${e.tid}`) ?? 0) + (e.dur ?? 0));
  const main = [...busy].sort((a, b) => b[1] - a[1])[0]?.[0];
  return events.filter((e) => `${e.pid}:${e.tid}` === main);
}

/**
 * CPU time of the page's main thread (the trace's thread clock, which a busy machine does not
 * stretch as it does wall time) from navigation start to each mark of a load: what the page itself
 * costs, beside the wall-clock figures.
 */
function loadCpu(events: readonly TraceEvent[], marks: readonly string[]): Record<string, number> | null {
  const nav = events.find((e) => e.name === 'navigationStart');
  if (nav === undefined) return null;
  const at = marks.map((m) => events.find((e) => e.name === m)?.ts);
  const tasks = pageMainThread(events).filter((e) => e.name === 'RunTask' && e.ph === 'X' && e.ts >= nav.ts);
  const out: Record<string, number> = {};
  let from = nav.ts;
  marks.forEach((m, i) => {
    const to = at[i];
    if (to === undefined) return;
    out[m.replace(/^vcpumap:/, '')] = tasks.filter((e) => e.ts >= from && e.ts < to).reduce((s, e) => s + (e.tdur ?? 0), 0) / 1000;
    from = to;
  });
  return out;
}

/** Main-thread time by trace event name over 10 s of live frames (devtools.timeline). */
async function printTrace(cdp: import('playwright-core').CDPSession, during: () => Promise<unknown> = () => new Promise((r) => setTimeout(r, 10_000)), title = 'main-thread trace over 10 s live'): Promise<void> {
  const events = await collectTrace(cdp, during);
  // BENCH_TRACE_OUT=file.json keeps the traces as file-load.json and file-live.json (Chrome trace format: Perfetto opens it).
  if (process.env.BENCH_TRACE_OUT) writeFileSync(process.env.BENCH_TRACE_OUT.replace(/(\.json)?$/, `-${title.includes('load') ? 'load' : 'live'}.json`), JSON.stringify({ traceEvents: events }));
  const byName = new Map<string, number>();
  for (const e of pageMainThread(events)) {
    if (e.ph !== 'X' || e.dur === undefined) continue;
    byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur / 1000);
  }
  console.log(`${title} (inclusive ms by event):`);
  for (const [k, v] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 16)) console.log(`  ${v.toFixed(0).padStart(7)} ms  ${k}`);
}

async function main(): Promise<void> {
  console.log(`bench:ui: host of 256 pCPUs, ${VMS * VCPUS_PER_VM} vCPUs, ${HISTORY_S} s of 1 Hz history; Chromium ${WIDTH}x${HEIGHT}`);
  const server = await startServer({ VCPUMAP_AGENT_TOKEN: TOKEN, VCPUMAP_EMBEDDED_AGENT: '0' });
  const synth = new SyntheticHost(HOST);
  const now = Date.now();
  const t0 = performance.now();
  let batch: unknown[] = [];
  for (let i = 0; i < HISTORY_S; i++) {
    batch.push(synth.frame(now - (HISTORY_S - i) * 1000, i));
    if (batch.length === BATCH) {
      await pushFrames(server.url, TOKEN, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await pushFrames(server.url, TOKEN, batch);
  console.log(`replayed ${HISTORY_S} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const historyMs: number[] = [];
  let historyBytes = 0;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const res = await fetch(`${server.url}/api/v1/hosts/${HOST}/history?from=${now - HISTORY_S * 1000}&to=${now}`);
    historyBytes = (await res.arrayBuffer()).byteLength;
    historyMs.push(performance.now() - t);
  }
  console.log(`GET history of the 15 min window: ${(historyBytes / 1048576).toFixed(1)} MiB of JSON, median ${ms(median(historyMs))} (server, uncompressed, 3 requests)`);

  const browser = await chromium.launch({ executablePath: process.env.VCPUMAP_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  let frameNo = HISTORY_S;
  // Frames keep coming at 1 Hz from here on, as a live host would send them.
  let live = true;
  const feeder = (async () => {
    while (live) {
      const started = Date.now();
      await pushFrames(server.url, TOKEN, [synth.frame(started, frameNo++)]);
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
    }
  })();

  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const hostUrl = `${server.url}/hosts/${HOST}`;
    /** Navigates to the host page and waits until its heatmap is drawn whole. */
    const loadHost = async (): Promise<void> => {
      await page.goto(hostUrl);
      await page.waitForFunction(() => performance.getEntriesByName('vcpumap:heatmap-ready').length > 0, null, { timeout: 60_000 });
    };

    const firstHeatmap: number[] = [];
    const phases: Record<string, number[]> = { html: [], domContentLoaded: [], historyStart: [], historyEnd: [], historyReceived: [], heatmapStart: [] };
    for (let i = 0; i < LOADS; i++) {
      await loadHost();
      const t = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const hist = performance.getEntriesByType('resource').find((e) => e.name.includes('/history?'));
        return {
          ready: performance.getEntriesByName('vcpumap:heatmap-ready')[0]?.startTime ?? NaN,
          html: nav instanceof PerformanceNavigationTiming ? nav.responseEnd : NaN,
          domContentLoaded: nav instanceof PerformanceNavigationTiming ? nav.domContentLoadedEventEnd : NaN,
          historyStart: hist?.startTime ?? NaN,
          historyEnd: hist instanceof PerformanceResourceTiming ? hist.responseEnd : NaN,
          // The page has the history parsed and in its state; the timeline drew its first chunk.
          historyReceived: performance.getEntriesByName('vcpumap:history-received')[0]?.startTime ?? NaN,
          heatmapStart: performance.getEntriesByName('vcpumap:heatmap-start')[0]?.startTime ?? NaN,
        };
      });
      firstHeatmap.push(t.ready);
      for (const k of Object.keys(phases)) phases[k]?.push(t[k as keyof typeof t]);
    }
    const loadAtFirst = load();
    // The same loads traced: the page's own main-thread CPU time, which load on the machine stretches far less than wall time.
    const cpuMarks = ['vcpumap:history-received', 'vcpumap:heatmap-start', 'vcpumap:heatmap-ready'];
    const cpu: Record<string, number[]> = {};
    const cdpCpu = await page.context().newCDPSession(page);
    for (let i = 0; i < CPU_LOADS; i++) {
      const got = loadCpu(await collectTrace(cdpCpu, loadHost), cpuMarks);
      for (const [k, v] of Object.entries(got ?? {})) (cpu[k] ??= []).push(v);
    }
    await cdpCpu.detach();
    const cpuText = Object.entries(cpu).map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join(', ');
    const cpuTotal = median(Array.from({ length: CPU_LOADS }, (_, i) => Object.values(cpu).reduce((s, v) => s + (v[i] ?? 0), 0)));
    if (process.env.BENCH_PROFILE === '1') {
      // One more load with the CPU profiler on, from navigation start to the heatmap drawn.
      const cdpLoad = await page.context().newCDPSession(page);
      await cdpLoad.send('Profiler.enable');
      await cdpLoad.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdpLoad.send('Profiler.start');
      await loadHost();
      const loadProfile = (await cdpLoad.send('Profiler.stop')).profile;
      printProfile(loadProfile, 'profile of a load to the first heatmap');
      // BENCH_PROFILE_OUT=file.cpuprofile keeps it whole, for DevTools or a source-mapped reading.
      if (process.env.BENCH_PROFILE_OUT) writeFileSync(process.env.BENCH_PROFILE_OUT, JSON.stringify(loadProfile));
      await printTrace(cdpLoad, loadHost, 'main-thread trace of a load to the first heatmap');
      console.log(`DOM elements on the host page: ${await page.evaluate(() => document.getElementsByTagName('*').length)}`);
      await cdpLoad.detach();
    }
    const phaseText = Object.entries(phases).map(([k, v]) => `${k} ${median(v).toFixed(0)}`).join(', ');

    // Live: long tasks and redraws from here on.
    await page.evaluate(() => {
      const w = window as unknown as { __long: number[] };
      w.__long = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__long.push(e.duration);
      }).observe({ type: 'longtask' });
      performance.clearMeasures('vcpumap:heatmap-redraw');
    });
    const cdp = process.env.BENCH_PROFILE === '1' ? await page.context().newCDPSession(page) : null;
    if (cdp !== null) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    // The profile's own trace (BENCH_PROFILE) or one of the tasks' CPU time.
    const taskTrace = cdp === null ? await TaskTrace.start(page) : null;
    await page.waitForTimeout(LIVE_SECONDS * 1000);
    const traced = taskTrace === null ? null : await taskTrace.stop();
    if (cdp !== null) {
      printProfile((await cdp.send('Profiler.stop')).profile, 'profile while live');
      await printTrace(cdp);
    }
    const liveStats = await page.evaluate(() => ({
      redraws: performance.getEntriesByName('vcpumap:heatmap-redraw').map((e) => e.duration),
      longTasks: (window as unknown as { __long: number[] }).__long,
    }));
    const cols = await page.locator('[data-testid=host-timeline] canvas').getAttribute('data-drawn-columns');

    // First-load JavaScript: each page in a fresh context (empty cache).
    const firstLoad = async (url: string, ready: string) => {
      const ctx = await browser.newContext({ viewport: { width: WIDTH, height: HEIGHT } });
      const p = await ctx.newPage();
      await p.goto(url);
      await p.waitForSelector(ready, { timeout: 60_000 });
      const js = await scriptBytes(p);
      await ctx.close();
      return js;
    };
    const fleetJs = await firstLoad(`${server.url}/`, '[data-testid=host-tile]');
    const hostJs = await firstLoad(hostUrl, '[data-testid=host-timeline] canvas[data-drawn-columns]');
    const vmJs = await firstLoad(`${hostUrl}/vms/vm-00`, '[data-testid=vm-timeline] canvas[data-drawn-columns]');

    console.log('');
    console.log(`time to first heatmap (navigation start to last chunk drawn), ${LOADS} loads: median ${ms(median(firstHeatmap))} [${firstHeatmap.map((x) => x.toFixed(0)).join(', ')}]   target < 1500 ms (issue 12 anchor 813 ms)   ${loadAtFirst}`);
    console.log(`  median phases (ms after navigation start): ${phaseText}`);
    console.log(`  main-thread CPU from navigation start to the heatmap drawn, ${CPU_LOADS} traced loads: median ${ms(cpuTotal)}; by phase (ms of CPU up to each mark): ${cpuText}`);
    console.log(
      `heatmap redraw per live frame, ${liveStats.redraws.length} frames: median ${ms(median(liveStats.redraws))}, p95 ${ms(pct(liveStats.redraws, 0.95))}, max ${ms(Math.max(...liveStats.redraws))}   target median < 8 ms (issue 12 anchor 1.2 ms)   ${load()}`,
    );
    const longest = liveStats.longTasks.length === 0 ? 0 : Math.max(...liveStats.longTasks);
    console.log(
      `long tasks (> 50 ms) while live for ${LIVE_SECONDS} s: ${liveStats.longTasks.length}, longest ${liveStats.longTasks.length === 0 ? 'none' : ms(longest)}   target none   ${load()}`,
    );
    if (traced !== null) console.log(`  ${taskText(traced)}`);
    console.log(`columns on the heatmap at the end: ${cols}`);
    console.log('first-load JavaScript (script resources of a fresh load; over the wire / decoded):');
    for (const [name, js] of [
      ['fleet /', fleetJs],
      ['host /hosts/[host]', hostJs],
      ['VM /hosts/[host]/vms/[vm]', vmJs],
    ] as const) {
      console.log(`  ${name.padEnd(28)} ${kb(js.transfer).padStart(9)} / ${kb(js.decoded).padStart(9)} in ${js.files} files`);
    }
    if (errors.length > 0) console.log(`browser errors: ${errors.slice(0, 5).join(' | ')}`);
  } finally {
    live = false;
    await feeder.catch(() => {});
    await browser.close();
    await server.stop();
  }
}

async function fleetPhase(): Promise<void> {
  const browser = await chromium.launch({ executablePath: process.env.VCPUMAP_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    await benchFleet({ browser, width: WIDTH, height: HEIGHT, loads: LOADS, liveSeconds: LIVE_SECONDS });
  } finally {
    await browser.close();
  }
}

const ONLY = process.env.BENCH_ONLY;
if (ONLY !== undefined && !['host', 'fleet', 'startup'].includes(ONLY)) {
  console.error(`BENCH_ONLY=${ONLY}: expected host, fleet or startup`);
  process.exit(2);
}
(async () => {
  if (ONLY === undefined || ONLY === 'host') await main();
  if (ONLY === undefined || ONLY === 'fleet') await fleetPhase();
  // Issue 8 asks the UI figures to report time to ready after a restart with 1 GB (bench-startup.ts).
  if (ONLY === undefined || ONLY === 'startup') await startupFigures();
})().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
