// Validation of compact ticks (lib/wire/compact-tick.ts) at the ingest boundary, by hand: this is
// the hot path (one per host per second), and zod costs about 30 times the parse for arrays of
// small numbers. Checks what snapshot-schema.ts checks for the same values, and names the field in
// the same form (`frames.3.pcpu.17: ...`). Violations, rare and nested, still go through zod.
import { z } from 'zod';
import type { Violation } from '../model/snapshot';
import { TICK_FORMAT, type CompactTick, type StructureCounts, type VcpuException } from '../wire/compact-tick';
import type { StructureBody } from '../wire/structure-body';
import { BAD_HOST_CHARS, describeIssues, HOST_MESSAGE, MAX_CPU, MAX_TIME, violationSchema } from './snapshot-schema';

/** Threads and vCPU entries a tick may carry (4096 VMs of 65536 threads would be far more). */
const MAX_ENTRIES = 1 << 20;
const violationsSchema = z.array(violationSchema).max(100_000);

/** A field of a tick is wrong; the message starts with its path. */
export class TickFieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TickFieldError';
  }
}

function fail(path: string, detail: string): never {
  throw new TickFieldError(`${path}: ${detail}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function int(v: unknown, min: number, max: number, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `expected an integer from ${min} to ${max}`);
  return v;
}

function array(v: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(v)) fail(path, 'expected array');
  if (v.length > MAX_ENTRIES) fail(path, `more than ${MAX_ENTRIES} entries`);
  return v;
}

function cpuArray(v: unknown, path: string): number[] {
  const a = array(v, path);
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > MAX_CPU) fail(`${path}.${i}`, `expected an integer from 0 to ${MAX_CPU}`);
    out[i] = x;
  }
  return out;
}

/** Non-negative numbers or null (counters in ns); `max` bounds them (busy: 1). */
function nullableNumbers(v: unknown, max: number, path: string): (number | null)[] {
  const a = array(v, path);
  const out: (number | null)[] = new Array<number | null>(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x === null) {
      out[i] = null;
    } else if (typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= max) {
      out[i] = x;
    } else {
      fail(`${path}.${i}`, max === Number.MAX_VALUE ? 'expected a number >= 0 or null' : `expected a number from 0 to ${max} or null`);
    }
  }
  return out;
}

/** One character per thread, each allowed by `ok` (char codes). */
function charString(v: unknown, path: string, ok: (c: number) => boolean, what: string): string {
  if (typeof v !== 'string') fail(path, 'expected string');
  if (v.length > MAX_ENTRIES) fail(path, `more than ${MAX_ENTRIES} characters`);
  for (let i = 0; i < v.length; i++) if (!ok(v.charCodeAt(i))) fail(`${path}.${i}`, `expected ${what}`);
  return v;
}

const isBit = (c: number): boolean => c === 48 || c === 49; // "0" | "1"
const isStateChar = (c: number): boolean => c > 32 && c < 127; // printable ASCII

function vcpuExceptions(v: unknown, path: string): VcpuException[] {
  const a = array(v, path);
  const out: VcpuException[] = [];
  let prev = -1;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const p = `${path}.${i}`;
    if (!Array.isArray(x) || x.length !== 4) fail(p, 'expected [entry, pcpu, ran (0 or 1), state]');
    const entry = int(x[0], 0, MAX_ENTRIES, `${p}.0`);
    if (entry <= prev) fail(`${p}.0`, 'entries must be ascending, each at most once');
    prev = entry;
    const pcpu = int(x[1], 0, MAX_CPU, `${p}.1`);
    const ran = x[2];
    if (ran !== 0 && ran !== 1) fail(`${p}.2`, 'expected 0 or 1');
    const state = x[3];
    if (typeof state !== 'string' || state.length > 4) fail(`${p}.3`, 'expected a string of at most 4 characters');
    out.push([entry, pcpu, ran, state]);
  }
  return out;
}

/**
 * A compact tick from untrusted JSON, or TickFieldError naming the first bad field under `path`
 * (e.g. "frames.3"). Unknown keys are ignored, as for snapshots. Lengths are checked against the
 * structure later (validateTickFits), once it is known.
 */
export function parseCompactTick(v: unknown, path: string): CompactTick {
  if (!isRecord(v)) fail(path || '(body)', 'expected object');
  if (v.tick !== TICK_FORMAT) fail(`${path}.tick`, `expected ${TICK_FORMAT}`);
  const host = v.host;
  if (typeof host !== 'string') fail(`${path}.host`, 'expected string');
  if (host.length < 1 || host.length > 253 || BAD_HOST_CHARS.test(host)) fail(`${path}.host`, HOST_MESSAGE);
  const at = int(v.at, 0, MAX_TIME, `${path}.at`);
  const intervalMs = v.intervalMs;
  if (intervalMs !== null && (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs < 0 || intervalMs > 86_400_000)) {
    fail(`${path}.intervalMs`, 'expected a number from 0 to 86400000 or null');
  }
  const mode = v.mode;
  if (mode !== undefined && mode !== 'exact' && mode !== 'sampled') fail(`${path}.mode`, 'expected "exact" or "sampled"');
  const trace = v.trace;
  if (trace !== undefined && !isRecord(trace)) fail(`${path}.trace`, 'expected object');
  const structure = v.structure;
  if (typeof structure !== 'string' || !/^[0-9a-f]{64}$/.test(structure)) fail(`${path}.structure`, 'expected the structure hash (64 lowercase hex digits)');
  const violations = violationsSchema.safeParse(v.violations);
  if (!violations.success) throw new TickFieldError(describeIssues(violations.error, 5, `${path}.violations`));
  return {
    tick: TICK_FORMAT,
    host,
    at,
    intervalMs,
    ...(mode !== undefined ? { mode } : {}),
    ...(trace !== undefined
      ? { trace: { events: int(trace.events, 0, Number.MAX_SAFE_INTEGER, `${path}.trace.events`), lostEvents: int(trace.lostEvents, 0, Number.MAX_SAFE_INTEGER, `${path}.trace.lostEvents`) } }
      : {}),
    structure,
    pcpu: cpuArray(v.pcpu, `${path}.pcpu`),
    ran: charString(v.ran, `${path}.ran`, isBit, '"0" or "1"'),
    state: charString(v.state, `${path}.state`, isStateChar, 'a printable ASCII character'),
    vcpus: vcpuExceptions(v.vcpus, `${path}.vcpus`),
    runNs: nullableNumbers(v.runNs, Number.MAX_VALUE, `${path}.runNs`),
    waitNs: nullableNumbers(v.waitNs, Number.MAX_VALUE, `${path}.waitNs`),
    busy: nullableNumbers(v.busy, 1, `${path}.busy`),
    violations: violations.data satisfies Violation[],
  };
}

/** What a tick's arrays must match in its structure, cached per structure body. */
interface Fit extends StructureCounts {
  /** vCPU entries with no thread of their tid in their VM: the tick must carry them in `vcpus`. */
  readonly unlinked: ReadonlySet<number>;
}

const fits = new WeakMap<StructureBody, Fit>();

function fitOf(body: StructureBody): Fit {
  let fit = fits.get(body);
  if (fit) return fit;
  let threads = 0;
  let vcpus = 0;
  const unlinked = new Set<number>();
  for (const vm of body.vms) {
    const tids = new Set<number>();
    for (const t of vm.threads) tids.add(t.tid);
    for (const vc of vm.vcpus) {
      if (!tids.has(vc.tid)) unlinked.add(vcpus);
      vcpus++;
    }
    threads += vm.threads.length;
  }
  fit = { threads, vcpus, cpus: body.topology.cpus.length, unlinked };
  fits.set(body, fit);
  return fit;
}

/** Throws TickFieldError when the tick's arrays do not have its structure's lengths. */
export function validateTickFits(t: CompactTick, body: StructureBody, path: string): void {
  const fit = fitOf(body);
  const id = `structure ${t.structure.slice(0, 12)}`;
  const expect = (field: string, got: number, want: number, what: string): void => {
    if (got !== want) fail(`${path}.${field}`, `expected ${want} entries (the ${what} of ${id}), got ${got}`);
  };
  expect('pcpu', t.pcpu.length, fit.threads, 'threads');
  expect('ran', t.ran.length, fit.threads, 'threads');
  expect('state', t.state.length, fit.threads, 'threads');
  expect('runNs', t.runNs.length, fit.vcpus, 'vCPU entries');
  expect('waitNs', t.waitNs.length, fit.vcpus, 'vCPU entries');
  expect('busy', t.busy.length, fit.cpus, 'pCPUs');
  const listed = new Set<number>();
  t.vcpus.forEach((x, i) => {
    if (x[0] >= fit.vcpus) fail(`${path}.vcpus.${i}.0`, `no vCPU entry ${x[0]} in ${id} (it has ${fit.vcpus})`);
    listed.add(x[0]);
  });
  for (const k of fit.unlinked) {
    if (!listed.has(k)) fail(`${path}.vcpus`, `vCPU entry ${k} of ${id} has no thread: it must be listed`);
  }
}
