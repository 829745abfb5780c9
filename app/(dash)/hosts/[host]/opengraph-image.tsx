// The picture a shared host link unfurls with: the host's pCPUs coloured by the VM on each now,
// violations crossed out, and the counts. Rendered by Next.js (no network: its bundled font).
import { ImageResponse } from 'next/og';
import { cookies } from 'next/headers';
import { loadSnapshot, pageAccess } from '@/lib/server/views';
import { fleetTile } from '@/lib/ui/fleet-tiles';
import { decodeSegment } from '@/lib/ui/url-state';
import { palette, vmColorIndex } from '@/lib/heatmap/vm-colors';

export const size = { width: 1200, height: 630 };
export const contentType = 'image/png';
export const alt = 'vcpumap host overview';

export default async function Image({ params }: { params: Promise<{ host: string }> }) {
  // Next.js hands image routes their params decoded.
  const host = (await params).host;
  // Same rule as the pages: with a viewer token configured, no picture without it.
  const cookie = (await cookies()).get('vcpumap_token')?.value;
  if (!(await pageAccess(cookie === undefined ? null : decodeSegment(cookie), null)).ok) return new Response('viewer token needed', { status: 401 });
  const snap = await loadSnapshot(host, null);
  const colors = palette('dark');
  const tile = snap === null ? null : fleetTile(snap);
  const widest = Math.max(1, ...(tile?.rows ?? [1]));
  const cell = Math.max(4, Math.min(48, Math.floor(1100 / widest), Math.floor(380 / Math.max(1, tile?.rows.length ?? 1))));
  let i = 0;
  return new ImageResponse(
    (
      <div style={{ display: 'flex', flexDirection: 'column', width: '100%', height: '100%', background: '#020617', color: '#f1f5f9', padding: 48 }}>
        <div style={{ display: 'flex', fontSize: 56, fontWeight: 700 }}>{host}</div>
        <div style={{ display: 'flex', fontSize: 32, marginTop: 8, color: tile !== null && tile.violations > 0 ? '#f87171' : '#94a3b8' }}>
          {tile === null ? 'no frame yet' : `${tile.violations} violation${tile.violations === 1 ? '' : 's'} · ${tile.vms.length} VMs · ${tile.vcpus} vCPUs`}
        </div>
        <div style={{ display: 'flex', flexDirection: 'column', marginTop: 32 }}>
          {(tile?.rows ?? []).map((n, r) => (
            <div key={r} style={{ display: 'flex' }}>
              {Array.from({ length: n }, () => {
                const k = i++;
                const vm = tile?.cells[k] ?? -1;
                const name = vm >= 0 ? tile?.vms[vm] : undefined;
                const bg = name === undefined ? '#334155' : (colors[vmColorIndex(name)] ?? '#334155');
                const marked = tile?.marks[k] === 1;
                return <div key={k} style={{ width: cell - 2, height: cell - 2, margin: 1, background: bg, border: marked ? `${Math.max(2, cell / 6)}px solid #ffffff` : 'none' }} />;
              })}
            </div>
          ))}
        </div>
        <div style={{ display: 'flex', marginTop: 'auto', fontSize: 24, color: '#64748b' }}>vcpumap</div>
      </div>
    ),
    size,
  );
}
