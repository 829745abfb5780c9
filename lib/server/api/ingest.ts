// POST /api/v1/ingest: agent frames in. Order of checks: token (401), declared size (413),
// overload (503 with
// Retry-After: too many in flight, or ingest queueing in time, lib/server/ingest-load.ts), size
// while reading (413), a stalled body (408), shape (400), host permission (403), structures of compact ticks
// (409, 400); only then is anything stored. One core for the Next route (Web Request) and the Node fast path
// (ingest-node.ts), which skips Next's per-request work.
import { authenticate, bearerToken, mayReportFor } from '../auth';
import { HttpError } from '../http-errors';
import { BadFrameError, parseIngestBody } from '../ingest-body';
import { readJsonBody, webBodySource, type BodySource } from '../read-body';
import { UnknownStructureError, resolveFrames } from '../resolve-frames';
import { getRuntime, type Runtime } from '../runtime';
import { reportingHost, traceHub } from '../trace-hub';

export interface IngestRequest extends BodySource {
  readonly authorization: string | null;
  /** How long the request waited before it was looked at (parked behind reads, ms). */
  readonly queuedMs?: number;
}

export interface IngestAnswer {
  readonly status: number;
  readonly body: string; // JSON
  readonly headers: Readonly<Record<string, string>>;
}

export async function handleIngest(req: Request): Promise<Response> {
  const a = await ingest({ ...webBodySource(req), authorization: req.headers.get('authorization') });
  return new Response(a.body, { status: a.status, headers: { 'content-type': 'application/json', ...a.headers } });
}

export async function ingest(req: IngestRequest): Promise<IngestAnswer> {
  const t0 = performance.now();
  let status = 500;
  let frames = 0;
  let rt: Runtime | null = null;
  let done: (() => void) | null = null;
  try {
    rt = await getRuntime();
    const auth = authenticate(bearerToken(req.authorization), rt.grants);
    if (!auth.ok) {
      throw new HttpError(401, 'missing or wrong agent token: send Authorization: Bearer <VCPUMAP_AGENT_TOKEN>', {
        'www-authenticate': 'Bearer realm="vcpumap-ingest"',
      });
    }
    // A declared length over the limit is refused before anything else costs: a clear 413 even under load.
    const declared = Number(req.contentLength ?? NaN);
    if (Number.isFinite(declared) && declared > rt.config.maxBodyBytes) {
      throw new HttpError(413, `body over the limit of ${rt.config.maxBodyBytes} bytes (VCPUMAP_MAX_BODY_BYTES): send smaller batches`);
    }
    const admission = rt.ingestLoad.admit(req.queuedMs ?? 0);
    if (!admission.ok) {
      throw new HttpError(503, `server busy: ${admission.reason}; retry after ${admission.retryAfterS} s`, { 'retry-after': String(admission.retryAfterS) });
    }
    done = admission.done;
    const json = await readJsonBody(req, rt.config.maxBodyBytes);
    const grant = auth.grant;
    frames = await storeBody(rt, json, (host) => mayReportFor(grant, host));
    status = 202;
    // Trace requests waiting for this agent's host go out with the answer (lib/server/trace-hub.ts).
    const traceRequests = traceHub().takeRequests(reportingHost(json));
    return { status, body: JSON.stringify(traceRequests.length > 0 ? { stored: frames, traceRequests } : { stored: frames }), headers: {} };
  } catch (err) {
    if (err instanceof UnknownStructureError) {
      status = 409;
      return { status, body: JSON.stringify({ error: err.message }), headers: {} };
    }
    if (err instanceof HttpError) {
      status = err.status;
      return { status, body: JSON.stringify({ error: err.message }), headers: err.headers };
    }
    console.error('vcpumap server error:', err);
    return { status, body: JSON.stringify({ error: 'internal error; see the server log' }), headers: {} };
  } finally {
    if (rt !== null) {
      done?.();
      rt.metrics.observeIngest(status, (performance.now() - t0) / 1000, frames);
    }
  }
}

/**
 * Validates and stores one ingest body (parsed JSON); returns the frames stored. Throws
 * HttpError (400, 403), UnknownStructureError (409) or the store's error. Also the embedded
 * agent's way in (lib/server/embedded-agent.ts), with its own host as the only one it may report.
 */
export async function storeBody(rt: Runtime, json: unknown, mayReport: (host: string) => boolean): Promise<number> {
  const batch = badFrameAs400(() => parseIngestBody(json));
  const denied = [...batch.frames, ...batch.structures].find((s) => !mayReport(s.host));
  if (denied) throw new HttpError(403, `this token may not report for host ${JSON.stringify(denied.host)}`);
  const store = rt.store;
  const frames = badFrameAs400(() => resolveFrames(batch, (host, hash) => store.knownStructure(host, hash)));
  await store.ingest(frames);
  const reporter = batch.frames[0]?.host;
  if (batch.agent !== undefined && reporter !== undefined) rt.metrics.observeAgent(reporter, batch.agent);
  return frames.length;
}

function badFrameAs400<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BadFrameError) throw new HttpError(400, err.message);
    throw err;
  }
}
