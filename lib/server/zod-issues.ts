// zod issues as one line a person can act on (`ps: paste the output of ...`), for the analyze
// body, which is still read with zod. Frames are not: lib/wire/validate.ts.
import type { z } from 'zod';

/** `prefix` is the path of what was parsed. */
export function describeIssues(err: z.ZodError, max = 5, prefix = ''): string {
  const lines = err.issues.slice(0, max).map((i) => `${[prefix, ...i.path.map(String)].filter((p) => p !== '').join('.') || '(body)'}: ${i.message}`);
  const more = err.issues.length > max ? ` (+${err.issues.length - max} more)` : '';
  return lines.join('; ') + more;
}
