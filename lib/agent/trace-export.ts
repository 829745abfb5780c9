// A window of the raw trace pages the agent keeps (tracefs/page-ring.ts), printed as the ftrace
// text that Perfetto's UI and trace processor import (tracefs/ftrace-text.ts). The pages are
// copied out of the ring at once (the reader keeps writing it), decoded 64 pages and printed
// 2,048 lines at a time, yielding to the event loop in between, so a 10-minute window does not
// stall sampling nor the trace reader (whose kernel buffers hold well under a second of a busy CPU).
import type { PageLayout } from '../tracefs/page-decoder';
import { ftraceTrace } from '../tracefs/ftrace-text';
import type { SchedFormats } from '../tracefs/sched-records';

/** What an agent answers to "the trace of [fromMs, toMs]", in process or over HTTP. */
export type TraceAnswer =
  | {
      readonly ok: true;
      readonly text: string;
      readonly events: number;
      readonly fromMs: number;
      readonly toMs: number;
      /** The oldest kept event (epoch ms): a window starting before it is cut there. */
      readonly keptFromMs: number;
    }
  | {
      readonly ok: false;
      /** 404: the window is not (or no longer) kept; 409: this agent keeps no trace. */
      readonly status: 404 | 409;
      readonly error: string;
      readonly keptFromMs: number | null;
    };

/** The pages of a window, copied out of the ring, and what printing them needs. */
export interface TraceWindow {
  readonly host: string;
  readonly layout: PageLayout;
  readonly formats: SchedFormats;
  readonly baseHi: number;
  /** Per CPU, in read order; copies, owned by the window. */
  readonly pages: ReadonlyMap<number, readonly Uint8Array[]>;
  readonly fromMs: number;
  readonly toMs: number;
  /** The window on the decoder's clock (ns). */
  readonly fromNs: number;
  readonly toNs: number;
  readonly keptFromMs: number;
  readonly commOf: (pid: number) => string | null;
  readonly tgidOf: (pid: number) => number | null;
}

const TWO_32 = 4294967296;

/** Prints `w`, yielding to the event loop between chunks of lines. */
export async function formatTraceWindow(w: TraceWindow): Promise<TraceAnswer> {
  const baseNs = w.baseHi * TWO_32;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const comments = [
    `vcpumap: host ${w.host}, window ${iso(w.fromMs)} to ${iso(w.toMs)} (epoch ms ${w.fromMs} to ${w.toMs})`,
    `vcpumap: times are CLOCK_MONOTONIC seconds; ${fmtSeconds(baseNs + w.fromNs)} is ${iso(w.fromMs)}`,
    'vcpumap: spaces in task names are written as "_" in event arguments (Perfetto splits arguments at spaces)',
  ];
  if (w.fromMs < w.keptFromMs) comments.push(`vcpumap: events are kept from ${iso(w.keptFromMs)} on: the window before that is not in this trace`);
  const trace = ftraceTrace(w.layout, w.formats, w.pages, {
    fromNs: w.fromNs,
    toNs: w.toNs,
    baseHi: w.baseHi,
    baseNs,
    commOf: w.commOf,
    tgidOf: w.tgidOf,
    comments,
  });
  let pages = 0;
  for (const _ of trace.decode()) if (++pages % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  const parts: string[] = [];
  for (const chunk of trace.chunks(2048)) {
    parts.push(chunk);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { ok: true, text: parts.join(''), events: trace.events, fromMs: w.fromMs, toMs: w.toMs, keptFromMs: w.keptFromMs };
}

function fmtSeconds(ns: number): string {
  return (ns / 1e9).toFixed(6);
}
