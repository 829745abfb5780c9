// Safe XML -> element tree for libvirt documents, on top of fast-xml-parser. No I/O.
//
// Safety: a DOCTYPE is refused outright (libvirt never writes one), so there are no custom
// entities and no billion-laughs expansion; fast-xml-parser's own entity handling is off and
// only the five predefined entities and character references are decoded, here. Documents must
// be well-formed (XMLValidator) and have exactly one root element.

import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  readonly name: string;
  /** Where the element is, for error messages: `domstatus/domain/cputune/vcpupin[2]` (1-based). */
  readonly path: string;
  readonly attrs: ReadonlyMap<string, string>;
  /** Text content, trimmed; the text of mixed content is concatenated. */
  readonly text: string;
  /** Child elements grouped by name; order among children of different names is not kept. */
  readonly children: ReadonlyMap<string, readonly XmlElement[]>;
}

/** 16 MiB of characters: a domain status XML is ~10 KiB, the <qemuCaps> in it included. */
const MAX_XML_CHARS = 16 * 1024 * 1024;

const ATTRS = '@';
const TEXT = '#text';
const CDATA = '#cdata';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  attributesGroupName: ATTRS,
  textNodeName: TEXT,
  cdataPropName: CDATA, // kept apart so that entity decoding never touches CDATA content
  alwaysCreateTextNode: true,
  parseTagValue: false, // values stay strings; callers validate them
  parseAttributeValue: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Every element becomes an array, so one <vcpupin> and several look the same.
  isArray: (_name, _jpath, _leaf, isAttribute) => !isAttribute,
});

/** Parses a whole document and returns its root element. `what` names the document in errors. */
export function parseXml(xml: string, what: string): XmlElement {
  if (xml.length > MAX_XML_CHARS) throw new Error(`${what}: ${xml.length} characters is too large for a libvirt XML document`);
  if (/<!DOCTYPE/i.test(xml)) {
    throw new Error(`${what}: DOCTYPE declarations are refused (libvirt never writes them; they allow entity expansion attacks)`);
  }
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new Error(`${what} is not well-formed XML: ${msg} (line ${line}${col === undefined ? '' : `, column ${col}`})`);
  }
  let raw: unknown;
  try {
    raw = parser.parse(xml);
  } catch (err) {
    throw new Error(`${what} could not be parsed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!isRecord(raw)) throw new Error(`${what} has no root element`);
  const roots = Object.entries(raw).flatMap(([name, nodes]) => (Array.isArray(nodes) ? nodes.map((n): [string, unknown] => [name, n]) : []));
  const [root, ...extra] = roots;
  if (!root || extra.length > 0) {
    throw new Error(`${what} must have exactly one root element, found ${roots.length} (${roots.map(([n]) => `<${n}>`).join(', ')})`);
  }
  return toElement(root[0], root[1], root[0], what);
}

function toElement(name: string, raw: unknown, path: string, what: string): XmlElement {
  if (!isRecord(raw)) throw new Error(`${what}: unexpected parser output at ${path}`);
  const attrs = new Map<string, string>();
  const children = new Map<string, XmlElement[]>();
  let text = '';
  for (const [key, value] of Object.entries(raw)) {
    if (key === ATTRS) {
      if (!isRecord(value)) throw new Error(`${what}: unexpected attributes at ${path}`);
      for (const [a, v] of Object.entries(value)) attrs.set(a, decodeEntities(str(v, `${path}/@${a}`, what), `${path}/@${a}`, what));
    } else if (key === TEXT) {
      text += decodeEntities(str(value, path, what), path, what);
    } else if (key === CDATA) {
      for (const c of Array.isArray(value) ? value : [value]) text += isRecord(c) ? String(c[TEXT] ?? '') : String(c);
    } else if (Array.isArray(value)) {
      children.set(
        key,
        value.map((v, i) => toElement(key, v, `${path}/${key}${value.length > 1 ? `[${i + 1}]` : ''}`, what)),
      );
    } else {
      throw new Error(`${what}: unexpected parser output for <${key}> at ${path}`);
    }
  }
  return { name, path, attrs, text, children };
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the predefined entities and character references; anything else is an error. */
function decodeEntities(s: string, path: string, what: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    const named = Object.hasOwn(PREDEFINED, ref) ? PREDEFINED[ref] : undefined;
    if (named !== undefined && whole.endsWith(';')) return named;
    const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref);
    const code = m ? parseInt(m[1] ?? m[2] ?? '', m[1] ? 16 : 10) : NaN;
    if (whole.endsWith(';') && Number.isInteger(code) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) {
      return String.fromCodePoint(code);
    }
    throw new Error(`${what}: unsupported entity or stray "&" ${JSON.stringify(whole.slice(0, 20))} at ${path}`);
  });
}

function str(v: unknown, path: string, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: unexpected parser output at ${path}`);
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** All children called `name` (possibly none). */
export function children(el: XmlElement, name: string): readonly XmlElement[] {
  return el.children.get(name) ?? [];
}

/** The only child called `name`, or null; more than one is an error. */
export function child(el: XmlElement, name: string): XmlElement | null {
  const all = children(el, name);
  if (all.length > 1) throw new Error(`<${el.name}> at ${el.path} has ${all.length} <${name}> children, expected at most one`);
  return all[0] ?? null;
}

/** The only child called `name`; missing is an error. */
export function requiredChild(el: XmlElement, name: string): XmlElement {
  const c = child(el, name);
  if (!c) throw new Error(`<${el.name}> at ${el.path} has no <${name}> child`);
  return c;
}

export function attr(el: XmlElement, name: string): string | null {
  return el.attrs.get(name) ?? null;
}

export function requiredAttr(el: XmlElement, name: string): string {
  const v = attr(el, name);
  if (v === null) throw new Error(`<${el.name}> at ${el.path} has no ${name}= attribute`);
  return v;
}
