// The metadata of a host or VM page as a chat sees it when a link is pasted: title, description
// and a preview image of the link's own window (violations in force at its end, the layout then),
// at the public address (lib/server/public-url.ts). Pages call this from generateMetadata.
import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { checkPageAccess } from '../page-access';
import { publicBaseUrl } from '../public-url';
import { loadSnapshot } from '../views';
import { linkPath, linkPreview, previewImagePath, PREVIEW_SIZE, type LinkSubject } from '../../ui/link-preview';
import { parseViewState } from '../../ui/url-state';

type SearchParams = Readonly<Record<string, string | string[] | undefined>>;

export async function previewMetadata(host: string, vm: string | null, searchParams: SearchParams): Promise<Metadata> {
  const fallbackTitle = vm === null ? `${host} · vcpumap` : `${vm} on ${host} · vcpumap`;
  // Without the viewer token a page shows nothing of the host, and neither does its preview.
  if (!(await checkPageAccess(searchParams)).ok) return { title: 'vcpumap' };
  const subject: LinkSubject = { host, vm, window: parseViewState(searchParams).window };
  const snap = await loadSnapshot(host, subject.window?.to ?? null);
  const text = linkPreview(subject, snap);
  const base = publicBaseUrl(await headers());
  const q = searchParams.token;
  const image = `${base}${previewImagePath(subject, typeof q === 'string' ? q : null)}`;
  return {
    title: fallbackTitle,
    description: text.description,
    openGraph: {
      type: 'website',
      siteName: 'vcpumap',
      title: text.title,
      description: text.description,
      url: `${base}${linkPath(subject)}`,
      images: [{ url: image, width: PREVIEW_SIZE.width, height: PREVIEW_SIZE.height, alt: text.imageAlt, type: 'image/png' }],
    },
    twitter: { card: 'summary_large_image', title: text.title, description: text.description, images: [{ url: image, alt: text.imageAlt }] },
  };
}
