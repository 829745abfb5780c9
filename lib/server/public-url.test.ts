import { describe, expect, it } from 'vitest';
import { publicBaseUrl, publicUrlFromEnv, resetPublicUrlWarning } from './public-url';

const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });

describe('public URL', () => {
  it('takes VCPUMAP_PUBLIC_URL as it is, without a trailing slash', () => {
    expect(publicUrlFromEnv({ VCPUMAP_PUBLIC_URL: 'https://vcpumap.example.com/' })).toBe('https://vcpumap.example.com');
    expect(publicUrlFromEnv({ VCPUMAP_PUBLIC_URL: 'https://ops.example.com/vcpumap/' })).toBe('https://ops.example.com/vcpumap');
    expect(publicUrlFromEnv({})).toBeNull();
  });
  it('says what is wrong with a bad setting', () => {
    expect(() => publicUrlFromEnv({ VCPUMAP_PUBLIC_URL: 'vcpumap.example.com' })).toThrow(/absolute http\(s\) URL/);
    expect(() => publicUrlFromEnv({ VCPUMAP_PUBLIC_URL: 'ftp://x' })).toThrow(/http or https/);
    expect(() => publicUrlFromEnv({ VCPUMAP_PUBLIC_URL: 'https://x/?a=1' })).toThrow(/query/);
  });
  it('falls back to the request host once with a warning, and never echoes a forged host', () => {
    resetPublicUrlWarning();
    const logs: string[] = [];
    const log = (m: string) => logs.push(m);
    expect(publicBaseUrl(headers({ host: 'dash:3000' }), {}, log)).toBe('http://dash:3000');
    expect(publicBaseUrl(headers({ host: 'a', 'x-forwarded-host': 'ops.example.com', 'x-forwarded-proto': 'https' }), {}, log)).toBe('https://ops.example.com');
    expect(publicBaseUrl(headers({ host: 'evil.com/"><script>' }), {}, log)).toBe('http://localhost');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/VCPUMAP_PUBLIC_URL is not set/);
    expect(publicBaseUrl(headers({ host: 'dash' }), { VCPUMAP_PUBLIC_URL: 'https://v.example' }, log)).toBe('https://v.example');
  });
});
