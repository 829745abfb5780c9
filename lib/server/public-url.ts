// The address the dashboard is reached at from outside (VCPUMAP_PUBLIC_URL): link previews and
// shared links must name it, since a chat server cannot fetch http://localhost:3000. Without the
// setting, the request's Host stands in, and the server log says once that it does.

/** VCPUMAP_PUBLIC_URL as an origin plus path prefix without a trailing slash, or null when unset. */
export function publicUrlFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  const raw = env.VCPUMAP_PUBLIC_URL;
  if (raw === undefined || raw.trim() === '') return null;
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new Error(`VCPUMAP_PUBLIC_URL must be an absolute http(s) URL such as https://vcpumap.example.com, got "${raw}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`VCPUMAP_PUBLIC_URL must be an http or https URL, got "${raw}"`);
  if (u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '') {
    throw new Error(`VCPUMAP_PUBLIC_URL must not carry a query, fragment or credentials, got "${raw}"`);
  }
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

// On globalThis: the layout's and the pages' bundles each get their own copy of this module.
const WARNED = Symbol.for('vcpumap.public-url-warned');
const flags = globalThis as { [WARNED]?: boolean };

/** Host header values that are a host name or address with an optional port, nothing else. */
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The public base URL: VCPUMAP_PUBLIC_URL, else what the request was addressed to (its Host, and
 * X-Forwarded-Proto when a proxy sets it), with a warning in the server log the first time.
 */
export function publicBaseUrl(headers: { get(name: string): string | null }, env: Readonly<Record<string, string | undefined>> = process.env, log: (msg: string) => void = console.warn): string {
  const configured = publicUrlFromEnv(env);
  if (configured !== null) return configured;
  const hostHeader = headers.get('x-forwarded-host')?.split(',')[0]?.trim() ?? headers.get('host') ?? '';
  const host = HOST.test(hostHeader) ? hostHeader : 'localhost';
  const proto = headers.get('x-forwarded-proto')?.split(',')[0]?.trim() === 'https' ? 'https' : 'http';
  if (flags[WARNED] !== true) {
    flags[WARNED] = true;
    log(`vcpumap: VCPUMAP_PUBLIC_URL is not set; link previews and shared links use this request's address (${proto}://${host}), which a chat server may not reach`);
  }
  return `${proto}://${host}`;
}

/** For tests: forget that the warning was given. */
export function resetPublicUrlWarning(): void {
  flags[WARNED] = false;
}
