// The server's long-lived state: one per process, created on first use (or at start by
// instrumentation.ts) and kept on globalThis so that every route bundle shares it.
import { loadConfig, type ServerConfig } from './config';
import { loadAgentGrants, type AgentGrant } from './auth';
import { Metrics } from './metrics';
import { openStore, type FrameStore } from './store/store';
import { startEmbeddedAgent } from './embedded-agent';

export interface Runtime {
  readonly config: ServerConfig;
  readonly store: FrameStore;
  readonly grants: readonly AgentGrant[];
  readonly metrics: Metrics;
  ingestInFlight: number;
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
  const rt: Runtime = { config, store, grants, metrics: new Metrics(), ingestInFlight: 0 };
  const pruneTimer = setInterval(() => {
    store.prune(Date.now()).catch((err: unknown) => console.error('vcpumap: retention prune failed:', err));
  }, 60_000);
  pruneTimer.unref();
  if (config.embeddedAgent) await startEmbeddedAgent(rt);
  console.log(
    `vcpumap: storing in ${config.databaseUrl ? 'PostgreSQL' : `SQLite under ${config.dataDir}`}; ` +
      `embedded agent ${config.embeddedAgent ? `on, every ${config.agentIntervalMs} ms` : 'off'}; ` +
      `${grants.length} agent token grant(s)`,
  );
  return rt;
}
