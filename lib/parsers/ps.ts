// Parser for `ps -eLo pid,lwp,psr,comm,args` style output (columns in any order, with a header).
// Used for captured fixtures and for hosts where only ps output is available. Pure, no I/O.
//
// Text columns (comm, args) contain spaces ("CPU 0/KVM"), so rows cannot simply be split on
// whitespace. procps right-aligns numeric columns under their header, left-aligns text columns
// at their header's first character, separates columns by one space, lets the last column run
// to the end of the line, and shifts the rest of a row right when a number is wider than its
// column. The parser walks each row left to right with that model.

export interface PsRow {
  readonly pid: number;
  readonly lwp: number; // thread id
  readonly psr: number; // CPU the thread last ran on
  readonly comm: string; // thread name, at most 15 characters, e.g. "CPU 0/KVM"
  readonly args?: string; // full command line of the process
  readonly nlwp?: number; // number of threads of the process
  readonly stat?: string; // process state code, e.g. "Sl"
  readonly cpuPercent?: number; // %CPU: CPU time / elapsed time since start, in percent
}

type Field = 'pid' | 'lwp' | 'psr' | 'nlwp' | 'stat' | 'cpuPercent' | 'comm' | 'args';
type HeaderKind = Field | 'command'; // COMMAND and CMD name both comm and args in procps

const HEADERS: ReadonlyMap<string, HeaderKind> = new Map([
  ['PID', 'pid'],
  ['LWP', 'lwp'],
  ['SPID', 'lwp'],
  ['TID', 'lwp'],
  ['PSR', 'psr'],
  ['NLWP', 'nlwp'],
  ['STAT', 'stat'],
  ['%CPU', 'cpuPercent'],
  ['COMM', 'comm'],
  ['ARGS', 'args'],
  ['COMMAND', 'command'],
  ['CMD', 'command'],
]);

const NUMERIC: ReadonlySet<Field> = new Set(['pid', 'lwp', 'psr', 'nlwp', 'cpuPercent']);
const TEXT: ReadonlySet<HeaderKind> = new Set(['comm', 'args', 'command']);
const REQUIRED: readonly Field[] = ['pid', 'lwp', 'psr', 'comm'];

interface Column {
  readonly field: Field;
  readonly title: string;
  readonly start: number; // index of the header title's first character
  readonly end: number; // index after the header title's last character
  readonly text: boolean; // may contain spaces: cut by position
  readonly rightAligned: boolean;
}

interface MutableRow {
  pid?: number;
  lwp?: number;
  psr?: number;
  comm?: string;
  args?: string;
  nlwp?: number;
  stat?: string;
  cpuPercent?: number;
}

/** Parses ps output; blank lines and trailing whitespace are ignored, CRLF is accepted. */
export function parsePs(text: string): readonly PsRow[] {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const headerIndex = lines.findIndex((l) => l !== '');
  const headerLine = lines[headerIndex];
  if (headerLine === undefined) throw new Error('ps output is empty: expected a header line like "PID LWP PSR COMMAND"');
  const columns = parseHeader(headerLine, headerIndex + 1);

  const rows: PsRow[] = [];
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line !== '') rows.push(parseRow(line, i + 1, columns));
  }
  return rows;
}

function parseHeader(line: string, lineNo: number): readonly Column[] {
  const tokens = tokenize(line);
  const first = tokens[0];
  if (first !== undefined && /^[0-9]/.test(first.value)) {
    throw new Error(`ps line ${lineNo}: missing header line (expected column titles like "PID LWP PSR COMMAND", got ${quote(line)})`);
  }
  const titled = tokens.map((t) => {
    const kind = HEADERS.get(t.value.toUpperCase());
    if (kind === undefined) {
      throw new Error(
        `ps line ${lineNo}: unknown column ${JSON.stringify(t.value)}; supported: ${[...HEADERS.keys()].join(', ')}`,
      );
    }
    return { token: t, kind };
  });

  // COMMAND/CMD is ambiguous: with two text columns the first is comm and the second args (as
  // `ps -o comm,args` prints); a lone one is taken as comm, the thread name we need.
  const textKinds = titled.filter((c) => TEXT.has(c.kind)).map((c) => c.kind);
  if (textKinds.length > 2) throw new Error(`ps line ${lineNo}: more than two command columns in ${quote(line)}`);
  let ambiguousSeen = 0;
  const columns: Column[] = titled.map(({ token, kind }) => {
    let field: Field;
    if (kind !== 'command') field = kind;
    else if (textKinds.includes('comm')) field = 'args';
    else if (textKinds.includes('args')) field = 'comm';
    else field = ambiguousSeen++ === 0 ? 'comm' : 'args';
    return {
      field,
      title: token.value,
      start: token.start,
      end: token.end,
      text: field === 'comm' || field === 'args',
      rightAligned: NUMERIC.has(field),
    };
  });

  const seen = new Set<Field>();
  for (const c of columns) {
    if (seen.has(c.field)) throw new Error(`ps line ${lineNo}: column ${c.field} appears twice in ${quote(line)}`);
    seen.add(c.field);
  }
  const missing = REQUIRED.filter((f) => !seen.has(f));
  if (missing.length > 0) {
    throw new Error(
      `ps line ${lineNo}: header ${quote(line)} lacks ${missing.map((f) => f.toUpperCase()).join(', ')}; ` +
        'run e.g. `ps -eLo pid,lwp,psr,comm,args`',
    );
  }
  return columns;
}

function parseRow(line: string, lineNo: number, columns: readonly Column[]): PsRow {
  const row: MutableRow = {};
  let cursor = 0;
  let shift = 0; // how far a too-wide number pushed the rest of this row right
  for (let k = 0; k < columns.length; k++) {
    const col = columns[k];
    if (col === undefined) break;
    const next = columns[k + 1];
    let value: string;
    if (col.text) {
      const start = Math.max(cursor, col.start + shift);
      const end = next === undefined ? line.length : textEnd(line, start, next, shift);
      value = line.slice(start, end).trim();
      cursor = end;
    } else {
      let s = cursor;
      while (s < line.length && line.charCodeAt(s) === 32) s++;
      let e = s;
      while (e < line.length && line.charCodeAt(e) !== 32) e++;
      value = line.slice(s, e);
      if (col.rightAligned && value !== '') shift = e - col.end;
      cursor = e;
    }
    if (value === '') throw new Error(`ps line ${lineNo}: no ${col.title} value in ${quote(line)}`);
    setField(row, col, value, lineNo, line);
  }
  if (line.slice(cursor).trim() !== '') {
    throw new Error(`ps line ${lineNo}: unexpected text after the last column in ${quote(line)}`);
  }
  const { pid, lwp, psr, comm } = row;
  if (pid === undefined || lwp === undefined || psr === undefined || comm === undefined) {
    throw new Error(`ps line ${lineNo}: incomplete row ${quote(line)}`); // unreachable: header checked
  }
  return { ...row, pid, lwp, psr, comm };
}

/** Where a text column ends: at the next column's start (left-aligned) or before its number. */
function textEnd(line: string, start: number, next: Column, shift: number): number {
  if (!next.rightAligned) return Math.max(start, Math.min(line.length, next.start + shift));
  // A right-aligned number ends at its header's end; walk back over it to find where it starts.
  const limit = Math.min(line.length, next.end + shift);
  let p = limit;
  while (p > start && line.charCodeAt(p - 1) !== 32) p--;
  return Math.max(start, p);
}

function setField(row: MutableRow, col: Column, value: string, lineNo: number, line: string): void {
  const num = (): number => {
    const ok = col.field === 'cpuPercent' ? /^[0-9]{1,15}(\.[0-9]{1,6})?$/.test(value) : /^[0-9]{1,15}$/.test(value);
    if (!ok) throw new Error(`ps line ${lineNo}: ${col.title} ${JSON.stringify(value)} is not a number in ${quote(line)}`);
    return Number(value);
  };
  switch (col.field) {
    case 'pid':
      row.pid = num();
      break;
    case 'lwp':
      row.lwp = num();
      break;
    case 'psr':
      row.psr = num();
      break;
    case 'nlwp':
      row.nlwp = num();
      break;
    case 'cpuPercent':
      row.cpuPercent = num();
      break;
    case 'stat':
      row.stat = value;
      break;
    case 'comm':
      row.comm = value;
      break;
    case 'args':
      row.args = value;
      break;
  }
}

interface Token {
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

function tokenize(line: string): readonly Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isBlank(line.charCodeAt(i))) i++;
    const s = i;
    while (i < line.length && !isBlank(line.charCodeAt(i))) i++;
    if (i > s) out.push({ value: line.slice(s, i), start: s, end: i });
  }
  return out;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function quote(line: string): string {
  return JSON.stringify(line.length > 100 ? `${line.slice(0, 100)}...` : line);
}
