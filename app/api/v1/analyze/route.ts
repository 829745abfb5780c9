import { postAnalyze } from '@/lib/server/api/analyze';

export const dynamic = 'force-dynamic';
export const POST = (req: Request): Promise<Response> => postAnalyze(req);
