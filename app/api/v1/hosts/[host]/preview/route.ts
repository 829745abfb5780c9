import { getPreviewImage } from '@/lib/server/preview/preview-image';

export const dynamic = 'force-dynamic';
export async function GET(req: Request, { params }: { params: Promise<{ host: string }> }): Promise<Response> {
  return getPreviewImage(req, (await params).host);
}
