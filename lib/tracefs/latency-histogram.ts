// Wake-up latencies of one vCPU in one interval, in bounded memory whatever the rate: a log
// histogram of 16 buckets per power of two (a bucket is 4.4% wide, so a percentile read at its
// geometric middle is within 2.2%), from 1 ns to 2^40 ns (18 minutes); the maximum is exact.

const PER_OCTAVE = 16;
const OCTAVES = 40;
export const LATENCY_BUCKETS = PER_OCTAVE * OCTAVES + 1;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(LATENCY_BUCKETS);
  count = 0;
  max = 0;

  add(ns: number): void {
    const i = ns < 1 ? 0 : Math.min(LATENCY_BUCKETS - 1, Math.floor(Math.log2(ns) * PER_OCTAVE) + 1);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.count++;
    if (ns > this.max) this.max = ns;
  }

  /** The q-quantile (0..1) in ns, rounded to a whole ns; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < LATENCY_BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(this.max, Math.round(bucketMiddle(i)));
    }
    return Math.round(this.max);
  }

  reset(): void {
    if (this.count === 0) return;
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }
}

function bucketMiddle(i: number): number {
  if (i === 0) return 0;
  return 2 ** ((i - 1 + 0.5) / PER_OCTAVE);
}
