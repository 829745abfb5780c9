// How Perfetto's trace processor reads a systrace / ftrace text line, restated for tests (the
// trace processor itself is not packaged for Debian): the text is a systrace trace when it starts
// with "# tracer"; lines starting with '#' are skipped; an event line is "TASK-PID (TGID) [CPU]
// FLAGS TIMESTAMP: EVENT: ARGS", where the task name may hold any character (it is everything
// before the last "-PID" that the rest of the grammar follows), the tgid is optional (digits or
// dashes), the flags are 0 to 5 of [a-zA-Z0-9.], the timestamp is seconds with a fraction;
// ARGS are split at single spaces into key=value (a token without '=' is the key "name").
// sched_switch needs prev_pid, prev_prio, next_pid and next_prio as integers; sched_waking pid.

export interface SystraceLine {
  readonly task: string;
  readonly pid: number;
  readonly tgid: string;
  readonly cpu: number;
  readonly tsNs: number;
  readonly event: string;
  readonly args: ReadonlyMap<string, string>;
}

const LINE = /-(\d+)\s+\(?\s*(\d+|-+)?\)?\s?\[(\d+)\]\s*[a-zA-Z0-9.]{0,5}\s*(\d+\.\d+):\s+(\S+):/;

/** The event lines of a text trace as Perfetto tokenizes them; throws on a line it would count as a parse failure. */
export function parseSystrace(text: string): SystraceLine[] {
  if (!text.startsWith('# tracer')) throw new Error('not a systrace text trace: it must start with "# tracer"');
  const out: SystraceLine[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`Perfetto would not parse this line: ${line}`);
    const args = new Map<string, string>();
    const rest = line.slice(m.index + m[0].length).trim();
    for (const token of rest.split(' ')) {
      if (token === '') continue;
      const eq = token.indexOf('=');
      if (eq < 0) args.set('name', token);
      else args.set(token.slice(0, eq), token.slice(token.lastIndexOf('=') + 1));
    }
    const event = m[5] ?? '';
    const int = (k: string): void => {
      if (!/^-?\d+$/.test(args.get(k) ?? '')) throw new Error(`Perfetto would not parse this ${event} (${k}): ${line}`);
    };
    if (event === 'sched_switch') for (const k of ['prev_pid', 'prev_prio', 'next_pid', 'next_prio']) int(k);
    if (event === 'sched_waking') int('pid');
    out.push({
      task: line.slice(0, m.index).trim(),
      pid: Number(m[1]),
      tgid: m[2] ?? '',
      cpu: Number(m[3]),
      tsNs: Math.trunc(Number(m[4]) * 1e9),
      event,
      args,
    });
  }
  return out;
}
