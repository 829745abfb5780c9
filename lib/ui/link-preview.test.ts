import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../model/snapshot';
import { formatWindow, linkPath, linkPreview, previewImagePath } from './link-preview';
import { snapshot, vm } from '../../test/support/view-snapshots';

const T = Date.UTC(2026, 10, 24, 16, 15, 0);

function withViolations(s: Snapshot): Snapshot {
  const v = (id: string, severity: 'critical' | 'warning', vmName: string) => ({ id, kind: 'off-pin' as const, severity, vm: vmName, vms: [vmName], pcpus: [1], message: 'm', fix: null, since: T - 1000, lastSeen: T });
  return { ...s, violations: [v('a', 'critical', 'web'), v('b', 'critical', 'db'), v('c', 'warning', 'web')] };
}

describe('link previews', () => {
  const snap = withViolations(snapshot('hv-01', T, 4, [vm('web', 10, [{ pcpu: 0, ran: true }]), vm('db', 20, [{ pcpu: 1, ran: true }])]));
  const win = { from: T - 15 * 60_000, to: T };

  it('names the host, the window and the violations in force at its end', () => {
    const p = linkPreview({ host: 'hv-01', vm: null, window: win }, snap);
    expect(p.description).toBe('hv-01, 2026-11-24 16:00:00Z to 16:15:00Z: 2 critical, 1 warning violations in force at 2026-11-24 16:15:00Z; 2 VMs, 2 vCPUs.');
    expect(p.title).toBe('hv-01 · 2026-11-24 16:00:00Z to 16:15:00Z · vcpumap');
  });
  it('counts only the VM’s violations on a VM link, and says when nothing was stored', () => {
    expect(linkPreview({ host: 'hv-01', vm: 'db', window: win }, snap).description).toMatch(/^db on hv-01, .*: 1 critical violation in force at/);
    expect(linkPreview({ host: 'hv-01', vm: null, window: win }, null).description).toBe('hv-01, 2026-11-24 16:00:00Z to 16:15:00Z: no frame near that time.');
    expect(linkPreview({ host: 'hv-01', vm: null, window: null }, { ...snap, violations: [] }).description).toMatch(/^hv-01, live: no violations in force now/);
  });
  it('writes a window over midnight with both dates', () => {
    expect(formatWindow(Date.UTC(2026, 0, 1, 23, 50), Date.UTC(2026, 0, 2, 0, 10))).toBe('2026-01-01 23:50:00Z to 2026-01-02 00:10:00Z');
  });
  it('gives every window an image address of its own, encoding what it names', () => {
    const a = previewImagePath({ host: 'hv 1/x', vm: null, window: win }, null);
    const b = previewImagePath({ host: 'hv 1/x', vm: null, window: { from: win.from - 1000, to: win.to } }, null);
    expect(a).toBe(`/api/v1/hosts/hv%201%2Fx/preview?from=${win.from}&to=${win.to}`);
    expect(a).not.toBe(b);
    expect(previewImagePath({ host: 'h', vm: '<b>', window: null }, 'tok&x')).toBe('/api/v1/hosts/h/preview?vm=%3Cb%3E&token=tok%26x');
    expect(linkPath({ host: 'h', vm: 'v', window: win })).toBe('/hosts/h/vms/v?from=2026-11-24T16:00:00.000Z&to=2026-11-24T16:15:00.000Z');
  });
});
