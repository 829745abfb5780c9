// Agent and viewer tokens. Comparison is constant-time over SHA-256 digests, so neither a
// token's content nor its length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export interface AgentGrant {
  readonly digest: Buffer;
  /** Host name patterns this token may report for: exact names, or `*` wildcards (`hv-*`). */
  readonly hosts: readonly RegExp[];
}

export type AuthResult = { readonly ok: true; readonly grant: AgentGrant } | { readonly ok: false };

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

const tokensFileSchema = z.object({
  tokens: z
    .array(
      z.object({
        token: z.string().min(16, 'a token needs at least 16 characters'),
        hosts: z.array(z.string().min(1)).min(1),
      }).strict(),
    )
    .min(1),
}).strict();

/** Grants from VCPUMAP_AGENT_TOKEN (any host) and/or a tokens file (YAML or JSON). */
export function loadAgentGrants(env: { sharedToken?: string; tokensFile?: string }): AgentGrant[] {
  const grants: AgentGrant[] = [];
  if (env.sharedToken) grants.push({ digest: digest(env.sharedToken), hosts: [/^.*$/] });
  if (env.tokensFile) {
    const text = readFileSync(env.tokensFile, 'utf8');
    const r = tokensFileSchema.safeParse(parseYaml(text));
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new Error(`tokens file ${env.tokensFile}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
    }
    for (const t of r.data.tokens) grants.push({ digest: digest(t.token), hosts: t.hosts.map(globToRegExp) });
  }
  return grants;
}

/** The bearer token of an Authorization header, or null. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1] ?? null;
}

/** Checks every grant (no early exit) so the time taken does not depend on which one matches. */
export function authenticate(token: string | null, grants: readonly AgentGrant[]): AuthResult {
  if (token === null) return { ok: false };
  const d = digest(token);
  let found: AgentGrant | null = null;
  for (const g of grants) {
    if (timingSafeEqual(d, g.digest) && found === null) found = g;
  }
  return found ? { ok: true, grant: found } : { ok: false };
}

export function mayReportFor(grant: AgentGrant, host: string): boolean {
  return grant.hosts.some((re) => re.test(host));
}

/** Viewer access: open when no viewer token is configured. */
export function viewerAllowed(configured: string | undefined, presented: string | null): boolean {
  if (!configured) return true;
  if (presented === null) return false;
  return timingSafeEqual(digest(configured), digest(presented));
}
