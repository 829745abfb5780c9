// GET /api/v1/hosts/{host}/trace?from&to: the host's scheduler trace of a window, as the ftrace
// text Perfetto imports, from the agent that keeps it (trace-hub.ts). The embedded agent answers
// in process; a remote agent gets the request with its next ingest answer and uploads the text
// to POST /api/v1/hosts/{host}/trace/{id} (its agent token), which this GET waits for.
import type { TraceAnswer } from '../../agent/trace-export';
import { authenticate, bearerToken, mayReportFor } from '../auth';
import { errorResponse, HttpError } from '../http-errors';
import { readBodyLimited } from '../read-body';
import { getRuntime } from '../runtime';
import { TooManyTraceRequests, traceHub } from '../trace-hub';
import { parseWindow, pathName } from './params';
import { requireViewer } from './viewer';

/** How long a GET waits for a remote agent's upload (ms); VCPUMAP_TRACE_WAIT_MS. */
export function traceWaitMs(): number {
  const v = Number(process.env.VCPUMAP_TRACE_WAIT_MS);
  return Number.isFinite(v) && v > 0 ? v : 10_000;
}

/** An upload of trace text is bounded (after gunzip). */
export const MAX_TRACE_UPLOAD_BYTES = 512 * 1024 * 1024;

export async function getTrace(req: Request, hostParam: string): Promise<Response> {
  try {
    const rt = await getRuntime();
    requireViewer(req, rt);
    const host = pathName('host', hostParam);
    const url = new URL(req.url);
    const { from, to } = parseWindow(url.searchParams, Date.now(), rt.config.liveWindowMs);
    const hub = traceHub();
    const local = hub.localProvider(host);
    let answer: TraceAnswer | null;
    if (local) {
      answer = await local(from, to);
    } else {
      const snap = await rt.store.latest(host);
      if (!snap) throw new HttpError(404, `no host ${JSON.stringify(host)}`);
      // A snapshot without `mode` (the store does not keep it yet) asks the agent, which answers 409 when sampled.
      if (snap.mode === 'sampled') {
        throw new HttpError(409, `host ${JSON.stringify(host)} is sampled, not in exact mode: a trace needs its agent in exact mode (--exact, as root with tracefs)`);
      }
      const ageMs = Date.now() - snap.at;
      const staleMs = Math.max(30_000, 5 * (snap.intervalMs ?? 1000));
      if (ageMs > staleMs) {
        throw new HttpError(409, `no agent serving traces for host ${JSON.stringify(host)}: its last frame is ${Math.round(ageMs / 1000)} s old`);
      }
      const wait = traceWaitMs();
      try {
        answer = await hub.request(host, from, to, wait);
      } catch (err) {
        if (err instanceof TooManyTraceRequests) throw new HttpError(503, `${err.message}; retry in a few seconds`, { 'retry-after': '5' });
        throw err;
      }
      if (answer === null) {
        throw new HttpError(
          504,
          `the agent of host ${JSON.stringify(host)} did not send the trace within ${Math.round(wait / 1000)} s ` +
            '(an agent older than this server does not serve traces; one sending a backlog collects the request late): try again',
        );
      }
    }
    if (!answer.ok) throw new HttpError(answer.status, answer.error);
    return new Response(answer.text, {
      status: 200,
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'content-disposition': `attachment; filename="${traceFileName(host, from, to)}"`,
        'cache-control': 'no-store',
        'x-vcpumap-trace-events': String(answer.events),
        'x-vcpumap-trace-kept-from': String(answer.keptFromMs),
      },
    });
  } catch (err) {
    return errorResponse(err);
  }
}

/** `vcpumap-<host>-<from>-<to>.ftrace.txt`, times as compact UTC, the host name made file-safe. */
export function traceFileName(host: string, from: number, to: number): string {
  const safe = host.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'host';
  const t = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `vcpumap-${safe}-${t(from)}-${t(to)}.ftrace.txt`;
}

/**
 * POST /api/v1/hosts/{host}/trace/{id}: a remote agent's answer to a trace request. The text
 * (text/plain, gzip allowed) with `x-vcpumap-trace-events` and `x-vcpumap-trace-kept-from`; or,
 * when it has no trace of the window, JSON `{ "status": 404 | 409, "error": "...", "keptFromMs" }`.
 */
export async function postTrace(req: Request, hostParam: string, id: string): Promise<Response> {
  try {
    const rt = await getRuntime();
    const auth = authenticate(bearerToken(req.headers.get('authorization')), rt.grants);
    if (!auth.ok) throw new HttpError(401, 'missing or wrong agent token: send Authorization: Bearer <agent token>', { 'www-authenticate': 'Bearer realm="vcpumap-ingest"' });
    const host = pathName('host', hostParam);
    if (!mayReportFor(auth.grant, host)) throw new HttpError(403, `this token may not report for host ${JSON.stringify(host)}`);
    const hub = traceHub();
    const asked = hub.requested(host, id);
    if (!asked) throw new HttpError(404, `no trace request ${JSON.stringify(id.slice(0, 64))} is waiting for host ${JSON.stringify(host)} (it timed out)`);
    const body = await readBodyLimited(req, MAX_TRACE_UPLOAD_BYTES);
    const type = req.headers.get('content-type') ?? '';
    let answer: TraceAnswer;
    if (type.startsWith('application/json')) {
      answer = failureOf(body);
    } else {
      const events = Number(req.headers.get('x-vcpumap-trace-events'));
      const kept = Number(req.headers.get('x-vcpumap-trace-kept-from'));
      answer = { ok: true, text: body.toString('utf8'), events: Number.isInteger(events) && events >= 0 ? events : 0, fromMs: asked.from, toMs: asked.to, keptFromMs: Number.isFinite(kept) ? kept : asked.from };
    }
    if (!hub.fulfil(host, id, answer)) throw new HttpError(404, `the trace request ${JSON.stringify(id.slice(0, 64))} of host ${JSON.stringify(host)} timed out`);
    return Response.json({ delivered: true }, { status: 202 });
  } catch (err) {
    return errorResponse(err);
  }
}

function failureOf(body: Buffer): TraceAnswer {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'a trace failure must be JSON { "status": 404 | 409, "error": "..." }');
  }
  const o = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const status = o.status === 404 || o.status === 409 ? o.status : null;
  if (status === null || typeof o.error !== 'string') throw new HttpError(400, 'a trace failure must be JSON { "status": 404 | 409, "error": "..." }');
  const kept = typeof o.keptFromMs === 'number' && Number.isFinite(o.keptFromMs) ? o.keptFromMs : null;
  return { ok: false, status, error: o.error.slice(0, 1000), keptFromMs: kept };
}
