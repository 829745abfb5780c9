// Prometheus metrics of the server. Labels are bounded: violation kinds, never pin sets,
// thread ids or VM names.
import type { ViolationKind } from '../model/snapshot';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]; // seconds

/** What an agent says about its own push queue (the ingest body's optional `agent`, docs/api.md). */
export interface AgentCounters {
  readonly spooled: number; // frames waiting in its spool now
  readonly sent: number; // frames the server stored, since the agent started
  readonly dropped: number; // frames it dropped (spool full, or refused by the server), since it started
}

/** Hosts whose agent counters are kept; the least recently reporting go first. */
const MAX_AGENT_HOSTS = 10_000;

export interface MetricsState {
  readonly hosts: number;
  readonly staleHosts: number;
  readonly violationsByKind: ReadonlyMap<ViolationKind, number>;
  readonly sseClients: number;
  readonly sseDropped: number;
  readonly ingestShed: number;
  readonly eventLoopLagMs: number;
}

export class Metrics {
  framesIngested = 0;
  ingestRequests = new Map<number, number>(); // HTTP status -> count
  private readonly latencyCounts = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0);
  private latencySum = 0;
  private latencyCount = 0;
  private readonly agents = new Map<string, AgentCounters>();

  observeAgent(host: string, counters: AgentCounters): void {
    this.agents.delete(host); // re-inserted last: the map's order is least recently reported first
    this.agents.set(host, counters);
    if (this.agents.size > MAX_AGENT_HOSTS) {
      const oldest = this.agents.keys().next();
      if (!oldest.done) this.agents.delete(oldest.value);
    }
  }

  observeIngest(status: number, seconds: number, frames: number): void {
    this.ingestRequests.set(status, (this.ingestRequests.get(status) ?? 0) + 1);
    if (status < 300) this.framesIngested += frames;
    let i = LATENCY_BUCKETS.findIndex((b) => seconds <= b);
    if (i < 0) i = LATENCY_BUCKETS.length;
    this.latencyCounts[i] = (this.latencyCounts[i] ?? 0) + 1;
    this.latencySum += seconds;
    this.latencyCount++;
  }

  render(state: MetricsState): string {
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
    out.push('# HELP vcpumap_sse_clients Open Server-Sent Events streams.', '# TYPE vcpumap_sse_clients gauge', `vcpumap_sse_clients ${state.sseClients}`);
    out.push('# HELP vcpumap_sse_dropped_total Streams dropped because the client did not read.', '# TYPE vcpumap_sse_dropped_total counter', `vcpumap_sse_dropped_total ${state.sseDropped}`);
    out.push('# HELP vcpumap_ingest_shed_total Ingest requests answered 503 to shed load.', '# TYPE vcpumap_ingest_shed_total counter', `vcpumap_ingest_shed_total ${state.ingestShed}`);
    out.push('# HELP vcpumap_event_loop_lag_seconds How far the event loop was behind in the last 100 ms.', '# TYPE vcpumap_event_loop_lag_seconds gauge', `vcpumap_event_loop_lag_seconds ${state.eventLoopLagMs / 1000}`);
    const agents = [...this.agents].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const series = [
      ['vcpumap_agent_spooled_frames', 'gauge', 'Frames waiting in the agent spool, as the agent last said.', 'spooled'],
      ['vcpumap_agent_sent_frames_total', 'counter', 'Frames the agent had stored by the server, since it started, as it last said.', 'sent'],
      ['vcpumap_agent_dropped_frames_total', 'counter', 'Frames the agent dropped (spool full, refused), since it started, as it last said.', 'dropped'],
    ] as const;
    for (const [name, type, help, field] of series) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [host, c] of agents) out.push(`${name}{host="${labelValue(host)}"} ${c[field]}`);
    }
    return out.join('\n') + '\n';
  }
}

/** A Prometheus label value: backslash, double quote and line feed escaped. */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
