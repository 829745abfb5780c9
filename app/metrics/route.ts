import { getMetrics } from '@/lib/server/api/metrics';

export const dynamic = 'force-dynamic';
export const GET = (req: Request): Promise<Response> => getMetrics(req);
