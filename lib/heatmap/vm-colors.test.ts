import { describe, expect, it } from 'vitest';
import { fnv1a32, palette, PALETTE_SIZE, vmColorIndex } from './vm-colors';

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
});

describe('vmColorIndex', () => {
  it('is stable and in range for any string', () => {
    const names = ['web-1', '', 'vm with spaces', '日本語', '\u{1F600}', '\ud800', 'a'.repeat(10_000), '<script>'];
    for (const n of names) {
      const i = vmColorIndex(n);
      expect(Number.isInteger(i)).toBe(true);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(PALETTE_SIZE);
      expect(vmColorIndex(n)).toBe(i);
    }
  });

  it('spreads names over the palette', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => vmColorIndex(`vm-${i}`)));
    expect(used.size).toBe(PALETTE_SIZE);
  });
});

describe('palette', () => {
  it('has the same number of distinct valid colours in both themes', () => {
    for (const theme of ['dark', 'light'] as const) {
      const p = palette(theme);
      expect(p).toHaveLength(PALETTE_SIZE);
      expect(new Set(p.map((c) => c.toLowerCase())).size).toBe(PALETTE_SIZE);
      for (const c of p) expect(c).toMatch(/^#[0-9a-f]{6}$/i);
    }
  });

  it('starts with the Okabe-Ito colours on light and lifts dark colours on dark', () => {
    expect(palette('light').slice(0, 3)).toEqual(['#E69F00', '#56B4E9', '#009E73']);
    expect(palette('dark')[0]).toBe('#E69F00');
    expect(palette('dark')[11]).not.toBe(palette('light')[11]);
  });
});
