// The schemas of schema.ts compiled to code (TypeBox's compiler: one boolean expression per schema,
// chosen by measurement, see the commit that added it), and the message of the first bad field.
// The compiled check is the hot path; only a value that fails it is walked again, once, to name
// the first field that is wrong (firstError below reads the same schema nodes, no second copy).
import { Compile } from 'typebox/compile';
import type { Static, TSchema } from 'typebox';
import type { Snapshot, Violation, ViolationKind } from '../model/snapshot';
import type { CompactTick } from './compact-tick';
import { agentCountersSchema, batchSchema, VIOLATION_KINDS, snapshotSchema, structureSchema, tickSchema, type ErrorMessage } from './schema';
import type { StructureBody } from './structure-body';

/** A value does not match its schema; the message starts with the path of the field. */
export class FieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldError';
  }
}

export interface Compiled<T> {
  /** `v` as T, or FieldError naming the first bad field under `path` ("" for the body itself). */
  parse(v: unknown, path: string): T;
  check(v: unknown): v is T;
}

/**
 * The schema compiled on first use, not at import: a page loads a dozen of these and checks two or
 * three (compiling one is milliseconds of the main thread; the history's, tens).
 */
export function compile<S extends TSchema, T>(schema: S): Compiled<T> {
  let validator: ReturnType<typeof Compile<S>> | null = null;
  const check = (v: unknown): v is T => (validator ??= Compile(schema)).Check(v);
  return {
    check,
    parse(v, path) {
      if (check(v)) return v;
      throw new FieldError(describe(schema, v, path));
    },
  };
}

// The compiled types are checked against the model's: a schema that drifts from the contract's
// TypeScript types does not compile.
type Assignable<A, B> = A extends B ? true : never;
const contract: [
  Assignable<Static<typeof snapshotSchema>, Snapshot>,
  Assignable<Static<typeof structureSchema>, StructureBody>,
  Assignable<Static<typeof tickSchema>, CompactTick>,
  // and the kinds both ways: a kind added to the model but not to the schema does not compile
  Assignable<ViolationKind, (typeof VIOLATION_KINDS)[number]>,
] = [true, true, true, true];
void contract;

export const snapshotValidator: Compiled<Snapshot> = compile(snapshotSchema);
export const structureValidator: Compiled<StructureBody> = compile(structureSchema);
export const tickValidator: Compiled<CompactTick> = compile(tickSchema);
export const batchValidator: Compiled<{ frames: unknown[]; structures?: unknown[] }> = compile(batchSchema);
export const agentCountersValidator: Compiled<Static<typeof agentCountersSchema>> = compile(agentCountersSchema);
export type { Violation };

// ---- the first error ----

type Node = Readonly<Record<string, unknown>>;

interface Failure {
  readonly node: Node;
  readonly keyword: string;
  readonly path: readonly (string | number)[];
}

function describe(schema: TSchema, value: unknown, prefix: string): string {
  const f = firstError(asNode(schema), value, []);
  if (f === null) return `${prefix || '(body)'}: does not match the schema`; // the walker and the compiled check disagree: a bug
  const path = [prefix, ...f.path.map(String)].filter((p) => p !== '').join('.') || '(body)';
  return `${path}: ${messageOf(f.node, f.keyword)}`;
}

function asNode(v: unknown): Node {
  return typeof v === 'object' && v !== null ? (v as Node) : {};
}

function messageOf(node: Node, keyword: string): string {
  const m = node.errorMessage as ErrorMessage | undefined;
  if (typeof m === 'string') return m;
  if (m !== undefined) {
    const own = m[keyword] ?? m.default;
    if (own !== undefined) return own;
  }
  return defaultMessage(node, keyword);
}

function defaultMessage(node: Node, keyword: string): string {
  switch (keyword) {
    case 'type':
      return `expected ${Array.isArray(node.type) ? node.type.join(' or ') : String(node.type)}`;
    case 'const':
      return `expected ${JSON.stringify(node.const)}`;
    case 'enum':
      return `expected one of ${(node.enum as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `fails "${keyword}" of its schema`;
  }
}

function typeOk(type: unknown, v: unknown): boolean {
  if (Array.isArray(type)) return type.some((t) => typeOk(t, v));
  switch (type) {
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    default:
      return true;
  }
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else if (s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      n++;
      i++;
    } else n++;
  }
  return n;
}

/**
 * The first field (depth first, in schema order) that breaks a keyword of its node, or null. The
 * keywords are those schema.ts uses; it runs once per rejected value, in linear time.
 */
export function firstError(node: Node, v: unknown, path: (string | number)[]): Failure | null {
  const fail = (keyword: string, at: readonly (string | number)[] = path): Failure => ({ node, keyword, path: at.slice() });
  if (node.type !== undefined && !typeOk(node.type, v)) return fail('type');
  if ('const' in node && v !== node.const) return fail('const');
  if (Array.isArray(node.enum) && !node.enum.includes(v)) return fail('enum');
  if (typeof v === 'number') {
    if (typeof node.minimum === 'number' && !(v >= node.minimum)) return fail('minimum');
    if (typeof node.maximum === 'number' && !(v <= node.maximum)) return fail('maximum');
  }
  if (typeof v === 'string') {
    if (typeof node.minLength === 'number' && v.length < node.minLength * 2 && codePoints(v) < node.minLength) return fail('minLength');
    if (typeof node.maxLength === 'number' && v.length > node.maxLength && codePoints(v) > node.maxLength) return fail('maxLength');
    if (typeof node.pattern === 'string' && !new RegExp(node.pattern).test(v)) {
      if (typeof node.charClass === 'string') {
        const one = new RegExp(`^${node.charClass}$`);
        for (let i = 0; i < v.length; i++) if (!one.test(v.charAt(i))) return fail('pattern', [...path, i]);
      }
      return fail('pattern');
    }
  }
  if (Array.isArray(v)) {
    if (typeof node.minItems === 'number' && v.length < node.minItems) return fail('minItems');
    if (typeof node.maxItems === 'number' && v.length > node.maxItems) return fail('maxItems');
    if (Array.isArray(node.items)) {
      const items = node.items;
      for (let i = 0; i < Math.min(items.length, v.length); i++) {
        const f = firstError(asNode(items[i]), v[i], [...path, i]);
        if (f) return f;
      }
      if (node.additionalItems === false && v.length > items.length) return fail('additionalItems');
    } else if (node.items !== undefined) {
      const items = asNode(node.items);
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        const f = firstError(items, v[i], path);
        path.pop();
        if (f) return f;
      }
    }
  }
  if (typeOk('object', v)) {
    const obj = v as Readonly<Record<string, unknown>>;
    const props = asNode(node.properties);
    const required = Array.isArray(node.required) ? (node.required as string[]) : [];
    for (const [key, sub] of Object.entries(props)) {
      if (!(key in obj)) {
        // A missing property gets the message its node gives a value of the wrong type.
        if (required.includes(key)) return { node: asNode(sub), keyword: 'type', path: [...path, key] };
        continue;
      }
      const f = firstError(asNode(sub), obj[key], [...path, key]);
      if (f) return f;
    }
    if (node.propertyNames !== undefined) {
      const names = asNode(node.propertyNames);
      for (const key of Object.keys(obj)) if (firstError(names, key, []) !== null) return fail('propertyNames', [...path, key]);
    }
    if (typeof node.additionalProperties === 'object' && node.additionalProperties !== null) {
      const extra = asNode(node.additionalProperties);
      for (const [key, x] of Object.entries(obj)) {
        if (key in props) continue;
        const f = firstError(extra, x, [...path, key]);
        if (f) return f;
      }
    }
  }
  return null;
}
