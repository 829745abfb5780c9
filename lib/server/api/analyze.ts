// POST /api/v1/analyze: pasted text in, a host snapshot out (lib/analyze), analysed in a worker
// thread (lib/analyze/analyze-pool.ts). JSON body: { ps, queryCpusFast?, libvirtXml?, pins?,
// topology?, host? }, each a string as pasted. A paste that cannot be read gets a 400 naming
// every field that could not be read (`fields`), one too big for the budget a 400 that says so.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AnalyzePool } from '../../analyze/analyze-pool';
import { errorResponse, HttpError } from '../http-errors';
import { readJsonBody } from '../read-body';
import { getRuntime } from '../runtime';
import { describeIssues } from '../zod-issues';
import { requireViewer } from './viewer';

const pasted = z.string().max(4 * 1024 * 1024);
const bodySchema = z
  .object({
    ps: pasted.min(1, 'paste the output of `ps -eLo pid,lwp,psr,stat,comm,args`'),
    queryCpusFast: pasted.optional(),
    libvirtXml: pasted.optional(),
    pins: pasted.optional(),
    topology: pasted.optional(),
    host: z.string().min(1).max(253).optional(),
  })
  .strict();

/** The project root: scripts/start.mjs says where it is; `next dev` runs in it. */
const ROOT_KEY = Symbol.for('vcpumap.root');
const POOL_KEY = Symbol.for('vcpumap.analyze-pool');

/** The server's analyze workers (one per process, on globalThis: every route bundle shares it). */
export function analyzePool(): AnalyzePool {
  const holder = globalThis as { [POOL_KEY]?: AnalyzePool; [ROOT_KEY]?: string };
  if (holder[POOL_KEY] === undefined) {
    const script = path.join(holder[ROOT_KEY] ?? process.cwd(), 'dist', 'analyze-worker.mjs');
    if (!existsSync(script)) {
      throw new Error(`${script} is missing: run \`npm run build:agent\` (npm install and npm start build it)`);
    }
    holder[POOL_KEY] = new AnalyzePool({ script });
  }
  return holder[POOL_KEY];
}

export async function postAnalyze(req: Request): Promise<Response> {
  try {
    const rt = await getRuntime();
    requireViewer(req, rt);
    const json = await readJsonBody(req, rt.config.maxBodyBytes);
    const input = bodySchema.safeParse(json);
    if (!input.success) throw new HttpError(400, describeIssues(input.error));
    const out = await analyzePool().run(input.data, Date.now());
    switch (out.kind) {
      case 'done':
        return new Response(out.json, { headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
      case 'bad':
        return Response.json(out.fields === undefined ? { error: out.error } : { error: out.error, fields: out.fields }, { status: 400 });
      case 'busy':
        throw new HttpError(503, 'busy analysing other pastes; try again in a few seconds', { 'retry-after': '2' });
      case 'failed':
        throw new Error(out.error);
    }
  } catch (err) {
    return errorResponse(err);
  }
}
