// The row of a compact tick (lib/wire/compact-tick.ts), written straight from its arrays: the
// same bytes encodeTick (tick-codec.ts) writes for the snapshot the tick stands for, without
// building that snapshot (about 200 objects per 64-vCPU frame). See tick-codec.ts for the layout.
import type { CompactTick } from '../../wire/compact-tick';
import type { ByteWriter } from './byte-codec';
import { busyDenominator, writeBusyColumn } from './busy-codec';
import type { Structure } from './structure';
import { writeCounterGroup, writeState } from './tick-codec';

const ONE = 49; // "1" in a tick's ran string
const S = 83; // "S": the base of the state column

/** The tick must fit `st` (validateTickFits in compact-tick-schema.ts); `bodyIds[i]` is the stored id of `t.violations[i]`'s body. */
export function encodeCompactTick(w: ByteWriter, st: Structure, t: CompactTick, bodyIds: readonly number[]): Uint8Array {
  const T = st.threadCount;
  const V = st.vcpuCount;
  if (t.pcpu.length !== T || t.ran.length !== T || t.state.length !== T || t.runNs.length !== V || t.waitNs.length !== V || t.busy.length !== st.cpuCount) {
    throw new Error(`store codec: tick of ${t.host} at ${t.at} does not fit structure ${st.id}`);
  }
  if (bodyIds.length !== t.violations.length) throw new Error(`store codec: ${t.violations.length} violations but ${bodyIds.length} body ids`);
  w.reset();
  w.num(t.intervalMs);

  for (let byte = 0; byte < Math.ceil(T / 8); byte++) {
    let bits = 0;
    for (let b = 0; b < 8; b++) if (t.ran.charCodeAt(byte * 8 + b) === ONE) bits |= 1 << b;
    w.u8(bits);
  }

  let n = 0;
  for (let i = 0; i < T; i++) if (t.pcpu[i] !== st.basePcpu[i]) n++;
  w.varint(n);
  let prev = -1;
  for (let i = 0; i < T; i++) {
    const p = t.pcpu[i] ?? 0;
    if (p === st.basePcpu[i]) continue;
    w.varint(i - prev - 1);
    w.varint(p);
    prev = i;
  }

  // Per vCPU entry, what it ran (its exception, else its thread): the counters need it too.
  const vcpuRan = new Array<boolean>(V);
  for (let k = 0; k < V; k++) {
    const ti = st.vcpuThread[k] ?? -1;
    vcpuRan[k] = ti >= 0 && t.ran.charCodeAt(ti) === ONE;
  }
  const differs = t.vcpus.filter(([k, pcpu, ran, state]) => {
    vcpuRan[k] = ran === 1;
    const ti = st.vcpuThread[k] ?? -1;
    return ti < 0 || t.pcpu[ti] !== pcpu || (t.ran.charCodeAt(ti) === ONE) !== (ran === 1) || t.state.charAt(ti) !== state;
  });
  w.varint(differs.length);
  prev = -1;
  for (const [k, pcpu, ran, state] of differs) {
    w.varint(k - prev - 1);
    w.varint(pcpu);
    w.u8(ran);
    writeState(w, state);
    prev = k;
  }

  w.varint(t.violations.length);
  t.violations.forEach((v, i) => {
    w.varint(bodyIds[i] ?? 0);
    w.rel(t.at, v.since);
    w.rel(t.at, v.lastSeen);
  });

  n = 0;
  for (let i = 0; i < T; i++) if (t.state.charCodeAt(i) !== S) n++;
  w.varint(n);
  prev = -1;
  for (let i = 0; i < T; i++) {
    if (t.state.charCodeAt(i) === S) continue;
    w.varint(i - prev - 1);
    writeState(w, t.state.charAt(i));
    prev = i;
  }

  writeBusyColumn(w, t.busy, busyDenominator(t.intervalMs));

  let first = 0;
  for (const vm of st.body.vms) {
    const count = vm.vcpus.length;
    if (count === 0) continue;
    const ran = vcpuRan.slice(first, first + count);
    writeCounterGroup(w, t.runNs.slice(first, first + count), ran);
    writeCounterGroup(w, t.waitNs.slice(first, first + count), ran);
    first += count;
  }
  return w.finish();
}
