// The ingest body: `{ "frames": [...], "structures"?: [...], "agent"?: {...} }` or a single
// snapshot. Frames are compact ticks or full snapshots (told apart by the `tick` key), all
// validated by the compiled schemas of lib/wire (parse.ts); structures are sent beside the ticks
// that name them; `agent` is the agent's own push counters (docs/api.md).
import type { Snapshot } from '../model/snapshot';
import type { CompactTick } from '../wire/compact-tick';
import { parseSnapshot, parseStructure, parseTick } from '../wire/parse';
import type { StructureBody } from '../wire/structure-body';
import { agentCountersValidator, batchValidator, FieldError } from '../wire/validate';
import type { AgentCounters } from './metrics';

/** A frame or structure of an ingest body is not valid; the message names the field. */
export class BadFrameError extends Error {
  constructor(detail: string) {
    super(`invalid frame: ${detail}`);
    this.name = 'BadFrameError';
  }
}

/** A validated ingest body: full snapshots and compact ticks in body order, and the structures sent with them. */
export interface IngestBatch {
  readonly frames: readonly (Snapshot | CompactTick)[];
  readonly structures: readonly StructureBody[];
  /** The agent's own counters (docs/api.md), when it sent them. */
  readonly agent?: AgentCounters;
}

/** The optional `agent` counters: telemetry, so a malformed one is ignored rather than costing the frames. */
function agentCounters(body: object): { agent?: AgentCounters } {
  if (!('agent' in body)) return {};
  const a = body.agent;
  return agentCountersValidator.check(a) ? { agent: { spooled: a.spooled, sent: a.sent, dropped: a.dropped } } : {};
}

const isTick = (f: unknown): boolean => typeof f === 'object' && f !== null && 'tick' in f;

/** The batch, or BadFrameError naming the first bad field (`frames.0.vms.2.pid: ...`). */
export function parseIngestBody(body: unknown): IngestBatch {
  try {
    if (typeof body !== 'object' || body === null || !('frames' in body)) return { frames: [parseSnapshot(body, '')], structures: [] };
    const batch = batchValidator.parse(body, '');
    return {
      frames: batch.frames.map((f, i) => (isTick(f) ? parseTick(f, `frames.${i}`) : parseSnapshot(f, `frames.${i}`))),
      structures: (batch.structures ?? []).map((s, i) => parseStructure(s, `structures.${i}`)),
      ...agentCounters(body),
    };
  } catch (err) {
    if (err instanceof FieldError) throw new BadFrameError(err.message);
    throw err;
  }
}
