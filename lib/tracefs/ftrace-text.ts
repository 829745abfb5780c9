// Raw ring-buffer pages to the ftrace text format (what tracefs's `trace` file prints), which
// Perfetto's UI and trace processor import as a "systrace" text trace: CPU tracks from
// sched_switch, thread names from the comms, wake-ups from sched_waking. Pure: pages in, text out.
// Lines are merged across CPUs in time order as the kernel does (ties: the lower CPU first).
import { fieldOf, type EventFormat, type FieldFormat } from './format';
import { decodePage, type PageLayout } from './page-decoder';
import { readString, type SchedFormats, type StringField } from './sched-records';

export interface FtraceTextOptions {
  /** Only events with fromNs <= ts <= toNs (the decoder's relative ns). */
  readonly fromNs?: number;
  readonly toNs?: number;
  /** The trace clock's value at relative 0, in ns: printed times are base + ts. */
  readonly baseNs?: number;
  /** The decoder's base (see decodePage). */
  readonly baseHi?: number;
  /** When given, lines carry a tgid column (Perfetto groups threads into processes by it). */
  readonly tgidOf?: (pid: number) => number | null;
  /**
   * Perfetto splits event arguments at spaces, so `prev_comm=CPU 0/KVM` would name the thread
   * "CPU". True (the default) writes spaces inside comms as '_' in the arguments.
   */
  readonly spacesInComms?: 'keep' | 'underscore';
}

interface Decoded {
  readonly ts: number;
  readonly view: DataView;
  readonly at: number;
}

/** The text of the events in `pages` (per CPU, each CPU's pages in the order they were read). */
export function ftraceText(layout: PageLayout, formats: SchedFormats, pages: ReadonlyMap<number, readonly Uint8Array[]>, opts: FtraceTextOptions = {}): string {
  const le = layout.littleEndian;
  const from = opts.fromNs ?? Number.NEGATIVE_INFINITY;
  const to = opts.toNs ?? Number.POSITIVE_INFINITY;
  const r = new TextRenderer(formats, le, opts.spacesInComms ?? 'underscore');
  // Each CPU's events, decoded (in time order within a CPU).
  const perCpu: { cpu: number; events: Decoded[] }[] = [];
  for (const [cpu, list] of [...pages].sort((a, b) => a[0] - b[0])) {
    const events: Decoded[] = [];
    for (const bytes of list) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const time = new Float64Array(1);
      decodePage(layout, view, 0, opts.baseHi ?? 0, {
        time,
        page() {},
        event(v, at) {
          const ts = time[0] ?? 0;
          if (ts < from || ts > to) return;
          events.push({ ts, view: v, at });
          r.learnComms(v, at);
        },
      });
    }
    perCpu.push({ cpu, events });
  }
  const lines: string[] = [];
  let total = 0;
  for (const c of perCpu) total += c.events.length;
  lines.push('# tracer: nop', '#', `# entries-in-buffer/entries-written: ${total}/${total}   #P:${pages.size}`, '#');
  lines.push(opts.tgidOf ? '#           TASK-PID    TGID     CPU#  |||||  TIMESTAMP  FUNCTION' : '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION');
  lines.push(opts.tgidOf ? '#              | |        |         |   |||||     |         |' : '#              | |         |   |||||     |         |');
  const heads = perCpu.map(() => 0);
  const base = opts.baseNs ?? 0;
  for (;;) {
    let best = -1;
    let bestTs = Number.POSITIVE_INFINITY;
    for (let i = 0; i < perCpu.length; i++) {
      const e = perCpu[i]?.events[heads[i] ?? 0];
      if (e !== undefined && e.ts < bestTs) {
        best = i;
        bestTs = e.ts;
      }
    }
    if (best < 0) break;
    const c = perCpu[best];
    if (!c) break;
    const e = c.events[heads[best] ?? 0];
    heads[best] = (heads[best] ?? 0) + 1;
    if (!e) continue;
    const line = r.line(c.cpu, base + e.ts, e.view, e.at, opts.tgidOf);
    if (line !== null) lines.push(line);
  }
  return lines.join('\n') + '\n';
}

class TextRenderer {
  private readonly comms = new Map<number, string>();
  private readonly typeField: FieldFormat;
  private readonly flagsField: FieldFormat;
  private readonly preemptField: FieldFormat;
  private readonly pidField: FieldFormat;
  private readonly byId = new Map<number, { format: EventFormat; render: (view: DataView, at: number) => string; learn: (view: DataView, at: number) => void }>();

  constructor(
    formats: SchedFormats,
    private readonly le: boolean,
    private readonly spaces: 'keep' | 'underscore',
  ) {
    const sw = formats.sched_switch;
    this.typeField = fieldOf(sw, 'common_type');
    this.flagsField = fieldOf(sw, 'common_flags');
    this.preemptField = fieldOf(sw, 'common_preempt_count');
    this.pidField = fieldOf(sw, 'common_pid');
    const int = (f: EventFormat, n: string): ((v: DataView, at: number) => number) => {
      const field = fieldOf(f, n);
      return (v, at) => readInt(v, at, field, le);
    };
    const str = (f: EventFormat, n: string): ((v: DataView, at: number) => string) => {
      const field = fieldOf(f, n);
      const sf: StringField = { offset: field.offset, size: field.size, location: field.location };
      return (v, at) => readString(v, at, sf, le);
    };
    {
      const prevComm = str(sw, 'prev_comm');
      const prevPid = int(sw, 'prev_pid');
      const prevPrio = int(sw, 'prev_prio');
      const prevState = int(sw, 'prev_state');
      const nextComm = str(sw, 'next_comm');
      const nextPid = int(sw, 'next_pid');
      const nextPrio = int(sw, 'next_prio');
      const states = stateLetters(sw.printFmt);
      this.byId.set(sw.id, {
        format: sw,
        render: (v, at) =>
          `prev_comm=${this.arg(prevComm(v, at))} prev_pid=${prevPid(v, at)} prev_prio=${prevPrio(v, at)} prev_state=${states(prevState(v, at))} ==> ` +
          `next_comm=${this.arg(nextComm(v, at))} next_pid=${nextPid(v, at)} next_prio=${nextPrio(v, at)}`,
        learn: (v, at) => {
          this.comms.set(prevPid(v, at), prevComm(v, at));
          this.comms.set(nextPid(v, at), nextComm(v, at));
        },
      });
    }
    {
      const wk = formats.sched_waking;
      const comm = str(wk, 'comm');
      const pid = int(wk, 'pid');
      const prio = int(wk, 'prio');
      const target = int(wk, 'target_cpu');
      this.byId.set(wk.id, {
        format: wk,
        render: (v, at) => `comm=${this.arg(comm(v, at))} pid=${pid(v, at)} prio=${prio(v, at)} target_cpu=${String(target(v, at)).padStart(3, '0')}`,
        learn: (v, at) => this.comms.set(pid(v, at), comm(v, at)),
      });
    }
    {
      const mg = formats.sched_migrate_task;
      const comm = str(mg, 'comm');
      const pid = int(mg, 'pid');
      const prio = int(mg, 'prio');
      const orig = int(mg, 'orig_cpu');
      const dest = int(mg, 'dest_cpu');
      this.byId.set(mg.id, {
        format: mg,
        render: (v, at) => `comm=${this.arg(comm(v, at))} pid=${pid(v, at)} prio=${prio(v, at)} orig_cpu=${orig(v, at)} dest_cpu=${dest(v, at)}`,
        learn: (v, at) => this.comms.set(pid(v, at), comm(v, at)),
      });
    }
  }

  /** Like the kernel's saved_cmdlines: the comm of every pid the events name. */
  learnComms(v: DataView, at: number): void {
    this.byId.get(readInt(v, at, this.typeField, this.le))?.learn(v, at);
  }

  line(cpu: number, tsNs: number, v: DataView, at: number, tgidOf: FtraceTextOptions['tgidOf']): string | null {
    const ev = this.byId.get(readInt(v, at, this.typeField, this.le));
    if (ev === undefined) return null;
    const pid = readInt(v, at, this.pidField, this.le);
    const comm = pid === 0 ? '<idle>' : (this.comms.get(pid) ?? '<...>');
    let head = `${comm.padStart(16)}-${String(pid).padEnd(7)} `;
    if (tgidOf) {
      const tgid = tgidOf(pid);
      head += `(${tgid === null ? '-------' : String(tgid).padStart(7)}) `;
    }
    const flags = latencyFlags(readInt(v, at, this.flagsField, this.le), readInt(v, at, this.preemptField, this.le));
    return `${head}[${String(cpu).padStart(3, '0')}] ${flags} ${timestampText(tsNs)}: ${ev.format.name}: ${ev.render(v, at)}`;
  }

  private arg(comm: string): string {
    return this.spaces === 'underscore' ? comm.replace(/ /g, '_') : comm;
  }
}

/** "%5lu.%06lu" of the time in µs, rounded to the nearest µs as the kernel's ns2usecs does. */
export function timestampText(ns: number): string {
  const us = Math.floor((ns + 500) / 1000);
  const sec = Math.floor(us / 1e6);
  return `${String(sec).padStart(5)}.${String(us - sec * 1e6).padStart(6, '0')}`;
}

// common_flags bits (include/linux/trace_events.h, Linux 6.13 and later).
const IRQS_OFF = 0x01;
const NEED_RESCHED_LAZY = 0x02;
const NEED_RESCHED = 0x04;
const HARDIRQ = 0x08;
const SOFTIRQ = 0x10;
const PREEMPT_RESCHED = 0x20;
const NMI = 0x40;
const BH_OFF = 0x80;

/** The five "irqs-off, need-resched, hardirq/softirq, preempt-depth, migrate-disable" letters. */
export function latencyFlags(flags: number, preemptCount: number): string {
  const irqsOff = flags & IRQS_OFF ? (flags & BH_OFF ? 'D' : 'd') : flags & BH_OFF ? 'b' : '.';
  const resched = flags & (NEED_RESCHED | NEED_RESCHED_LAZY | PREEMPT_RESCHED);
  const need =
    resched === (NEED_RESCHED | NEED_RESCHED_LAZY | PREEMPT_RESCHED) ? 'B'
    : resched === (NEED_RESCHED | PREEMPT_RESCHED) ? 'N'
    : resched === (NEED_RESCHED_LAZY | PREEMPT_RESCHED) ? 'L'
    : resched === (NEED_RESCHED | NEED_RESCHED_LAZY) ? 'b'
    : resched === NEED_RESCHED ? 'n'
    : resched === PREEMPT_RESCHED ? 'p'
    : resched === NEED_RESCHED_LAZY ? 'l'
    : '.';
  const nmi = flags & NMI;
  const hard = flags & HARDIRQ;
  const soft = flags & SOFTIRQ;
  const irq = nmi && hard ? 'Z' : nmi ? 'z' : hard && soft ? 'H' : hard ? 'h' : soft ? 's' : '.';
  const depth = preemptCount & 0xf ? (preemptCount & 0xf).toString(16) : '.';
  const migrate = preemptCount & 0xf0 ? ((preemptCount >> 4) & 0xf).toString(16) : '.';
  return `${irqsOff}${need}${irq}${depth}${migrate}`;
}

/**
 * prev_state as letters, from the `__print_flags(..., { 0x1, "S" }, ...)` table of the event's
 * print fmt: 0 is "R", the bit above the highest flag is "+" (preempted).
 */
export function stateLetters(printFmt: string): (state: number) => string {
  const table: [number, string][] = [];
  for (const m of printFmt.matchAll(/\{\s*(0x[0-9a-fA-F]+|\d+)\s*,\s*"([^"]*)"\s*\}/g)) table.push([Number(m[1]), m[2] ?? '']);
  if (table.length === 0) return (s) => String(s);
  const top = Math.max(...table.map(([f]) => f));
  const mask = top * 2 - 1;
  const plus = top * 2;
  return (state) => {
    const bits = state & mask;
    const letters = bits === 0 ? 'R' : table.filter(([f]) => (bits & f) !== 0).map(([, l]) => l).join('|');
    return `${letters}${state & plus ? '+' : ''}`;
  };
}

function readInt(view: DataView, at: number, f: FieldFormat, le: boolean): number {
  const o = at + f.offset;
  switch (f.size) {
    case 1:
      return f.signed ? view.getInt8(o) : view.getUint8(o);
    case 2:
      return f.signed ? view.getInt16(o, le) : view.getUint16(o, le);
    case 4:
      return f.signed ? view.getInt32(o, le) : view.getUint32(o, le);
    case 8:
      return Number(f.signed ? view.getBigInt64(o, le) : view.getBigUint64(o, le));
    default:
      throw new Error(`field ${f.name} of ${f.size} bytes is not an integer`);
  }
}
