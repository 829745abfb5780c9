// "The task or process is gone": a normal event between two reads of /proc, not an error.

/** Errors that mean the task or process behind a /proc path or descriptor has exited. */
export function isGone(err: unknown): boolean {
  const code = err instanceof Error && 'code' in err ? err.code : undefined;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR';
}
