import { getFleet } from '@/lib/server/api/read';

export const dynamic = 'force-dynamic';
export const GET = (req: Request): Promise<Response> => getFleet(req);
