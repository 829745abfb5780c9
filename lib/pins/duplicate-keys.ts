// Duplicate mapping keys in a pins file (a VM or a vCPU listed twice is a mistake to report), found
// in linear time. The yaml package's own `uniqueKeys` check compares each key with every earlier
// key of its map: a pasted map of 100,000 VMs held the parser for minutes.
import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

/** The first key that appears twice in one mapping of the YAML document, as `path: message`, or null. */
export function duplicateKeyInYaml(doc: Document, text: string): string | null {
  const walk = (node: unknown, path: string): string | null => {
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(key)) return `${where(path)}: key ${JSON.stringify(key)} appears twice (line ${lineOf(text, pair.key)}); keys must be unique`;
        seen.add(key);
        const found = walk(pair.value, path === '' ? key : `${path}.${key}`);
        if (found !== null) return found;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const found = walk(node.items[i], `${path}[${i}]`);
        if (found !== null) return found;
      }
    }
    return null;
  };
  return walk(doc.contents, '');
}

/**
 * The first key that appears twice in one object of `text`, which JSON.parse has accepted
 * already (JSON.parse itself keeps the last of two equal keys); null when there is none.
 */
export function duplicateKeyInJson(text: string): string | null {
  interface Frame {
    readonly keys: Set<string> | null; // null: an array
    readonly path: string;
    expectKey: boolean;
    lastKey: string;
  }
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      if (top?.keys && top.expectKey) {
        const key = String(JSON.parse(text.slice(i, j + 1)));
        if (top.keys.has(key)) return `${where(top.path)}: key ${JSON.stringify(key)} appears twice; keys must be unique`;
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const path = top === undefined ? '' : top.keys ? (top.path === '' ? top.lastKey : `${top.path}.${top.lastKey}`) : `${top.path}[]`;
      stack.push({ keys: c === 0x7b ? new Set() : null, path, expectKey: true, lastKey: '' });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */ && top?.keys) {
      top.expectKey = true;
    }
  }
  return null;
}

function where(path: string): string {
  return path === '' ? 'top level' : path;
}

function lineOf(text: string, node: unknown): number {
  const offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && 'range' in v;
}
