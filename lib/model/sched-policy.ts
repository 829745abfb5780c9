// Scheduling policies: the kernel's numbers (stat field 41), libvirt's `<vcpusched scheduler>`
// names, and what an intended policy requires of a thread. Pure.
import type { SchedIntent, SchedPolicy } from './types';

// include/uapi/linux/sched.h; 4 (SCHED_ISO) was reserved and never merged.
const BY_CODE: readonly (SchedPolicy | null)[] = ['other', 'fifo', 'rr', 'batch', null, 'idle', 'deadline', 'ext'];

/** The policy of a stat field 41 value, or null for a number the kernel does not define. */
export function schedPolicyName(code: number): SchedPolicy | null {
  return BY_CODE[code] ?? null;
}

function isScheduler(s: string): s is SchedIntent['policy'] {
  return s === 'fifo' || s === 'rr' || s === 'batch' || s === 'idle';
}

/**
 * An intended policy from libvirt's names: `fifo` and `rr` need a priority of 1 to 99; `batch`
 * and `idle` have none (a priority given with them is ignored, as libvirt does). Throws a message
 * naming `where` and what is allowed.
 */
export function schedIntentOf(scheduler: string, priority: number | null, where: string): SchedIntent {
  const policy = scheduler;
  if (!isScheduler(policy)) {
    throw new Error(`${where}: scheduler ${JSON.stringify(scheduler)} is not one of fifo, rr, batch, idle`);
  }
  if (policy === 'batch' || policy === 'idle') return { policy, priority: 0 };
  if (priority === null) throw new Error(`${where}: scheduler ${policy} needs a priority from 1 to 99`);
  if (!Number.isInteger(priority) || priority < 1 || priority > 99) {
    throw new Error(`${where}: priority ${priority} is not from 1 to 99`);
  }
  return { policy, priority };
}

/** True when a thread running `policy` at real-time `priority` is what `want` asks for. */
export function schedMatches(want: SchedIntent, policy: SchedPolicy, priority: number): boolean {
  if (policy !== want.policy) return false;
  return want.policy === 'batch' || want.policy === 'idle' || priority === want.priority;
}

/** `SCHED_FIFO priority 1`, `SCHED_OTHER`: how chrt and the kernel docs name a policy. */
export function schedLabel(policy: SchedPolicy, priority: number): string {
  const name = `SCHED_${policy.toUpperCase()}`;
  return policy === 'fifo' || policy === 'rr' ? `${name} priority ${priority}` : name;
}

const CHRT_FLAG: Readonly<Record<SchedIntent['policy'], string>> = { fifo: '-f', rr: '-r', batch: '-b', idle: '-i' };

/** The chrt command that gives thread `tid` the intended policy: `chrt -f -p 1 7474`. */
export function chrtCommand(want: SchedIntent, tid: number): string {
  return `chrt ${CHRT_FLAG[want.policy]} -p ${want.priority} ${tid}`;
}
