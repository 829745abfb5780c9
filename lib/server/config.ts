// Server settings from the environment, validated once at start with messages that name the
// variable. Documented in README.md.
import path from 'node:path';
import { z } from 'zod';
import { parseDuration } from '../agent/duration';
import { publicUrlFromEnv } from './public-url';

export interface ServerConfig {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly embeddedAgent: boolean;
  readonly agentIntervalMs: number;
  readonly pinsFile: string | undefined;
  /** Exact mode of the embedded agent (VCPUMAP_AGENT_EXACT: auto, on or off). */
  readonly agentExact: 'auto' | 'on' | 'off';
  readonly agentToken: string | undefined;
  readonly tokensFile: string | undefined;
  readonly viewerToken: string | undefined;
  /** Token /metrics needs; unset: the viewer token's rule. */
  readonly metricsToken: string | undefined;
  readonly maxBodyBytes: number;
  readonly maxIngestInFlight: number;
  /** Ingest is shed (503) while the event loop is this far behind (ms). */
  readonly shedLagMs: number;
  /** Ingest is shed (503) while the quickest recent ingest took this long (ms). */
  readonly shedQueueMs: number;
  /** Open event streams in all, and from one client address. */
  readonly maxStreams: number;
  readonly maxStreamsPerClient: number;
  readonly retainFullMs: number;
  readonly retainMinutesMs: number;
  readonly liveWindowMs: number;
  readonly sseHeartbeatMs: number;
  /** VCPUMAP_PUBLIC_URL: where link previews and shared links point; null: the request's Host. */
  readonly publicUrl: string | null;
}

const HOUR = 3_600_000;
const positiveNumber = (name: string, dflt: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      const n = Number(v);
      if (!(n > 0) || !Number.isFinite(n)) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a positive number, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const num = {
    maxBodyBytes: positiveNumber('VCPUMAP_MAX_BODY_BYTES', 4 * 1024 * 1024).parse(env.VCPUMAP_MAX_BODY_BYTES),
    maxIngestInFlight: positiveNumber('VCPUMAP_MAX_INGEST_IN_FLIGHT', 16).parse(env.VCPUMAP_MAX_INGEST_IN_FLIGHT),
    shedLagMs: positiveNumber('VCPUMAP_SHED_LAG_MS', 50).parse(env.VCPUMAP_SHED_LAG_MS),
    shedQueueMs: positiveNumber('VCPUMAP_SHED_QUEUE_MS', 250).parse(env.VCPUMAP_SHED_QUEUE_MS),
    maxStreams: positiveNumber('VCPUMAP_MAX_STREAMS', 1000).parse(env.VCPUMAP_MAX_STREAMS),
    maxStreamsPerClient: positiveNumber('VCPUMAP_MAX_STREAMS_PER_CLIENT', 16).parse(env.VCPUMAP_MAX_STREAMS_PER_CLIENT),
    retainFullHours: positiveNumber('VCPUMAP_RETAIN_FULL_HOURS', 24).parse(env.VCPUMAP_RETAIN_FULL_HOURS),
    retainMinutesDays: positiveNumber('VCPUMAP_RETAIN_MINUTES_DAYS', 30).parse(env.VCPUMAP_RETAIN_MINUTES_DAYS),
    liveWindowMinutes: positiveNumber('VCPUMAP_LIVE_WINDOW_MINUTES', 15).parse(env.VCPUMAP_LIVE_WINDOW_MINUTES),
    sseHeartbeatMs: positiveNumber('VCPUMAP_SSE_HEARTBEAT_MS', 15_000).parse(env.VCPUMAP_SSE_HEARTBEAT_MS),
  };
  let agentIntervalMs: number;
  try {
    agentIntervalMs = parseDuration(env.VCPUMAP_AGENT_INTERVAL ?? '1s');
  } catch (err) {
    throw new Error(`VCPUMAP_AGENT_INTERVAL: ${err instanceof Error ? err.message : String(err)}`);
  }
  // auto, as the agent's --exact: exact where tracefs can be used, else one log line and sampling.
  const exact = env.VCPUMAP_AGENT_EXACT || 'auto';
  if (exact !== 'auto' && exact !== 'on' && exact !== 'off') throw new Error(`VCPUMAP_AGENT_EXACT must be auto, on or off, got "${exact}"`);
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for SQLite under VCPUMAP_DATA_DIR)');
  }
  return {
    // Resolved against the working directory at run time, not traced by the bundler.
    dataDir: path.resolve(/*turbopackIgnore: true*/ env.VCPUMAP_DATA_DIR || './data'),
    databaseUrl,
    embeddedAgent: env.VCPUMAP_EMBEDDED_AGENT !== '0',
    agentIntervalMs,
    pinsFile: env.VCPUMAP_PINS || undefined,
    agentExact: exact,
    agentToken: env.VCPUMAP_AGENT_TOKEN || undefined,
    tokensFile: env.VCPUMAP_TOKENS_FILE || undefined,
    viewerToken: env.VCPUMAP_VIEWER_TOKEN || undefined,
    metricsToken: env.VCPUMAP_METRICS_TOKEN || undefined,
    maxBodyBytes: Math.round(num.maxBodyBytes),
    maxIngestInFlight: Math.round(num.maxIngestInFlight),
    shedLagMs: num.shedLagMs,
    shedQueueMs: num.shedQueueMs,
    maxStreams: Math.round(num.maxStreams),
    maxStreamsPerClient: Math.round(num.maxStreamsPerClient),
    retainFullMs: num.retainFullHours * HOUR,
    retainMinutesMs: num.retainMinutesDays * 24 * HOUR,
    liveWindowMs: num.liveWindowMinutes * 60_000,
    sseHeartbeatMs: num.sseHeartbeatMs,
    publicUrl: publicUrlFromEnv(env),
  };
}
