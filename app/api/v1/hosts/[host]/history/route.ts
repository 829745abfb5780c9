import { getHistory } from '@/lib/server/api/read';

export const dynamic = 'force-dynamic';
export async function GET(req: Request, ctx: { params: Promise<{ host: string }> }): Promise<Response> {
  return getHistory(req, (await ctx.params).host);
}
