// Turns a validated ingest batch into frames for the store: each compact tick with its
// structure, sent in the same body or already known to the store (by host and hash), checked to
// fit it. The store writes a tick's row from its arrays; it is expanded to a Snapshot
// (expandTick) only for live listeners.
import type { IngestFrame } from './store/store';
import { extractStructure, structureHash, structureJson, type StructureBody } from '../wire/structure-body';
import { TickFieldError, validateTickFits } from './compact-tick-schema';
import type { IngestBatch } from './ingest-body';
import { BadFrameError } from './snapshot-schema';

/** A tick names a structure the server does not have (restart, other replica): answer 409. */
export class UnknownStructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownStructureError';
  }
}

export type KnownStructure = (host: string, hash: string) => StructureBody | undefined;

/** Frames in body order; throws BadFrameError (a tick that does not fit) or UnknownStructureError. */
export function resolveFrames(batch: IngestBatch, known: KnownStructure): IngestFrame[] {
  const sent = new Map<string, StructureBody>();
  for (const s of batch.structures) {
    // The hash of the canonical form, whatever key order the sender used: the name ticks use.
    const body = extractStructure(s);
    sent.set(`${body.host}\n${structureHash(structureJson(body))}`, body);
  }
  return batch.frames.map((f, i) => {
    if (!('tick' in f)) return f;
    const body = sent.get(`${f.host}\n${f.structure}`) ?? known(f.host, f.structure);
    if (body === undefined) {
      throw new UnknownStructureError(
        `frames.${i}.structure: unknown structure ${f.structure} for host ${JSON.stringify(f.host)}: send it in "structures" (the server restarted, or another replica answered before)`,
      );
    }
    try {
      validateTickFits(f, body, `frames.${i}`);
    } catch (err) {
      if (err instanceof TickFieldError) throw new BadFrameError(err.message);
      throw err;
    }
    return { host: f.host, at: f.at, body, tick: f };
  });
}
