// Turns a validated ingest batch into frames for the store (lib/wire/frame.ts): each snapshot
// split into its structure and tick, each compact tick with its structure, sent in the same body
// or already known to the store (by host and hash), checked to fit it.
import { checkTickFits } from '../wire/frame-checks';
import { FrameSplitter, hashStructure, type Frame } from '../wire/frame';
import type { StructureBody } from '../wire/structure-body';
import { FieldError } from '../wire/validate';
import { BadFrameError, type IngestBatch } from './ingest-body';

/** A tick names a structure the server does not have (restart, other replica): answer 409. */
export class UnknownStructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownStructureError';
  }
}

export type KnownStructure = (host: string, hash: string) => StructureBody | undefined;

/** Frames in body order; throws BadFrameError (a tick that does not fit) or UnknownStructureError. */
export function resolveFrames(batch: IngestBatch, known: KnownStructure): Frame[] {
  const sent = new Map<string, StructureBody>();
  for (const s of batch.structures) {
    // The hash of the canonical form, whatever key order the sender used: the name ticks use.
    const h = hashStructure(s);
    sent.set(`${h.body.host}\n${h.hash}`, h.body);
  }
  const splitter = new FrameSplitter();
  return batch.frames.map((f, i) => {
    if (!('tick' in f)) return splitter.split(f);
    const body = sent.get(`${f.host}\n${f.structure}`) ?? known(f.host, f.structure);
    if (body === undefined) {
      throw new UnknownStructureError(
        `frames.${i}.structure: unknown structure ${f.structure} for host ${JSON.stringify(f.host)}: send it in "structures" (the server restarted, or another replica answered before)`,
      );
    }
    try {
      checkTickFits(f, body, `frames.${i}`);
    } catch (err) {
      if (err instanceof FieldError) throw new BadFrameError(err.message);
      throw err;
    }
    return { host: f.host, at: f.at, body, tick: f };
  });
}
