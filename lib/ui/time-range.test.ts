import { describe, expect, it } from 'vitest';
import { liveWindowText, parseRange, refreshEvery, resolutionText, stepForWindow } from './time-range';

describe('time ranges', () => {
  it('reads the presets from the URL; the live 15 minutes and unknown values are no preset', () => {
    expect(parseRange('6h')?.stepMs).toBe(60_000);
    expect(parseRange('15m')).toBeNull();
    expect(parseRange('3y')).toBeNull();
    expect(parseRange(null)).toBeNull();
  });
  it('asks per-minute residency for ranges beyond an hour, stored frames up to it', () => {
    expect(parseRange('1h')?.stepMs).toBe(10_000);
    expect(parseRange('24h')?.stepMs).toBe(300_000);
    expect(parseRange('7d')?.stepMs).toBe(1_800_000);
  });
  it('picks a resolution for an absolute window by its length', () => {
    expect(stepForWindow(10 * 60_000)).toBeNull();
    expect(stepForWindow(22 * 60_000)).toBeNull();
    expect(stepForWindow(60 * 60_000)).toBe(10_000);
    expect(stepForWindow(5 * 3_600_000)).toBe(60_000);
    expect(stepForWindow(30 * 86_400_000)).toBe(1_800_000);
  });
  it('says what resolution an answer has', () => {
    expect(resolutionText(null)).toBe('full resolution: one column per frame');
    expect(resolutionText(10_000)).toBe('10 s buckets of the stored frames');
    expect(resolutionText(60_000)).toBe('1 min buckets from the per-minute residency');
    expect(resolutionText(1_800_000)).toBe('30 min buckets from the per-minute residency');
    expect(resolutionText(3_600_000)).toBe('1 h buckets from the per-minute residency');
  });
  it('refreshes a following range every bucket, at least every 10 s', () => {
    expect(refreshEvery({ key: '1h', label: '', ms: 1, stepMs: 10_000 })).toBe(10_000);
    expect(refreshEvery({ key: '7d', label: '', ms: 1, stepMs: 1_800_000 })).toBe(1_800_000);
  });
  it('says the server\'s live window as it is configured', () => {
    expect(liveWindowText(15 * 60_000)).toEqual({ label: '15 min', words: '15 minutes' });
    expect(liveWindowText(60_000)).toEqual({ label: '1 min', words: '1 minute' });
    expect(liveWindowText(2 * 3_600_000)).toEqual({ label: '2 h', words: '2 hours' });
    expect(liveWindowText(90_000)).toEqual({ label: '90 s', words: '90 seconds' });
  });
});
