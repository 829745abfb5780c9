// Messages between the server (embedded-agent.ts) and the embedded agent's own process
// (embedded-agent-child.ts, bundled into dist/embedded-agent.mjs), over Node's IPC channel.
import type { TraceAnswer } from '../agent/trace-export';

/** What the child needs to sample this host and spool its frames. */
export interface EmbeddedAgentOptions {
  readonly host: string;
  readonly intervalMs: number;
  readonly pinsFile: string | null;
  readonly exact: 'auto' | 'on' | 'off';
  /** The spool's directory (under the server's data dir) and its bound in bytes. */
  readonly spoolDir: string;
  readonly spoolMaxBytes: number;
}

export type ToChild =
  | { readonly type: 'start'; readonly options: EmbeddedAgentOptions }
  /** The answer to an `ingest`, as HTTP would give it: the pusher reads it the same way. */
  | { readonly type: 'stored'; readonly id: number; readonly status: number; readonly body: string; readonly headers: Readonly<Record<string, string>> }
  /** The kept trace of [from, to] (epoch ms), for GET /api/v1/hosts/{host}/trace. */
  | { readonly type: 'trace'; readonly id: number; readonly from: number; readonly to: number };

/** One ingest body exactly as the pusher would POST it to /api/v1/ingest (JSON text). */
export type FromChild =
  | { readonly type: 'ingest'; readonly id: number; readonly body: string }
  | { readonly type: 'trace'; readonly id: number; readonly answer: TraceAnswer };
