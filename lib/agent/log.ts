// Agent log lines on stderr: one line per event, repeated identical events suppressed.
export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string, key?: string) => void;

/** A logger that prints a keyed message again only when its text changes. */
export function createLogger(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const lastByKey = new Map<string, string>();
  return (level, message, key) => {
    if (key !== undefined) {
      if (lastByKey.get(key) === message) return;
      lastByKey.set(key, message);
    }
    write(`${new Date().toISOString()} vcpumap-agent ${level}: ${message}`);
  };
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
