import { describe, expect, it } from 'vitest';
import { attr, child, children, parseXml, requiredAttr, requiredChild } from './xml-tree';

describe('parseXml', () => {
  it('builds the same tree for one child and for several', () => {
    const one = parseXml("<r><p v='1'/></r>", 't');
    const two = parseXml("<r><p v='1'/><p v='2'/></r>", 't');
    expect(children(one, 'p').map((p) => attr(p, 'v'))).toEqual(['1']);
    expect(children(two, 'p').map((p) => attr(p, 'v'))).toEqual(['1', '2']);
    expect(children(two, 'p').map((p) => p.path)).toEqual(['r/p[1]', 'r/p[2]']);
    expect(child(one, 'p')?.path).toBe('r/p');
    expect(() => child(two, 'p')).toThrow('<r> at r has 2 <p> children, expected at most one');
    expect(child(one, 'q')).toBeNull();
    expect(children(one, 'q')).toEqual([]);
  });

  it('decodes predefined entities and character references in text and attributes', () => {
    const r = parseXml(`<?xml version='1.0'?><!-- c --><r a='&lt;&#65;&#x42;&quot;&apos;'> x &amp;&gt; &#x1F5A5; </r>`, 't');
    expect(r.text).toBe('x &> 🖥');
    expect(requiredAttr(r, 'a')).toBe(`<AB"'`);
    expect(r.attrs.size).toBe(1);
  });

  it('names what is missing and where', () => {
    const r = parseXml('<r><s/></r>', 'test doc');
    expect(() => requiredChild(requiredChild(r, 's'), 't')).toThrow('<s> at r/s has no <t> child');
    expect(() => requiredAttr(r, 'x')).toThrow('<r> at r has no x= attribute');
  });

  it.each([
    ['&#0;', /unsupported entity/],
    ['&#xD800;', /unsupported entity/],
    ['&#x110000;', /unsupported entity/],
    ['&nbsp;', /unsupported entity or stray "&" "&nbsp;" at r/],
  ])('rejects the reference %s', (ref, re) => {
    expect(() => parseXml(`<r>${ref}</r>`, 't')).toThrow(re);
  });

  it('rejects documents that are too large before parsing them', () => {
    expect(() => parseXml(`<r>${' '.repeat(16 * 1024 * 1024)}</r>`, 'big')).toThrow(/too large/);
  });

  it('rejects deep nesting instead of overflowing the stack', () => {
    expect(() => parseXml(`${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`, 't')).toThrow(/could not be parsed|not well-formed/);
  });
});
