// Prometheus metrics of the server. Labels are bounded: violation kinds, never pin sets,
// thread ids or VM names.
import type { ViolationKind } from '../model/snapshot';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]; // seconds

export class Metrics {
  framesIngested = 0;
  ingestRequests = new Map<number, number>(); // HTTP status -> count
  private readonly latencyCounts = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  private latencySum = 0;
  private latencyCount = 0;
  sseClients = 0;

  observeIngest(status: number, seconds: number, frames: number): void {
    this.ingestRequests.set(status, (this.ingestRequests.get(status) ?? 0) + 1);
    if (status < 300) this.framesIngested += frames;
    let i = LATENCY_BUCKETS.findIndex((b) => seconds <= b);
    if (i < 0) i = LATENCY_BUCKETS.length;
    this.latencyCounts[i] = (this.latencyCounts[i] ?? 0) + 1;
    this.latencySum += seconds;
    this.latencyCount++;
  }

  render(state: { hosts: number; staleHosts: number; violationsByKind: ReadonlyMap<ViolationKind, number> }): string {
    const out: string[] = [];
    out.push('# HELP vcpumap_frames_ingested_total Agent frames stored.', '# TYPE vcpumap_frames_ingested_total counter');
    out.push(`vcpumap_frames_ingested_total ${this.framesIngested}`);
    out.push('# HELP vcpumap_ingest_requests_total Ingest requests by HTTP status.', '# TYPE vcpumap_ingest_requests_total counter');
    for (const [status, n] of [...this.ingestRequests].sort((a, b) => a[0] - b[0])) {
      out.push(`vcpumap_ingest_requests_total{status="${status}"} ${n}`);
    }
    out.push('# HELP vcpumap_ingest_duration_seconds Time to validate and store one ingest request.', '# TYPE vcpumap_ingest_duration_seconds histogram');
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((b, i) => {
      cumulative += this.latencyCounts[i] ?? 0;
      out.push(`vcpumap_ingest_duration_seconds_bucket{le="${b}"} ${cumulative}`);
    });
    out.push(`vcpumap_ingest_duration_seconds_bucket{le="+Inf"} ${this.latencyCount}`);
    out.push(`vcpumap_ingest_duration_seconds_sum ${this.latencySum}`);
    out.push(`vcpumap_ingest_duration_seconds_count ${this.latencyCount}`);
    out.push('# HELP vcpumap_hosts Hosts that have reported.', '# TYPE vcpumap_hosts gauge', `vcpumap_hosts ${state.hosts}`);
    out.push('# HELP vcpumap_hosts_stale Hosts without a frame for over a minute.', '# TYPE vcpumap_hosts_stale gauge', `vcpumap_hosts_stale ${state.staleHosts}`);
    out.push('# HELP vcpumap_violations_active Violations in the latest snapshot of each host, by kind.', '# TYPE vcpumap_violations_active gauge');
    for (const [kind, n] of [...state.violationsByKind].sort()) out.push(`vcpumap_violations_active{kind="${kind}"} ${n}`);
    out.push('# HELP vcpumap_sse_clients Open Server-Sent Events streams.', '# TYPE vcpumap_sse_clients gauge', `vcpumap_sse_clients ${this.sseClients}`);
    return out.join('\n') + '\n';
  }
}
