// POST /api/v1/analyze: pasted text in, a host snapshot out (lib/analyze). JSON body:
// { ps, queryCpusFast?, libvirtXml?, pins?, topology?, host? }, each a string as pasted.
import { z } from 'zod';
import { analyze, AnalyzeInputError } from '../../analyze/analyze';
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

export async function postAnalyze(req: Request): Promise<Response> {
  try {
    const rt = await getRuntime();
    requireViewer(req, rt);
    const json = await readJsonBody(req, rt.config.maxBodyBytes);
    const input = bodySchema.safeParse(json);
    if (!input.success) throw new HttpError(400, describeIssues(input.error));
    try {
      return Response.json(analyze(input.data, Date.now()));
    } catch (err) {
      if (err instanceof AnalyzeInputError) throw new HttpError(400, err.message);
      throw err;
    }
  } catch (err) {
    return errorResponse(err);
  }
}
