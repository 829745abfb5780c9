// POST /api/v1/ingest: agent frames in. Order of checks: token (401), overload (503), size
// (413), shape (400), host permission (403); only then is anything stored.
import { authenticate, bearerToken, mayReportFor } from '../auth';
import { errorResponse, HttpError } from '../http-errors';
import { readJsonBody } from '../read-body';
import { BadFrameError, parseIngestBody } from '../snapshot-schema';
import { getRuntime } from '../runtime';

export async function handleIngest(req: Request): Promise<Response> {
  const t0 = performance.now();
  const rt = await getRuntime();
  let status = 500;
  let frames = 0;
  let counted = false;
  try {
    const auth = authenticate(bearerToken(req.headers.get('authorization')), rt.grants);
    if (!auth.ok) {
      throw new HttpError(401, 'missing or wrong agent token: send Authorization: Bearer <VCPUMAP_AGENT_TOKEN>', {
        'www-authenticate': 'Bearer realm="vcpumap-ingest"',
      });
    }
    if (rt.ingestInFlight >= rt.config.maxIngestInFlight) {
      throw new HttpError(503, 'server busy: too many ingest requests in flight; retry later', { 'retry-after': '1' });
    }
    rt.ingestInFlight++;
    counted = true;
    const json = await readJsonBody(req, rt.config.maxBodyBytes);
    let snapshots;
    try {
      snapshots = parseIngestBody(json);
    } catch (err) {
      if (err instanceof BadFrameError) throw new HttpError(400, err.message);
      throw err;
    }
    const denied = snapshots.find((s) => !mayReportFor(auth.grant, s.host));
    if (denied) throw new HttpError(403, `this token may not report for host ${JSON.stringify(denied.host)}`);
    await rt.store.ingest(snapshots);
    frames = snapshots.length;
    status = 202;
    return Response.json({ stored: frames }, { status });
  } catch (err) {
    status = err instanceof HttpError ? err.status : 500;
    return errorResponse(err);
  } finally {
    if (counted) rt.ingestInFlight--;
    rt.metrics.observeIngest(status, (performance.now() - t0) / 1000, frames);
  }
}
