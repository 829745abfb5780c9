// A violation without its times ("body"): the same problem repeats tick after tick with the same
// text, so bodies are stored once per host and a tick row carries only (body id, since, lastSeen).
import { createHash } from 'node:crypto';
import type { Violation } from '../../model/snapshot';
import { pickViolation } from '../../wire/pick-violation';

export type ViolationBody = Omit<Violation, 'since' | 'lastSeen'>;

/**
 * Body JSON in contract key order (pickViolation's, without the times); optional keys only when
 * present. Also the dedup key: made for every violation of every frame stored, so built in one
 * object rather than picked, then copied without the times.
 */
export function violationBodyJson(v: Violation): string {
  const body: { -readonly [K in keyof ViolationBody]?: ViolationBody[K] } = { id: v.id, kind: v.kind, severity: v.severity, vm: v.vm, vms: v.vms };
  if (v.vcpu !== undefined) body.vcpu = v.vcpu;
  if (v.tid !== undefined) body.tid = v.tid;
  if (v.tids !== undefined) body.tids = v.tids;
  body.pcpus = v.pcpus;
  body.message = v.message;
  body.fix = v.fix;
  return JSON.stringify(body);
}

export function violationBodyHash(json: string): string {
  return createHash('sha256').update(json).digest('hex');
}

/** The violation as ingested: body keys in contract order, then since and lastSeen (epoch ms). */
export function withTimes(b: ViolationBody, since: number, lastSeen: number): Violation {
  return pickViolation({ ...b, since, lastSeen });
}

export function parseViolationBody(id: number, json: string): ViolationBody {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    throw new Error(`store: violation body ${id} is not valid JSON (database corrupted?): ${String(err)}`);
  }
  if (!isViolationBody(v)) {
    throw new Error(`store: violation body ${id} does not have the expected shape (database written by another version?)`);
  }
  return v;
}

function isViolationBody(v: unknown): v is ViolationBody {
  return (
    typeof v === 'object' &&
    v !== null &&
    'id' in v &&
    typeof v.id === 'string' &&
    'kind' in v &&
    typeof v.kind === 'string' &&
    'vm' in v &&
    typeof v.vm === 'string' &&
    'pcpus' in v &&
    Array.isArray(v.pcpus) &&
    'message' in v &&
    typeof v.message === 'string'
  );
}
