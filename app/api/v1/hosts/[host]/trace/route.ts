import { getTrace } from '@/lib/server/api/trace';

export const dynamic = 'force-dynamic';
export async function GET(req: Request, ctx: { params: Promise<{ host: string }> }): Promise<Response> {
  return getTrace(req, (await ctx.params).host);
}
