// Parsers for tracefs's self-description: an event's `format` file (events/SYSTEM/NAME/format)
// and the ring buffer's `events/header_page` and `events/header_event`. Pure: the caller reads
// the files. Every offset the page decoder and the event readers use comes from here, so a
// kernel that lays an event out differently is read correctly or refused with a clear message.

/** How a field's bytes are found: in place, or through a 32-bit (length << 16 | offset) word. */
export type FieldLocation = 'inline' | 'data-loc' | 'rel-loc';

export interface FieldFormat {
  readonly name: string;
  readonly type: string; // the declaration without the name, e.g. "char[16]", "pid_t"
  readonly offset: number; // bytes from the start of the event's data (common_type is at 0)
  readonly size: number; // bytes
  readonly signed: boolean;
  /** `char comm[16]` has 16; null for a scalar. */
  readonly arrayLength: number | null;
  readonly location: FieldLocation;
}

export interface EventFormat {
  readonly name: string;
  readonly id: number; // the value of common_type in this event's records
  readonly fields: readonly FieldFormat[]; // common fields first, as listed
  readonly printFmt: string;
}

/** Parses one `format` file; throws naming the line that does not fit. */
export function parseEventFormat(text: string): EventFormat {
  let name: string | null = null;
  let id: number | null = null;
  let printFmt = '';
  const fields: FieldFormat[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line === 'format:') continue;
    if (line.startsWith('name:')) name = line.slice(5).trim();
    else if (line.startsWith('ID:')) id = parseCount(line.slice(3).trim(), 'ID');
    else if (line.startsWith('field:')) fields.push(parseFieldLine(line));
    else if (line.startsWith('print fmt:')) printFmt = line.slice(10).trim();
    else throw new Error(`event format: unexpected line ${JSON.stringify(line.slice(0, 120))}`);
  }
  if (name === null || name === '') throw new Error('event format: no "name:" line');
  if (id === null) throw new Error(`event format of ${name}: no "ID:" line`);
  if (fields.length === 0) throw new Error(`event format of ${name}: no fields`);
  return { name, id, fields, printFmt };
}

/** `field:char prev_comm[16];	offset:8;	size:16;	signed:0;` */
export function parseFieldLine(line: string): FieldFormat {
  const parts = new Map<string, string>();
  for (const part of line.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const colon = p.indexOf(':');
    if (colon < 0) throw new Error(`field line: expected key:value in ${JSON.stringify(line)}`);
    parts.set(p.slice(0, colon).trim(), p.slice(colon + 1).trim());
  }
  const decl = parts.get('field');
  const offset = parts.get('offset');
  const size = parts.get('size');
  if (decl === undefined || offset === undefined || size === undefined) {
    throw new Error(`field line: expected field, offset and size in ${JSON.stringify(line)}`);
  }
  // `__data_loc char[] comm`, `unsigned char common_flags`, `char prev_comm[16]`, `u64 timestamp`
  const m = /^(.*?)([A-Za-z_][A-Za-z0-9_]*)\s*(\[(\d*)\])?$/.exec(decl.trim());
  if (!m) throw new Error(`field line: cannot find the field name in ${JSON.stringify(decl)}`);
  const typePart = (m[1] ?? '').trim();
  const location: FieldLocation = typePart.startsWith('__data_loc') ? 'data-loc' : typePart.startsWith('__rel_loc') ? 'rel-loc' : 'inline';
  // `char prev_comm[16]` has its length after the name; `__data_loc char[] comm` a variable one in the type.
  const arrayLength = m[3] !== undefined ? (m[4] === '' || m[4] === undefined ? 0 : Number(m[4])) : typePart.endsWith('[]') ? 0 : null;
  const signedText = parts.get('signed');
  return {
    name: m[2] ?? '',
    type: m[3] === undefined ? typePart : `${typePart}${m[3]}`,
    offset: parseCount(offset, 'offset'),
    size: parseCount(size, 'size'),
    signed: signedText === '1',
    arrayLength,
    location,
  };
}

/** The field called `name`, or an error that says which event lacks it. */
export function fieldOf(format: EventFormat, name: string): FieldFormat {
  const f = format.fields.find((x) => x.name === name);
  if (f === undefined) throw new Error(`event ${format.name} has no field "${name}" in its format file`);
  return f;
}

/** Where the parts of a ring-buffer page are (events/header_page). */
export interface PageHeader {
  readonly timestampOffset: number;
  readonly timestampSize: number; // 8
  readonly commitOffset: number;
  readonly commitSize: number; // sizeof(long): 8 on 64-bit kernels, 4 on 32-bit
  readonly dataOffset: number;
  /** The page size the header file was written for (data offset + data size). */
  readonly pageSize: number;
}

export function parseHeaderPage(text: string): PageHeader {
  const byName = new Map<string, FieldFormat>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('field:')) {
      const f = parseFieldLine(line);
      // `int overwrite` shares the commit word's offset; the first of a name wins.
      if (!byName.has(f.name)) byName.set(f.name, f);
    }
  }
  const need = (n: string): FieldFormat => {
    const f = byName.get(n);
    if (f === undefined) throw new Error(`header_page: no "${n}" field`);
    return f;
  };
  const ts = need('timestamp');
  const commit = need('commit');
  const data = need('data');
  if (ts.size !== 8) throw new Error(`header_page: timestamp of ${ts.size} bytes, expected 8`);
  if (commit.size !== 4 && commit.size !== 8) throw new Error(`header_page: commit of ${commit.size} bytes, expected 4 or 8`);
  return {
    timestampOffset: ts.offset,
    timestampSize: ts.size,
    commitOffset: commit.offset,
    commitSize: commit.size,
    dataOffset: data.offset,
    pageSize: data.offset + data.size,
  };
}

/** The record header (events/header_event): bit widths and the special type_len values. */
export interface RecordHeader {
  readonly typeLenBits: number; // 5
  readonly timeDeltaBits: number; // 27
  readonly padding: number; // 29
  readonly timeExtend: number; // 30
  readonly timeStamp: number | null; // 31 (absolute time); null on kernels without it
  readonly dataMaxTypeLen: number; // 28: type_len 1..28 is a data record of type_len * 4 bytes
}

export function parseHeaderEvent(text: string): RecordHeader {
  const bits = (n: string): number | null => {
    const m = new RegExp(`^\\s*${n}\\s*:\\s*(\\d+)\\s*bits`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const type = (n: string): number | null => {
    const m = new RegExp(`^\\s*${n}\\s*:\\s*type\\s*==\\s*(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const typeLenBits = bits('type_len');
  const timeDeltaBits = bits('time_delta');
  const padding = type('padding');
  const timeExtend = type('time_extend');
  const maxMatch = /data max type_len\s*==\s*(\d+)/.exec(text);
  if (typeLenBits === null || timeDeltaBits === null || padding === null || timeExtend === null || !maxMatch) {
    throw new Error('header_event: expected type_len and time_delta widths, padding, time_extend and "data max type_len"');
  }
  if (typeLenBits + timeDeltaBits !== 32) throw new Error(`header_event: type_len ${typeLenBits} + time_delta ${timeDeltaBits} bits is not one 32-bit word`);
  return { typeLenBits, timeDeltaBits, padding, timeExtend, timeStamp: type('time_stamp'), dataMaxTypeLen: Number(maxMatch[1]) };
}

function parseCount(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`format: ${what} is not a number: ${JSON.stringify(text)}`);
  return Number(text);
}
