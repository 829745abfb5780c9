// The viewer-token rule of the read API, for pages: the vcpumap_token cookie or ?token=.
import { cookies } from 'next/headers';
import { pageAccess, type ViewAccess } from './views';
import { decodeSegment } from '../ui/url-state';

export async function checkPageAccess(searchParams: Readonly<Record<string, string | string[] | undefined>>): Promise<ViewAccess> {
  const q = searchParams.token;
  const cookie = (await cookies()).get('vcpumap_token')?.value ?? null;
  return pageAccess(cookie === null ? null : decodeSegment(cookie), typeof q === 'string' ? q : null);
}
