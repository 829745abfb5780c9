// GET /api/v1/hosts/{host}/preview[?from=&to=&vm=]: the PNG a shared link unfurls with. The
// window's own picture: the host's pCPUs coloured by the VM on each at the window's end (the
// frame nearest `to`, as the page shows), violations crossed, and the counts in force then.
// Same viewer-token rule as the API and the pages (bearer, ?token=, cookie).
import { ImageResponse } from 'next/og';
import { errorResponse, HttpError } from '../http-errors';
import { getRuntime } from '../runtime';
import { parseTime, pathName } from '../api/params';
import { requireViewer } from '../api/viewer';
import type { Snapshot } from '../../model/snapshot';
import { fleetTile } from '../../ui/fleet-tiles';
import { formatTime } from '../../ui/format';
import { formatWindow, PREVIEW_SIZE, violationCounts } from '../../ui/link-preview';
import { palette, vmColorIndex } from '../../heatmap/vm-colors';

export async function getPreviewImage(req: Request, hostParam: string): Promise<Response> {
  try {
    const rt = await getRuntime();
    requireViewer(req, rt);
    const url = new URL(req.url);
    const host = pathName('host', hostParam);
    const from = parseTime('from', url.searchParams.get('from'));
    const to = parseTime('to', url.searchParams.get('to'));
    if ((from === null) !== (to === null)) throw new HttpError(400, 'from and to go together: both for a past window, neither for now');
    if (from !== null && to !== null && from >= to) throw new HttpError(400, `from (${from}) must be before to (${to})`);
    const vmParam = url.searchParams.get('vm');
    const vm = vmParam === null ? null : pathName('vm', vmParam);
    const snap = to === null ? await rt.store.latest(host) : await rt.store.nearest(host, to);
    const image = renderPreview(host, vm, from !== null && to !== null ? { from, to } : null, snap);
    // A past window's picture changes only if late frames arrive; a live one every frame.
    const shared = rt.config.viewerToken === undefined ? 'public' : 'private';
    image.headers.set('cache-control', to === null ? `${shared}, max-age=30` : `${shared}, max-age=3600`);
    return image;
  } catch (err) {
    return errorResponse(err);
  }
}

const BG = '#020617';
const TEXT = '#f1f5f9';
const MUTED = '#94a3b8';
const CRITICAL = '#f87171';
const WARNING = '#fbbf24';
const EMPTY = '#334155';

function renderPreview(host: string, vm: string | null, win: { from: number; to: number } | null, snap: Snapshot | null): ImageResponse {
  const colors = palette('dark');
  const tile = snap === null ? null : fleetTile(snap);
  const counts = snap === null ? null : violationCounts(snap, vm);
  const widest = Math.max(1, ...(tile?.rows ?? [1]));
  const cell = Math.max(4, Math.min(48, Math.floor(1100 / widest), Math.floor(300 / Math.max(1, tile?.rows.length ?? 1))));
  const when = win === null ? 'live' : formatWindow(win.from, win.to);
  const at = snap === null ? '' : `${win === null ? 'now' : 'at'} ${formatTime(snap.at)}`;
  const kinds = snap === null ? [] : [...new Set(snap.violations.filter((v) => vm === null || v.vms.includes(vm)).map((v) => v.kind))].sort();
  const countColor = counts === null ? MUTED : counts.critical > 0 ? CRITICAL : counts.warning + counts.other > 0 ? WARNING : MUTED;
  let i = 0;
  return new ImageResponse(
    (
      <div style={{ display: 'flex', flexDirection: 'column', width: '100%', height: '100%', background: BG, color: TEXT, padding: 48 }}>
        <div style={{ display: 'flex', fontSize: 52, fontWeight: 700 }}>{vm === null ? host : `${vm} on ${host}`}</div>
        <div style={{ display: 'flex', fontSize: 28, marginTop: 6, color: MUTED }}>{when}</div>
        <div style={{ display: 'flex', fontSize: 34, marginTop: 12, color: countColor }}>
          {snap === null || counts === null ? `no frame ${win === null ? 'yet' : 'near that time'}` : `${counts.text} in force ${at}`}
        </div>
        {kinds.length > 0 ? <div style={{ display: 'flex', fontSize: 26, marginTop: 6, color: TEXT }}>{kinds.join(', ')}</div> : null}
        <div style={{ display: 'flex', flexDirection: 'column', marginTop: 24 }}>
          {(tile?.rows ?? []).map((n, r) => (
            <div key={r} style={{ display: 'flex' }}>
              {Array.from({ length: n }, () => {
                const k = i++;
                const idx = tile?.cells[k] ?? -1;
                const name = idx >= 0 ? tile?.vms[idx] : undefined;
                const dim = vm !== null && name !== vm;
                const bg = name === undefined ? EMPTY : (colors[vmColorIndex(name)] ?? EMPTY);
                const marked = tile?.marks[k] === 1;
                return <div key={k} style={{ width: cell - 2, height: cell - 2, margin: 1, background: bg, opacity: dim ? 0.3 : 1, border: marked ? `${Math.max(2, Math.round(cell / 6))}px solid #ffffff` : 'none' }} />;
              })}
            </div>
          ))}
        </div>
        <div style={{ display: 'flex', marginTop: 'auto', fontSize: 24, color: MUTED }}>
          {snap === null ? 'vcpumap' : `vcpumap · ${snap.vms.length} VMs · ${snap.topology.cpus.length} pCPUs`}
        </div>
      </div>
    ),
    PREVIEW_SIZE,
  );
}
