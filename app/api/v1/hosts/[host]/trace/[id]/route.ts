import { postTrace } from '@/lib/server/api/trace';

export const dynamic = 'force-dynamic';
export async function POST(req: Request, ctx: { params: Promise<{ host: string; id: string }> }): Promise<Response> {
  const { host, id } = await ctx.params;
  return postTrace(req, host, id);
}
