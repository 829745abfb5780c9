// Where the server gets a host's trace from (GET /api/v1/hosts/{host}/trace): the embedded agent
// serves its own host in process (serveLocal); a remote agent is asked through its ingest
// answers. A request waits here until the agent's next push collects it (takeRequests, called
// by the ingest route for the host it stored frames of) and the agent uploads the answer
// (fulfil, POST /api/v1/hosts/{host}/trace/{id}), or until it times out. Bounded: a few waiting
// requests per host, and the same window asked twice at once is asked of the agent once.
import { randomUUID } from 'node:crypto';
import type { TraceAnswer } from '../agent/trace-export';

/** What an ingest answer hands an agent: make the trace of [from, to] (epoch ms), send it as `id`. */
export interface TraceRequest {
  readonly id: string;
  readonly from: number;
  readonly to: number;
}

export type TraceProvider = (fromMs: number, toMs: number) => Promise<TraceAnswer>;

interface Pending extends TraceRequest {
  readonly host: string;
  handedOut: boolean;
  readonly answer: Promise<TraceAnswer | null>;
  resolve(a: TraceAnswer | null): void;
  timer: NodeJS.Timeout | null;
}

export const MAX_PENDING_PER_HOST = 4;
export const MAX_PENDING = 256;

export class TooManyTraceRequests extends Error {}

export class TraceHub {
  private readonly local = new Map<string, TraceProvider>();
  private readonly pending = new Map<string, Pending[]>(); // host -> waiting requests, oldest first
  private total = 0;

  /** The in-process agent of `host` serves its trace directly. */
  serveLocal(host: string, provider: TraceProvider): void {
    this.local.set(host, provider);
  }

  localProvider(host: string): TraceProvider | undefined {
    return this.local.get(host);
  }

  /**
   * Asks the remote agent of `host` for [from, to]: its answer, or null when none came within
   * `timeoutMs`. Throws TooManyTraceRequests when too many are waiting.
   */
  request(host: string, from: number, to: number, timeoutMs: number): Promise<TraceAnswer | null> {
    const list = this.pending.get(host) ?? [];
    const same = list.find((p) => p.from === from && p.to === to);
    if (same) return same.answer;
    if (list.length >= MAX_PENDING_PER_HOST || this.total >= MAX_PENDING) throw new TooManyTraceRequests(`too many trace requests waiting for ${list.length >= MAX_PENDING_PER_HOST ? `host ${host}` : 'agents'}`);
    let resolve: (a: TraceAnswer | null) => void = () => {};
    const answer = new Promise<TraceAnswer | null>((r) => (resolve = r));
    const p: Pending = { id: randomUUID(), host, from, to, handedOut: false, answer, resolve, timer: null };
    p.resolve = (a) => {
      if (p.timer !== null) clearTimeout(p.timer);
      this.remove(p);
      resolve(a);
    };
    p.timer = setTimeout(() => p.resolve(null), timeoutMs);
    p.timer.unref();
    list.push(p);
    this.pending.set(host, list);
    this.total++;
    return answer;
  }

  /** The requests for `host` its agent has not been given yet; they count as given from now on. */
  takeRequests(host: string): TraceRequest[] {
    const list = this.pending.get(host);
    if (!list) return [];
    const out: TraceRequest[] = [];
    for (const p of list) {
      if (p.handedOut) continue;
      p.handedOut = true;
      out.push({ id: p.id, from: p.from, to: p.to });
    }
    return out;
  }

  /** The agent's answer to request `id` of `host`; false when no such request waits (it timed out). */
  fulfil(host: string, id: string, answer: TraceAnswer): boolean {
    const p = this.pending.get(host)?.find((q) => q.id === id);
    if (!p) return false;
    p.resolve(answer);
    return true;
  }

  /** The window a waiting request of `host` asked for, or null. */
  requested(host: string, id: string): TraceRequest | null {
    const p = this.pending.get(host)?.find((q) => q.id === id);
    return p ? { id: p.id, from: p.from, to: p.to } : null;
  }

  private remove(p: Pending): void {
    const list = this.pending.get(p.host);
    const i = list?.indexOf(p) ?? -1;
    if (!list || i < 0) return;
    list.splice(i, 1);
    this.total--;
    if (list.length === 0) this.pending.delete(p.host);
  }
}

/** The host an ingest body reports for (its first frame's), once it was validated; '' when none. */
export function reportingHost(body: unknown): string {
  const o = body as { frames?: unknown; host?: unknown } | null;
  const first = o !== null && typeof o === 'object' && Array.isArray(o.frames) ? (o.frames[0] as { host?: unknown } | undefined) : o;
  const host = first !== null && typeof first === 'object' ? first?.host : undefined;
  return typeof host === 'string' ? host : '';
}

const KEY = Symbol.for('vcpumap.traceHub');

/** The process's hub, shared by every route bundle (as the runtime is). */
export function traceHub(): TraceHub {
  const holder = globalThis as { [KEY]?: TraceHub };
  holder[KEY] ??= new TraceHub();
  return holder[KEY];
}
