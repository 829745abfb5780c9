import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authenticate, bearerToken, loadAgentGrants, mayReportFor, viewerAllowed } from './auth';

function tokensFile(text: string): string {
  const f = path.join(mkdtempSync(path.join(tmpdir(), 'vcpumap-tokens-')), 'tokens.yaml');
  writeFileSync(f, text);
  return f;
}

describe('agent tokens', () => {
  it('a shared token may report for any host', () => {
    const grants = loadAgentGrants({ sharedToken: 'shared-secret-token' });
    const r = authenticate('shared-secret-token', grants);
    expect(r.ok && mayReportFor(r.grant, 'hv-01')).toBe(true);
    expect(authenticate('shared-secret-tokeN', grants).ok).toBe(false);
    expect(authenticate(null, grants).ok).toBe(false);
  });

  it('a tokens file limits each token to its hosts', () => {
    const file = tokensFile(`tokens:\n  - token: aaaaaaaaaaaaaaaaaaaa\n    hosts: ["hv-*"]\n  - token: bbbbbbbbbbbbbbbbbbbb\n    hosts: [db-1]\n`);
    const grants = loadAgentGrants({ tokensFile: file });
    const a = authenticate('aaaaaaaaaaaaaaaaaaaa', grants);
    const b = authenticate('bbbbbbbbbbbbbbbbbbbb', grants);
    expect(a.ok && mayReportFor(a.grant, 'hv-17')).toBe(true);
    expect(a.ok && mayReportFor(a.grant, 'db-1')).toBe(false);
    expect(b.ok && mayReportFor(b.grant, 'db-1')).toBe(true);
    expect(b.ok && mayReportFor(b.grant, 'db-10')).toBe(false);
    // A pattern is a glob, not a regular expression.
    const dot = authenticate('aaaaaaaaaaaaaaaaaaaa', loadAgentGrants({ tokensFile: tokensFile(`tokens:\n  - token: aaaaaaaaaaaaaaaaaaaa\n    hosts: [a.b]\n`) }));
    expect(dot.ok && mayReportFor(dot.grant, 'axb')).toBe(false);
  });

  it('rejects a tokens file with a clear message', () => {
    expect(() => loadAgentGrants({ tokensFile: tokensFile('tokens:\n  - token: short\n    hosts: [x]\n') })).toThrow(/tokens\.0\.token: a token needs at least 16/);
    expect(() => loadAgentGrants({ tokensFile: tokensFile('tokenz: []\n') })).toThrow(/tokens file/);
  });

  it('reads bearer tokens', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken(null)).toBeNull();
  });

  it('viewer access is open without a configured token and closed without the right one', () => {
    expect(viewerAllowed(undefined, null)).toBe(true);
    expect(viewerAllowed('v-token', null)).toBe(false);
    expect(viewerAllowed('v-token', 'v-tokeN')).toBe(false);
    expect(viewerAllowed('v-token', 'v-token')).toBe(true);
  });
});
