// A remote agent's half of "Open in Perfetto": the server's ingest answers may carry trace
// requests ({ id, from, to }, lib/server/trace-hub.ts); each is printed from the kept pages
// (trace-export.ts) and uploaded to POST /api/v1/hosts/{host}/trace/{id} with the agent token,
// gzipped: the text, or JSON { status, error, keptFromMs } when the window is not kept. Never
// in the way of the frames: at most two at once, errors logged and dropped (the viewer's GET
// times out and says so).
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { TraceAnswer } from './trace-export';
import { errorText, type Logger } from './log';

const gzipAsync = promisify(gzip);
const MAX_AT_ONCE = 2;

export interface TraceUploaderOptions {
  readonly url: string; // server base URL
  readonly token: string;
  readonly host: string;
  readonly log: Logger;
  readonly trace: (fromMs: number, toMs: number) => Promise<TraceAnswer>;
  readonly fetchImpl?: typeof fetch;
}

interface Request {
  readonly id: string;
  readonly from: number;
  readonly to: number;
}

export class TraceUploader {
  private readonly busy = new Set<string>();

  constructor(private readonly opts: TraceUploaderOptions) {}

  /** The body of an ingest answer: serves the trace requests it carries. */
  onIngestAnswer(body: string): void {
    if (!body.includes('traceRequests')) return;
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return;
    }
    const list = (json as { traceRequests?: unknown }).traceRequests;
    if (!Array.isArray(list)) return;
    for (const r of list) {
      if (!isRequest(r) || this.busy.has(r.id)) continue;
      if (this.busy.size >= MAX_AT_ONCE) {
        this.opts.log('warn', `trace request ${r.id} not served: ${MAX_AT_ONCE} traces are being sent already`, 'trace-busy');
        continue;
      }
      this.busy.add(r.id);
      void this.serve(r).finally(() => this.busy.delete(r.id));
    }
  }

  /** Requests being served now. */
  get inProgress(): number {
    return this.busy.size;
  }

  private async serve(r: Request): Promise<void> {
    const { log } = this.opts;
    try {
      const answer = await this.opts.trace(r.from, r.to);
      const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}`, 'content-encoding': 'gzip' };
      let text: string;
      if (answer.ok) {
        text = answer.text;
        headers['content-type'] = 'text/plain; charset=utf-8';
        headers['x-vcpumap-trace-events'] = String(answer.events);
        headers['x-vcpumap-trace-kept-from'] = String(answer.keptFromMs);
      } else {
        text = JSON.stringify({ status: answer.status, error: answer.error, keptFromMs: answer.keptFromMs });
        headers['content-type'] = 'application/json';
      }
      const body = new Uint8Array(await gzipAsync(text));
      const url = new URL(`/api/v1/hosts/${encodeURIComponent(this.opts.host)}/trace/${encodeURIComponent(r.id)}`, this.opts.url);
      const res = await (this.opts.fetchImpl ?? fetch)(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
      if (!res.ok) log('warn', `trace ${r.id} upload refused: HTTP ${res.status} ${(await res.text().catch(() => '')).slice(0, 200)}`, 'trace-upload');
      else log('info', answer.ok ? `trace sent: ${answer.events} events of ${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()}, ${body.length} bytes gzipped` : `trace request answered: ${answer.error}`);
    } catch (err) {
      log('warn', `trace ${r.id} could not be sent: ${errorText(err)}`, 'trace-upload');
    }
  }
}

function isRequest(r: unknown): r is Request {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  return typeof o.id === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(o.id) && Number.isFinite(o.from) && Number.isFinite(o.to) && (o.from as number) < (o.to as number);
}
