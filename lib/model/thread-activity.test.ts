import { describe, expect, it } from 'vitest';
import { threadActivity } from './thread-activity';
import { sample } from '../../test/support/model-fixtures';

describe('threadActivity', () => {
  it('is unknown (not ran) without a previous sample', () => {
    expect(threadActivity(sample(1, 't', { runNs: 5e9 }), null)).toEqual({ ran: false, runNs: null, waitNs: null });
  });
  it('ran when schedstat run time grew; deltas over the interval', () => {
    const a = sample(1, 't', { runNs: 1000, waitNs: 50 });
    const b = sample(1, 't', { runNs: 3000, waitNs: 80 });
    expect(threadActivity(b, a)).toEqual({ ran: true, runNs: 2000, waitNs: 30 });
  });
  it('did not run when the run time stayed, even if the tick counters moved by rounding', () => {
    const a = sample(1, 't', { runNs: 1000, utime: 1 });
    const b = sample(1, 't', { runNs: 1000, utime: 1 });
    expect(threadActivity(b, a).ran).toBe(false);
  });
  it('falls back to utime+stime without schedstat', () => {
    const a = sample(1, 't', { runNs: null, waitNs: null, utime: 3, stime: 4 });
    expect(threadActivity(sample(1, 't', { runNs: null, waitNs: null, utime: 3, stime: 5 }), a)).toEqual({
      ran: true,
      runNs: null,
      waitNs: null,
    });
    expect(threadActivity(sample(1, 't', { runNs: null, waitNs: null, utime: 3, stime: 4 }), a).ran).toBe(false);
  });
  it('treats shrinking counters as a reused tid: unknown', () => {
    const a = sample(1, 't', { runNs: 5000 });
    expect(threadActivity(sample(1, 't', { runNs: 10 }), a)).toEqual({ ran: false, runNs: null, waitNs: null });
  });
});
