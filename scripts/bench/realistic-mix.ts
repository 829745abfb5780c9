// A realistic mix of volatile values for the store's figures (bench:ingest): the structure,
// violations and VMs of the test simulator (test/support/snapshot-factory.ts: 7 VMs, 64 vCPUs,
// 72 threads, 64 pCPUs; pinned and floating VMs), with run and wait times as the kernel's
// schedstat gives them, in ns, jittery:
//  - a busy vCPU (the VM's load > 0.1) runs a share of the interval that drifts slowly (a random
//    walk, 0.3 to 1), plus 1% noise per tick; a CPU-bound one (share near 1) runs the elapsed time
//    less its run-queue wait. Its wait: pinned ~20 us, floating ~1.5 ms (log-normal, sigma 1 and
//    0.8). It is in state R four ticks in ten.
//  - an idle vCPU runs in 3 ticks of 5 (timer and interrupt wake-ups), ~50 us then (log-normal,
//    sigma 0.7), waits ~4 us (sigma 1; no wait at all one time in three).
//  - each thread's elapsed time between two reads is the interval plus ~30 us of read skew.
//  - a floating vCPU that ran moves to another pCPU of its range in 15% of ticks (the scheduler
//    keeps a task where its cache is); a pinned one stays on its pin (strays as the simulator's).
//  - pCPU busy is the jiffy share of what ran on it, as /proc/stat gives it.
// Deterministic for a seed. Nothing here is tuned to the codec: the figures are what they are.
import type { Snapshot, SnapshotThread, SnapshotVcpu } from '../../lib/model/snapshot';
import { HostSimulator, mulberry32, type HostSimOptions } from '../../test/support/snapshot-factory';

export class RealisticHost {
  private readonly sim: HostSimulator;
  private readonly rand: () => number;
  private readonly share = new Map<number, number>(); // tid -> busy share
  private readonly place = new Map<number, number>(); // tid -> pCPU of a floating vCPU

  constructor(opts: HostSimOptions) {
    this.sim = new HostSimulator(opts);
    this.rand = mulberry32((opts.seed ?? 1) * 7919 + 17);
  }

  private normal(): number {
    const u = Math.max(1e-12, this.rand());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rand());
  }

  private logNormal(median: number, sigma: number): number {
    return Math.round(median * Math.exp(sigma * this.normal()));
  }

  next(): Snapshot {
    const s = this.sim.next();
    if (s.intervalMs === null) return s;
    const intervalNs = s.intervalMs * 1e6;
    const load = new Float64Array(s.topology.cpus.length);
    const vms = s.vms.map((vm) => {
      const byTid = new Map<number, SnapshotThread>(vm.threads.map((t) => [t.tid, t]));
      const busyVm = vm.vcpus.some((v) => v.state === 'R' || (v.runNs ?? 0) > 1e8);
      const vcpus = vm.vcpus.map((v): SnapshotVcpu => {
        const pinned = v.pin !== null;
        const elapsed = intervalNs + Math.round(this.normal() * 30_000);
        let ran: boolean;
        let runNs: number;
        let waitNs: number;
        if (busyVm) {
          let u = this.share.get(v.tid) ?? 0.5 + this.rand() * 0.5;
          u = Math.min(1, Math.max(0.3, u + this.normal() * 0.02));
          this.share.set(v.tid, u);
          waitNs = pinned ? this.logNormal(20_000, 1) : this.logNormal(1_500_000, 0.8);
          runNs = Math.max(0, Math.min(elapsed - waitNs, Math.round(u * elapsed * (1 + this.normal() * 0.01))));
          ran = true;
        } else {
          ran = this.rand() < 0.6;
          runNs = ran ? this.logNormal(50_000, 0.7) : 0;
          waitNs = ran && this.rand() > 1 / 3 ? this.logNormal(4_000, 1) : 0;
        }
        let pcpu = v.pcpu;
        if (!pinned) {
          const cur = this.place.get(v.tid) ?? v.pcpu;
          pcpu = ran && this.rand() < 0.15 ? (v.affinity[Math.floor(this.rand() * v.affinity.length)] ?? cur) : cur;
          this.place.set(v.tid, pcpu);
        }
        const state = busyVm && this.rand() < 0.4 ? 'R' : 'S';
        load[pcpu] = (load[pcpu] ?? 0) + runNs / intervalNs;
        return { ...v, pcpu, ran, state, runNs, waitNs };
      });
      const own = new Map(vcpus.map((v) => [v.tid, v]));
      const threads = vm.threads.map((t): SnapshotThread => {
        const v = own.get(t.tid);
        return v ? { ...t, pcpu: v.pcpu, ran: v.ran, state: v.state } : (byTid.get(t.tid) ?? t);
      });
      return { ...vm, vcpus, threads };
    });
    const cpus = s.topology.cpus.map((c, i) => {
      const total = 100 + Math.floor(this.rand() * 3) - 1; // jiffies of 1/100 s in the interval
      return { ...c, busy: Math.min(total, Math.round(Math.min(1, (load[i] ?? 0) + this.rand() * 0.02) * total)) / total };
    });
    return { ...s, vms, topology: { ...s.topology, cpus } };
  }
}
