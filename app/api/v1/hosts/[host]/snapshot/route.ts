import { getSnapshot } from '@/lib/server/api/read';

export const dynamic = 'force-dynamic';
export async function GET(req: Request, ctx: { params: Promise<{ host: string }> }): Promise<Response> {
  return getSnapshot(req, (await ctx.params).host);
}
