// Read access: open unless VCPUMAP_VIEWER_TOKEN is set; then a bearer token, a `token` query
// parameter (for EventSource, which cannot send headers) or the vcpumap_token cookie.
import { bearerToken, viewerAllowed } from '../auth';
import { HttpError } from '../http-errors';
import { decodeSegment } from '../../ui/url-state';
import type { Runtime } from '../runtime';

export function requireViewer(req: Request, rt: Runtime): void {
  const url = new URL(req.url);
  const raw = /(?:^|;\s*)vcpumap_token=([^;]+)/.exec(req.headers.get('cookie') ?? '')?.[1] ?? null;
  const cookie = raw === null ? null : decodeSegment(raw); // the token form stores it URI-encoded
  const presented = bearerToken(req.headers.get('authorization')) ?? url.searchParams.get('token') ?? cookie;
  if (!viewerAllowed(rt.config.viewerToken, presented)) {
    throw new HttpError(401, 'this server needs a viewer token: send Authorization: Bearer <token> or ?token=');
  }
}
