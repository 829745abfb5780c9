// What a frame must satisfy beyond its schema (schema.ts): relations between fields. A VM's vCPU
// indices are unique; a tick's exception lists are ascending; a tick's arrays fit the structure
// it names. Each failure is a FieldError whose message starts with the field's path.
import type { CompactTick } from './compact-tick';
import type { StructureBody } from './structure-body';
import { structureIndex } from './structure-index';
import { MAX_CPU } from './schema';
import { FieldError } from './validate';

function fail(path: string, detail: string): never {
  throw new FieldError(`${path}: ${detail}`);
}

/** A VM with two vCPUs of the same index cannot be drawn, judged or fixed: refused. */
export function checkStructure(body: StructureBody, path: string): void {
  body.vms.forEach((vm, i) => {
    const seen = new Map<number, number>();
    vm.vcpus.forEach((v, k) => {
      const first = seen.get(v.index);
      if (first !== undefined) fail(`${path}.vms.${i}.vcpus.${k}.index`, `vCPU index ${v.index} appears twice in VM ${JSON.stringify(vm.name)} (also at vcpus.${first})`);
      seen.set(v.index, k);
    });
  });
}

/** Throws FieldError when the tick's arrays do not fit `body` (its lengths, the vCPU entries it must list). */
export function checkTickFits(t: CompactTick, body: StructureBody, path: string): void {
  const index = structureIndex(body);
  const id = `structure ${t.structure.slice(0, 12)}`;
  const expect = (field: string, got: number, want: number, what: string): void => {
    if (got !== want) fail(`${path}.${field}`, `expected ${want} entries (the ${what} of ${id}), got ${got}`);
  };
  expect('pcpu', t.pcpu.length, index.threadCount, 'threads');
  expect('ran', t.ran.length, index.threadCount, 'threads');
  expect('state', t.state.length, index.threadCount, 'threads');
  expect('runNs', t.runNs.length, index.vcpuCount, 'vCPU entries');
  expect('waitNs', t.waitNs.length, index.vcpuCount, 'vCPU entries');
  expect('busy', t.busy.length, index.cpuCount, 'pCPUs');
  t.vcpus.forEach((x, i) => {
    if (x[0] >= index.vcpuCount) fail(`${path}.vcpus.${i}.0`, `no vCPU entry ${x[0]} in ${id} (it has ${index.vcpuCount})`);
  });
  let u = 0;
  for (const x of t.vcpus) if (u < index.unlinked.length && x[0] === index.unlinked[u]) u++;
  if (u < index.unlinked.length) fail(`${path}.vcpus`, `vCPU entry ${index.unlinked[u]} of ${id} has no thread: it must be listed`);
  (t.states ?? []).forEach((x, i) => {
    if (x[0] >= index.threadCount) fail(`${path}.states.${i}.0`, `no thread ${x[0]} in ${id} (it has ${index.threadCount})`);
  });
  (t.residency ?? []).forEach((x, i) => {
    if ((x[0] ?? 0) >= index.threadCount) fail(`${path}.residency.${i}.0`, `no thread ${x[0]} in ${id} (it has ${index.threadCount})`);
  });
  (t.vcpuExact ?? []).forEach((x, i) => {
    if (x.entry >= index.vcpuCount) fail(`${path}.vcpuExact.${i}.entry`, `no vCPU entry ${x.entry} in ${id} (it has ${index.vcpuCount})`);
  });
  (t.cpuExact ?? []).forEach((x, i) => {
    if (x.index >= index.cpuCount) fail(`${path}.cpuExact.${i}.index`, `no pCPU ${x.index} in ${id} (it has ${index.cpuCount})`);
  });
}

/** (pcpu, ns, switchIns) triples from `from` on, each pCPU a CPU id. */
function checkTriples(flat: readonly number[], from: number, path: string): void {
  if ((flat.length - from) % 3 !== 0) fail(path, 'expected (pcpu, ns, switchIns) triples');
  for (let i = from; i < flat.length; i += 3) if ((flat[i] ?? 0) > MAX_CPU) fail(`${path}.${i}`, `expected an integer from 0 to ${MAX_CPU}`);
}

/** A tick's exception lists name each entry at most once, ascending (the codecs walk them in order). */
export function checkTickOrder(t: CompactTick, path: string): void {
  let prev = -1;
  t.vcpus.forEach((x, i) => {
    if (x[0] <= prev) fail(`${path}.vcpus.${i}.0`, 'entries must be ascending, each at most once');
    prev = x[0];
  });
  prev = -1;
  (t.states ?? []).forEach((x, i) => {
    if (x[0] <= prev) fail(`${path}.states.${i}.0`, 'threads must be ascending, each at most once');
    prev = x[0];
  });
  prev = -1;
  (t.residency ?? []).forEach((x, i) => {
    const k = x[0] ?? 0;
    if (k <= prev) fail(`${path}.residency.${i}.0`, 'threads must be ascending, each at most once');
    prev = k;
    checkTriples(x, 1, `${path}.residency.${i}`);
  });
  prev = -1;
  (t.vcpuExact ?? []).forEach((x, i) => {
    if (x.entry <= prev) fail(`${path}.vcpuExact.${i}.entry`, 'entries must be ascending, each at most once');
    prev = x.entry;
    if (x.residency !== undefined) checkTriples(x.residency, 0, `${path}.vcpuExact.${i}.residency`);
  });
  prev = -1;
  (t.cpuExact ?? []).forEach((x, i) => {
    if (x.index <= prev) fail(`${path}.cpuExact.${i}.index`, 'pCPUs must be ascending, each at most once');
    prev = x.index;
  });
}
