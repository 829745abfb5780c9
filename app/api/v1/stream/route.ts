import { getStream } from '@/lib/server/api/stream';

export const dynamic = 'force-dynamic';
export const GET = (req: Request): Promise<Response> => getStream(req);
