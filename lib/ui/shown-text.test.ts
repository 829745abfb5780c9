import { describe, expect, it } from 'vitest';
import { shownText } from './shown-text';

describe('shownText', () => {
  it('leaves ordinary names alone, whatever their script', () => {
    for (const s of ['web-01', 'CPU 0/KVM', 'база-данных', 'خادم-1', 'ウェブ', 'a b']) {
      expect(shownText(s)).toBe(s);
    }
  });

  it('makes bidi overrides and isolates visible, so a name cannot read as another', () => {
    // "web-1" + RLO + "gnp.exe": rendered as it is, this reads "web-1exe.png".
    expect(shownText('web-1\u202egnp.exe')).toBe('web-1\u27e8U+202E\u27e9gnp.exe');
    expect(shownText('\u2066a\u2069')).toBe('\u27e8U+2066\u27e9a\u27e8U+2069\u27e9');
    expect(shownText('a\u200fb\u061c')).toBe('a\u27e8U+200F\u27e9b\u27e8U+061C\u27e9');
  });

  it('shows C0 controls as control pictures, DEL and C1 too', () => {
    expect(shownText('a\u0000b\tc\nd\u001b[31m')).toBe('a\u2400b\u2409c\u240ad\u241b[31m');
    expect(shownText('x\u007fy\u0085z')).toBe('x\u2421y\u27e8U+0085\u27e9z');
  });

  it('shows invisible characters: zero-width, soft hyphen, BOM, tags', () => {
    expect(shownText('vm\u200b1')).toBe('vm\u27e8U+200B\u27e91');
    expect(shownText('\ufeffvm\u00ad')).toBe('\u27e8U+FEFF\u27e9vm\u27e8U+00AD\u27e9');
    expect(shownText('vm\u{e0041}')).toBe('vm\u27e8U+E0041\u27e9');
  });
});
