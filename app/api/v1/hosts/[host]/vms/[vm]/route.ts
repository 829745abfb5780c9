import { getVm } from '@/lib/server/api/read';

export const dynamic = 'force-dynamic';
export async function GET(req: Request, ctx: { params: Promise<{ host: string; vm: string }> }): Promise<Response> {
  const { host, vm } = await ctx.params;
  return getVm(req, host, vm);
}
