// bench:ui: the page's main-thread tasks from a Chromium trace (CDP Tracing, devtools.timeline),
// with each task's wall time and its thread CPU time. The Long Tasks API gives wall time only: on
// a machine that other work shares, a task that the scheduler preempted looks long although the
// page did little. The CPU time says what the page itself spent; both are printed.
import type { CDPSession, Page } from 'playwright-core';

interface TraceEvent {
  readonly name: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid: number;
  readonly ts: number; // µs
  readonly dur?: number; // µs
  readonly tdur?: number; // µs of thread CPU time
  readonly args?: { readonly name?: string };
}

function isTraceEvent(e: unknown): e is TraceEvent {
  return typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string' && 'ph' in e && 'ts' in e && typeof e.ts === 'number' && 'pid' in e && 'tid' in e;
}

export interface TaskFigures {
  readonly tasks: number;
  /** Tasks over 50 ms of CPU time, and the longest in CPU time and in wall time (ms). */
  readonly overBudgetCpu: number;
  readonly longestCpuMs: number;
  readonly longestWallMs: number;
}

export class TaskTrace {
  private readonly events: TraceEvent[] = [];
  private complete: () => void = () => {};
  private readonly done = new Promise<void>((r) => (this.complete = r));

  private constructor(private readonly cdp: CDPSession) {
    cdp.on('Tracing.dataCollected', (p) => {
      for (const e of p.value) if (isTraceEvent(e)) this.events.push(e);
    });
    cdp.on('Tracing.tracingComplete', () => this.complete());
  }

  static async start(page: Page): Promise<TaskTrace> {
    const cdp = await page.context().newCDPSession(page);
    const t = new TaskTrace(cdp);
    await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline'], enableSampling: false } });
    return t;
  }

  async stop(): Promise<TaskFigures> {
    await this.cdp.send('Tracing.end');
    await this.done;
    await this.cdp.detach();
    // The renderer main thread that ran the most is the page's.
    const key = (e: TraceEvent): string => `${e.pid}:${e.tid}`;
    const mains = new Set(this.events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map(key));
    const busy = new Map<string, number>();
    for (const e of this.events) if (e.name === 'RunTask' && mains.has(key(e))) busy.set(key(e), (busy.get(key(e)) ?? 0) + (e.dur ?? 0));
    const main = [...busy].sort((a, b) => b[1] - a[1])[0]?.[0];
    const mine = this.events.filter((e) => e.ph === 'X' && key(e) === main);
    // A task with nothing of the page's in it (no script, style, layout, paint or GC event) is the
    // browser's own, e.g. the one that hands this trace over: not counted.
    const inner = mine.filter((e) => e.name !== 'RunTask').map((e) => e.ts).sort((a, b) => a - b);
    const hasInner = (t: TraceEvent): boolean => {
      let lo = 0;
      let hi = inner.length;
      while (lo < hi) {
        const m = (lo + hi) >> 1;
        if ((inner[m] ?? 0) < t.ts) lo = m + 1;
        else hi = m;
      }
      return lo < inner.length && (inner[lo] ?? Infinity) <= t.ts + (t.dur ?? 0);
    };
    const tasks = mine.filter((e) => e.name === 'RunTask' && hasInner(e));
    const cpu = tasks.map((e) => (e.tdur ?? 0) / 1000);
    return {
      tasks: tasks.length,
      overBudgetCpu: cpu.filter((x) => x > 50).length,
      longestCpuMs: Math.max(0, ...cpu),
      longestWallMs: Math.max(0, ...tasks.map((e) => (e.dur ?? 0) / 1000)),
    };
  }
}

export const taskText = (f: TaskFigures): string =>
  `main-thread tasks by CPU time (trace): ${f.tasks}, ${f.overBudgetCpu} over 50 ms, longest ${f.longestCpuMs.toFixed(1)} ms CPU (longest wall ${f.longestWallMs.toFixed(1)} ms)`;
