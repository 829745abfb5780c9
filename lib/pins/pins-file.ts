// The pins file: an operator-written statement of where each VM's threads should run, for
// hosts without libvirt or to override it. It is a trust boundary, so it is validated strictly:
// an unknown key is an error, because a typo (`vcpupinn`) must not silently drop pins.
//
//   vms:
//     web-1:                            # the QEMU -name / libvirt domain name
//       vcpupin: { "0": "2", "1": "3" } # vCPU index -> cpuset
//       emulatorpin: "0-1"              # all non-vCPU threads of the process
//       iothreadpin: { "1": "0-1" }     # IOThread id (1-based, libvirt numbering) -> cpuset
//       dedicated: true                 # no other VM may use these pCPUs
//       numatune: "0"                   # host NUMA nodes holding the guest memory
//       vcpusched:                      # libvirt <vcpusched>: real-time policy of vCPUs
//         - { vcpus: "0-1", scheduler: fifo, priority: 1 }
import { parseDocument } from 'yaml';
import * as z from 'zod/mini';
import '../zod-en';
import type { CpuList, SchedIntent, VmIntent } from '../model/types';
import { parseCpuset } from '../cpuset';
import { schedIntentOf } from '../model/sched-policy';
import { duplicateKeyInJson, duplicateKeyInYaml } from './duplicate-keys';

/** A cpuset string (`"0-3,^2"`) or a single CPU number; parsed, must select at least one id. */
const cpusetSchema = z.pipe(
  z.union([z.string(), z.number()], { error: 'expected a cpuset string like "0-3" or a CPU number' }),
  z.transform((v: string | number, ctx): CpuList => {
    if (typeof v === 'number' && (!Number.isSafeInteger(v) || v < 0)) {
      ctx.issues.push({ code: 'custom', message: `invalid cpuset ${v}: a number must be one CPU id (0, 1, ...)`, input: v });
      return z.NEVER;
    }
    const text = String(v);
    try {
      const cpus = parseCpuset(text);
      if (cpus.length > 0) return cpus;
      ctx.issues.push({ code: 'custom', message: `invalid cpuset ${JSON.stringify(text)}: selects no CPUs`, input: v });
    } catch (e) {
      ctx.issues.push({ code: 'custom', message: e instanceof Error ? e.message : String(e), input: v });
    }
    return z.NEVER;
  }),
);

const vcpuIndex = z.string().check(z.regex(/^(0|[1-9][0-9]{0,5})$/, 'vCPU index must be a non-negative integer such as "0"'));
const iothreadId = z.string().check(z.regex(/^[1-9][0-9]{0,5}$/, 'IOThread id must be a positive integer (libvirt counts from 1)'));

/** libvirt's `<vcpusched vcpus scheduler priority>`, one entry per group of vCPUs. */
const vcpuschedEntry = z.strictObject({
  vcpus: cpusetSchema,
  scheduler: z.enum(['fifo', 'rr', 'batch', 'idle'], { error: 'expected fifo, rr, batch or idle' }),
  priority: z.optional(z.number().check(z.int())),
});
const vcpuschedSchema = z.pipe(
  vcpuschedEntry,
  z.transform((e: z.output<typeof vcpuschedEntry>, ctx): { readonly vcpus: CpuList; readonly want: SchedIntent } => {
    try {
      return { vcpus: e.vcpus, want: schedIntentOf(e.scheduler, e.priority ?? null, 'vcpusched') };
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: err instanceof Error ? err.message.replace(/^vcpusched: /, '') : String(err), input: e });
      return z.NEVER;
    }
  }),
);

const vmSchema = z.strictObject({
  vcpupin: z.optional(z.record(vcpuIndex, cpusetSchema)),
  emulatorpin: z.optional(cpusetSchema),
  iothreadpin: z.optional(z.record(iothreadId, cpusetSchema)),
  dedicated: z.optional(z.boolean()),
  numatune: z.optional(cpusetSchema),
  vcpusched: z.optional(z.array(vcpuschedSchema).check(z.maxLength(4096))),
});

const fileSchema = z.strictObject({
  vms: z.record(z.string().check(z.minLength(1, 'VM name must not be empty')), vmSchema),
});

const ALLOWED_KEYS: ReadonlyMap<string, readonly string[]> = new Map([
  ['top level', Object.keys(fileSchema.shape)],
  ['vm', Object.keys(vmSchema.shape)],
]);

/**
 * Parses a pins file. JSON when `fileName` ends with .json or the text starts with `{`, YAML
 * otherwise. Returns VM name -> intent. Throws one Error listing every problem, each as
 * `pins file: vms.web-1.vcpupin."0": invalid cpuset "2-": ...`.
 */
export function parsePinsFile(text: string, fileName?: string): ReadonlyMap<string, VmIntent> {
  const label = fileName === undefined ? 'pins file' : `pins file ${fileName}`;
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') throw new Error(`${label}: is empty; expected a "vms:" mapping`);
  const json = fileName?.toLowerCase().endsWith('.json') === true || body.trimStart().startsWith('{');
  const data = json ? loadJson(body, label) : loadYaml(body, label);

  const parsed = fileSchema.safeParse(data);
  if (!parsed.success) {
    const shown = parsed.error.issues.slice(0, 20).map((i) => `${label}: ${formatPath(i.path)}: ${describeIssue(i)}`);
    const more = parsed.error.issues.length > 20 ? [`${label}: and ${parsed.error.issues.length - 20} more problems`] : [];
    throw new Error([...shown, ...more].join('\n'));
  }

  const out = new Map<string, VmIntent>();
  for (const [name, vm] of Object.entries(parsed.data.vms)) {
    out.set(name, {
      source: 'pins-file',
      vcpupin: numberKeyed(vm.vcpupin),
      vcpuDefault: null,
      emulatorpin: vm.emulatorpin ?? null,
      iothreadpin: numberKeyed(vm.iothreadpin),
      dedicated: vm.dedicated ?? false,
      memoryNodes: vm.numatune ?? null,
      guestCells: [],
      vcpusched: vcpuschedMap(vm.vcpusched ?? [], `${label}: vms.${name}.vcpusched`),
    });
  }
  return out;
}

function vcpuschedMap(entries: readonly { readonly vcpus: CpuList; readonly want: SchedIntent }[], where: string): ReadonlyMap<number, SchedIntent> {
  const out = new Map<number, SchedIntent>();
  for (const e of entries) {
    for (const index of e.vcpus) {
      if (out.has(index)) throw new Error(`${where}: vCPU ${index} is in two entries`);
      out.set(index, e.want);
    }
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

function loadJson(text: string, label: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${label}: invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  // JSON.parse keeps the last of two equal keys; a duplicated VM or vCPU is a mistake to report.
  const dup = duplicateKeyInJson(text);
  if (dup !== null) throw new Error(`${label}: ${dup}`);
  return data;
}

/** Aliases a pins file may use: enough to share a pin map, too few for an expansion bomb. */
const MAX_ALIASES = 100;

/** Where an alias (`*name`) may start: a rough count, never under the real one, made before parsing. */
const ALIAS_START = /(?:^|[\s[{,:])\*[^\s,[\]{}]/g;

function loadYaml(text: string, label: string): unknown {
  // Composing a document of a million aliases takes seconds before toJS could count them.
  let aliases = 0;
  ALIAS_START.lastIndex = 0;
  while (ALIAS_START.exec(text) !== null) {
    if (++aliases > 10 * MAX_ALIASES) throw new Error(`${label}: invalid YAML: more than ${MAX_ALIASES} aliases (*name); write the pins out`);
  }
  // uniqueKeys off: the package's check is quadratic in a map's size (duplicate-keys.ts does it).
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: true });
  const err = doc.errors[0];
  if (err !== undefined) throw new Error(`${label}: invalid YAML: ${err.message}`);
  const dup = duplicateKeyInYaml(doc, text);
  if (dup !== null) throw new Error(`${label}: invalid YAML: ${dup}`);
  try {
    // maxAliasCount bounds "billion laughs" alias expansion
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    throw new Error(`${label}: invalid YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function numberKeyed(rec: Readonly<Record<string, CpuList>> | undefined): ReadonlyMap<number, CpuList> {
  const out = new Map<number, CpuList>();
  if (rec !== undefined) for (const [k, v] of Object.entries(rec)) out.set(Number(k), v);
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/**
 * `vms.web-1.vcpupin."0"`: names bare when they are plain identifiers, quoted otherwise (digits,
 * dots, spaces); keys under vcpupin/iothreadpin are always quoted since they are indexes; list
 * entries are `[n]`.
 */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'top level';
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`; // an entry of a list (vcpusched)
      const parent = path[i - 1];
      const plain = typeof p === 'string' && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(p);
      return `${i > 0 ? '.' : ''}${plain && parent !== 'vcpupin' && parent !== 'iothreadpin' ? p : JSON.stringify(String(p))}`;
    })
    .join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = ALLOWED_KEYS.get(issue.path.length === 0 ? 'top level' : 'vm') ?? [];
      const keys = issue.keys.slice(0, 10).map((k) => JSON.stringify(k.slice(0, 80))).join(', ') + (issue.keys.length > 10 ? ` and ${issue.keys.length - 10} more` : '');
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys} (allowed: ${allowed.join(', ')})`;
    }
    case 'invalid_key':
      return issue.issues.map((i) => i.message).join('; ');
    case 'invalid_type':
      return issue.message.replace(/^Invalid input: /, '');
    default:
      return issue.message;
  }
}
