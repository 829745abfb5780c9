import { getMetrics } from '@/lib/server/api/metrics';

export const dynamic = 'force-dynamic';
export const GET = (): Promise<Response> => getMetrics();
