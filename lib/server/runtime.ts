// The server's long-lived state: one per process, created on first use (or at start by
// instrumentation.ts) and kept on globalThis so that every route bundle shares it.
import { loadConfig, type ServerConfig } from './config';
import { loadAgentGrants, type AgentGrant } from './auth';
import { IngestLoad } from './ingest-load';
import { LiveEvents } from './sse/live-events';
import { Metrics } from './metrics';
import { openStore, type FrameStore } from './store/store';
import { startEmbeddedAgent } from './embedded-agent';

export interface Runtime {
  readonly config: ServerConfig;
  readonly store: FrameStore;
  readonly grants: readonly AgentGrant[];
  readonly metrics: Metrics;
  readonly ingestLoad: IngestLoad;
  readonly live: LiveEvents;
}

const KEY = Symbol.for('vcpumap.runtime');
type Holder = { [KEY]?: Promise<Runtime> };

export function getRuntime(): Promise<Runtime> {
  const holder = globalThis as Holder;
  holder[KEY] ??= createRuntime().catch((err: unknown) => {
    delete holder[KEY]; // let the next request retry, and say why this one failed
    throw err;
  });
  return holder[KEY];
}

async function createRuntime(): Promise<Runtime> {
  const config = loadConfig();
  const grants = loadAgentGrants({ sharedToken: config.agentToken, tokensFile: config.tokensFile });
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    retainFullMs: config.retainFullMs,
    retainMinutesMs: config.retainMinutesMs,
    liveWindowMs: config.liveWindowMs,
  });
  const ingestLoad = new IngestLoad({ maxInFlight: config.maxIngestInFlight, maxLagMs: config.shedLagMs, maxQueueMs: config.shedQueueMs });
  const live = new LiveEvents(store, {
    maxStreams: config.maxStreams,
    maxStreamsPerClient: config.maxStreamsPerClient,
    maxBacklogBytes: 4 * 1024 * 1024,
    heartbeatMs: config.sseHeartbeatMs,
  });
  const rt: Runtime = { config, store, grants, metrics: new Metrics(), ingestLoad, live };
  const pruneTimer = setInterval(() => {
    store.prune(Date.now()).catch((err: unknown) => console.error('vcpumap: retention prune failed:', err));
  }, 60_000);
  pruneTimer.unref();
  // Not awaited: the server is ready once its store is open. The agent's first look at the host
  // (QMP questions with timeouts of their own) must not hold every request back.
  if (config.embeddedAgent) {
    startEmbeddedAgent(rt).catch((err: unknown) => console.error('vcpumap: the embedded agent could not start:', err));
  }
  console.log(
    `vcpumap: storing in ${config.databaseUrl ? 'PostgreSQL' : `SQLite under ${config.dataDir}`}; ` +
      `embedded agent ${config.embeddedAgent ? `on, every ${config.agentIntervalMs} ms` : 'off'}; ` +
      `${grants.length} agent token grant(s)`,
  );
  return rt;
}
