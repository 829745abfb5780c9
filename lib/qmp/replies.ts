// Validation and conversion of the `return` values of the QMP commands vcpumap runs.
// Schemas accept what QEMU 4.x to 9.x send and ignore members they do not know; errors name
// the offending field by its path in the reply, e.g. `query-cpus-fast reply: [1].thread-id: ...`.

import * as z from 'zod/mini';
import '../zod-en';
import type { IothreadIdentity, VcpuIdentity } from '../model/types';

const index = z.number().check(z.int(), z.nonnegative());
/** Linux thread ids are positive (pid_max is at most 2^22). */
const tid = z.number().check(z.int(), z.positive());

/**
 * CpuInstanceProperties: where a vCPU sits in the guest topology. Each member exists only on
 * machines with that level (cluster-id since QEMU 7.0, module-id since 9.0, drawer/book on
 * s390x). Unknown members of future QEMU versions are kept if they are numbers too.
 * Note `thread-id` here is the SMT thread within the core, not a host thread id.
 */
const propsSchema = z.catchall(
  z.object({
    'node-id': z.optional(index),
    'drawer-id': z.optional(index),
    'book-id': z.optional(index),
    'socket-id': z.optional(index),
    'die-id': z.optional(index),
    'cluster-id': z.optional(index),
    'module-id': z.optional(index),
    'core-id': z.optional(index),
    'thread-id': z.optional(index),
  }),
  index,
);

const cpuFastSchema = z.object({
  'cpu-index': index,
  'qom-path': z.string().check(z.minLength(1)),
  'thread-id': tid, // host TID of the vCPU thread
  props: z.optional(propsSchema),
  target: z.optional(z.string()), // QEMU >= 6.0
  arch: z.optional(z.string()), // QEMU 2.12 to 5.x, deprecated then removed in 6.0
});

const iothreadSchema = z.object({
  id: z.string().check(z.minLength(1)),
  'thread-id': tid,
});

/** `query-cpus-fast` -> one identity per vCPU, ascending by index. */
export function parseQueryCpusFast(ret: unknown): readonly VcpuIdentity[] {
  const cpus = validate(z.array(cpuFastSchema), ret, 'query-cpus-fast');
  const out = cpus.map(
    (c): VcpuIdentity => ({
      index: c['cpu-index'],
      tid: c['thread-id'],
      source: 'qmp',
      props: definedProps(c.props ?? {}),
      qomPath: c['qom-path'],
    }),
  );
  rejectDuplicates(out, (v) => v.index, 'query-cpus-fast', 'cpu-index');
  rejectDuplicates(out, (v) => v.tid, 'query-cpus-fast', 'thread-id');
  return out.sort((a, b) => a.index - b.index);
}

/** `query-iothreads` -> one identity per IOThread object, in QEMU's order. */
export function parseQueryIothreads(ret: unknown): readonly IothreadIdentity[] {
  const threads = validate(z.array(iothreadSchema), ret, 'query-iothreads');
  const out = threads.map((t): IothreadIdentity => ({ id: t.id, tid: t['thread-id'] }));
  rejectDuplicates(out, (t) => t.id, 'query-iothreads', 'id');
  return out;
}

function validate<T>(schema: z.ZodMiniType<T>, ret: unknown, command: string): T {
  const r = schema.safeParse(ret);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
  throw new Error(`${command} reply is not what QEMU 4-9 sends: ${issues.slice(0, 5).join('; ')}${more}`);
}

/** `[1].props.core-id`, the way a person would look it up in the JSON. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

/**
 * Drops the optional members zod leaves as undefined, so callers get a plain number record.
 * Object.fromEntries defines own properties: a hostile "__proto__" key stays a plain key.
 */
function definedProps(props: Readonly<Record<string, number | undefined>>): Readonly<Record<string, number>> {
  const entries: [string, number][] = [];
  for (const [k, v] of Object.entries(props)) if (v !== undefined) entries.push([k, v]);
  return Object.fromEntries(entries);
}

function rejectDuplicates<T>(items: readonly T[], key: (t: T) => string | number, command: string, field: string): void {
  const seen = new Set<string | number>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) throw new Error(`${command} reply lists ${field} ${JSON.stringify(k)} twice`);
    seen.add(k);
  }
}
