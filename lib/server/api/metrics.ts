// GET /metrics in the Prometheus text format.
import type { ViolationKind } from '../../model/snapshot';
import { errorResponse } from '../http-errors';
import { getRuntime } from '../runtime';
import { requireMetricsReader } from './viewer';

const STALE_MS = 60_000;

export async function getMetrics(req: Request): Promise<Response> {
  try {
    const rt = await getRuntime();
    requireMetricsReader(req, rt);
    const [hosts, violations] = await Promise.all([rt.store.hosts(), rt.store.activeViolations()]);
    const byKind = new Map<ViolationKind, number>();
    for (const v of violations) byKind.set(v.kind, (byKind.get(v.kind) ?? 0) + 1);
    const now = Date.now();
    const body = rt.metrics.render({
      hosts: hosts.length,
      staleHosts: hosts.filter((h) => now - h.lastSeen > STALE_MS).length,
      violationsByKind: byKind,
      sseClients: rt.live.fanout.size,
      sseDropped: rt.live.fanout.dropped,
      ingestShed: rt.ingestLoad.shed,
      eventLoopLagMs: rt.ingestLoad.lagMs,
    });
    return new Response(body, { headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } });
  } catch (err) {
    return errorResponse(err);
  }
}
