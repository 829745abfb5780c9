// Read access: open unless VCPUMAP_VIEWER_TOKEN is set; then a bearer token, a `token` query
// parameter (for EventSource, which cannot send headers, and for links) or the vcpumap_token
// cookie. The one rule of every reader: the read API, the stream, the preview image and the pages
// (lib/server/page-access.ts).
import { bearerToken, viewerAllowed } from '../auth';
import { HttpError } from '../http-errors';
import { decodeSegment } from '../../ui/url-state';
import type { Runtime } from '../runtime';

/** The parts of a request the token rule reads: a Web Request's or a Node request's. */
export interface TokenSource {
  readonly url: string; // absolute, or a path with its query
  header(name: string): string | null;
}

export function webTokenSource(req: Request): TokenSource {
  return { url: req.url, header: (n) => req.headers.get(n) };
}

/** The token a request presents: bearer, `?token=`, or the vcpumap_token cookie. */
export function presentedToken(src: TokenSource): string | null {
  const url = new URL(src.url, 'http://x');
  const raw = /(?:^|;\s*)vcpumap_token=([^;]+)/.exec(src.header('cookie') ?? '')?.[1] ?? null;
  const cookie = raw === null ? null : decodeSegment(raw); // the token form stores it URI-encoded
  return bearerToken(src.header('authorization')) ?? url.searchParams.get('token') ?? cookie;
}

/** Whether what `src` presents opens the read side of a server configured with `config`. */
export function viewerMayRead(config: { readonly viewerToken: string | undefined }, src: TokenSource): boolean {
  return viewerAllowed(config.viewerToken, presentedToken(src));
}

export function requireViewer(req: Request | TokenSource, rt: Runtime): void {
  if (!viewerMayRead(rt.config, req instanceof Request ? webTokenSource(req) : req)) {
    throw new HttpError(401, 'this server needs a viewer token: send Authorization: Bearer <token> or ?token=');
  }
}

/** /metrics: VCPUMAP_METRICS_TOKEN when set, else the viewer token's rule (open when neither is set). */
export function requireMetricsReader(req: Request, rt: Runtime): void {
  const expected = rt.config.metricsToken ?? rt.config.viewerToken;
  if (!viewerAllowed(expected, presentedToken(webTokenSource(req)))) {
    throw new HttpError(401, 'this server needs a token for /metrics: send Authorization: Bearer <VCPUMAP_METRICS_TOKEN, else the viewer token>', {
      'www-authenticate': 'Bearer realm="vcpumap-metrics"',
    });
  }
}
