import { handleIngest } from '@/lib/server/api/ingest';

export const dynamic = 'force-dynamic';
export const POST = (req: Request): Promise<Response> => handleIngest(req);
