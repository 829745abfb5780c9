// The ingest body: full snapshots (zod, snapshot-schema.ts) and compact ticks (by hand,
// compact-tick-schema.ts), and the structures sent beside the ticks.
import { z } from 'zod';
import type { Snapshot } from '../model/snapshot';
import type { CompactTick } from '../wire/compact-tick';
import type { StructureBody } from '../wire/structure-body';
import type { AgentCounters } from './metrics';
import { parseCompactTick, TickFieldError } from './compact-tick-schema';
import { BadFrameError, describeIssues, snapshotSchema, structureSchema } from './snapshot-schema';

const MAX_FRAMES = 10_000;
const batchSchema = z.object({ frames: z.array(snapshotSchema).min(1).max(MAX_FRAMES) });
const compactBatchSchema = z.object({
  frames: z.array(z.unknown()).min(1).max(MAX_FRAMES),
  structures: z.array(structureSchema).max(1000).optional(),
});

/** A validated ingest body: full snapshots and compact ticks in body order, and the structures sent with them. */
export interface IngestBatch {
  readonly frames: readonly (Snapshot | CompactTick)[];
  readonly structures: readonly StructureBody[];
  /** The agent's own counters (docs/api.md), when it sent them. */
  readonly agent?: AgentCounters;
}

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const agentSchema = z.object({ spooled: count, sent: count, dropped: count });

/** The optional `agent` counters: telemetry, so a malformed one is ignored rather than costing the frames. */
function agentCounters(body: object): { agent?: AgentCounters } {
  if (!('agent' in body)) return {};
  const r = agentSchema.safeParse(body.agent);
  return r.success ? { agent: r.data } : {};
}

const isTick = (f: unknown): boolean => typeof f === 'object' && f !== null && 'tick' in f;

/**
 * An ingest body: `{ "frames": [...], "structures"?: [...] }` or a single snapshot; throws
 * BadFrameError naming the first bad field. Frames are full snapshots or compact ticks; a body
 * of snapshots only is checked as one zod schema, as before ticks existed (same messages).
 */
export function parseIngestBody(body: unknown): IngestBatch {
  const isBatch = typeof body === 'object' && body !== null && 'frames' in body;
  if (!isBatch) {
    const r = snapshotSchema.safeParse(body);
    if (!r.success) throw new BadFrameError(describeIssues(r.error));
    return { frames: [r.data], structures: [] };
  }
  const compact = 'structures' in body || (Array.isArray(body.frames) && body.frames.some(isTick));
  if (!compact) {
    const r = batchSchema.safeParse(body);
    if (!r.success) throw new BadFrameError(describeIssues(r.error));
    return { frames: r.data.frames, structures: [], ...agentCounters(body) };
  }
  const r = compactBatchSchema.safeParse(body);
  if (!r.success) throw new BadFrameError(describeIssues(r.error));
  const frames = r.data.frames.map((f, i): Snapshot | CompactTick => {
    if (isTick(f)) {
      try {
        return parseCompactTick(f, `frames.${i}`);
      } catch (err) {
        if (err instanceof TickFieldError) throw new BadFrameError(err.message);
        throw err;
      }
    }
    const s = snapshotSchema.safeParse(f);
    if (!s.success) throw new BadFrameError(describeIssues(s.error, 5, `frames.${i}`));
    return s.data;
  });
  return { frames, structures: r.data.structures ?? [], ...agentCounters(body) };
}
