import { describe, expect, it } from 'vitest';
import { frozenWindow, historyWindow, hostPath, parseViewState, viewQuery, vmPath } from './url-state';

const LIVE_WINDOW_MS = 20 * 60_000; // as a server with VCPUMAP_LIVE_WINDOW_MINUTES=20 gives it

describe('view state in the URL', () => {
  it('is live without from/to, absolute with both', () => {
    expect(parseViewState(new URLSearchParams('')).window).toBeNull();
    const s = parseViewState(new URLSearchParams('from=2026-11-24T10:00:00Z&to=1795521600000&cpu=3'));
    expect(s.window).toEqual({ from: Date.parse('2026-11-24T10:00:00Z'), to: 1795521600000 });
    expect(s.cpu).toBe(3);
  });

  it('falls back to live on a bad or inverted window, never throws', () => {
    expect(parseViewState(new URLSearchParams('from=yesterday&to=now')).window).toBeNull();
    expect(parseViewState(new URLSearchParams('from=2000&to=1000')).window).toBeNull();
    expect(parseViewState(new URLSearchParams('cpu=-1&vcpu=x')).cpu).toBeNull();
  });

  it('reads Next.js searchParams records too', () => {
    expect(parseViewState({ from: ['1000', '5'], to: '2000', vcpu: '2' })).toEqual({ window: { from: 1000, to: 2000 }, cpu: null, vcpu: 2, vm: null, color: 'vm', zoom: null });
  });

  it('round-trips through the query string with ISO times', () => {
    const s = { window: { from: 1795500000000, to: 1795500900000 }, cpu: 12, vcpu: null, vm: null, color: 'vm' as const, zoom: null };
    const q = viewQuery(s);
    expect(q).toContain('from=2026-');
    expect(parseViewState(new URLSearchParams(q.slice(1)))).toEqual(s);
    expect(viewQuery({ window: null, cpu: null, vcpu: null, vm: null, color: 'vm', zoom: null })).toBe('');
  });

  it('keeps the chosen VM, the colouring and the zoom, untrusted names as they are', () => {
    const s = { window: null, cpu: null, vcpu: null, vm: 'a&b=c <x>', color: 'state' as const, zoom: { from: 1795500000000, to: 1795500060000 } };
    const q = viewQuery(s);
    expect(q).toContain('color=state');
    expect(q).toContain('zfrom=2026-');
    expect(parseViewState(new URLSearchParams(q.slice(1)))).toEqual(s);
    const bad = parseViewState(new URLSearchParams(`vm=&color=rainbow&zfrom=3000&zto=1000`));
    expect([bad.vm, bad.color, bad.zoom]).toEqual([null, 'vm', null]);
    expect(parseViewState(new URLSearchParams(`vm=${'x'.repeat(1025)}`)).vm).toBeNull();
  });

  it('encodes untrusted names in paths', () => {
    expect(hostPath('a/b')).toBe('/hosts/a%2Fb');
    expect(vmPath('h', '<img src=x onerror=alert(1)>')).toBe('/hosts/h/vms/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E');
  });

  it('asks for the last live window when live', () => {
    expect(historyWindow({ window: null, cpu: null, vcpu: null, vm: null, color: 'vm', zoom: null }, 10_000_000, LIVE_WINDOW_MS)).toEqual({ from: 10_000_000 - LIVE_WINDOW_MS, to: 10_000_000 });
  });
});

describe('range presets in the URL', () => {
  it('reads and writes a range that follows the present; from/to win over it', () => {
    const s = parseViewState(new URLSearchParams('range=6h&cpu=2'));
    expect(s).toEqual({ window: null, cpu: 2, vcpu: null, vm: null, color: 'vm', range: '6h', zoom: null });
    expect(viewQuery(s)).toBe('?range=6h&cpu=2');
    expect(parseViewState(new URLSearchParams('range=6h&from=1000&to=2000')).range).toBeUndefined();
    expect(parseViewState(new URLSearchParams('range=15m')).range).toBeUndefined();
    expect(parseViewState(new URLSearchParams('range=2y')).range).toBeUndefined();
    expect(historyWindow(s, 100_000_000, LIVE_WINDOW_MS)).toEqual({ from: 100_000_000 - 6 * 3_600_000, to: 100_000_000 });
  });
});

describe('frozenWindow', () => {
  it('keeps an absolute window, freezes a range as fetched and the live window around its ticks', () => {
    const w = { from: 1000, to: 2000 };
    expect(frozenWindow({ window: w, cpu: null, vcpu: null, vm: null, color: 'vm', zoom: null }, null, 5000, LIVE_WINDOW_MS)).toBe(w);
    expect(frozenWindow({ window: null, cpu: null, vcpu: null, vm: null, color: 'vm', zoom: null, range: '6h' }, { from: 10, to: 20, ticks: [12] }, 5000, LIVE_WINDOW_MS)).toEqual({ from: 10, to: 20 });
    expect(frozenWindow({ window: null, cpu: null, vcpu: null, vm: null, color: 'vm', zoom: null }, { from: 0, to: 9000, ticks: [3000, 8000] }, 9000, LIVE_WINDOW_MS)).toEqual({ from: 3000, to: 9000 });
    expect(frozenWindow({ window: null, cpu: null, vcpu: null, vm: null, color: 'vm', zoom: null }, null, LIVE_WINDOW_MS + 5, LIVE_WINDOW_MS)).toEqual({ from: 5, to: LIVE_WINDOW_MS + 1005 });
  });
});
