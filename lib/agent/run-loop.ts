// Runs a tick on a fixed cadence (start + k * interval), skipping ticks that were missed rather
// than bunching them, until the signal aborts. A throwing tick is reported and the loop goes on.
export async function runLoop(
  intervalMs: number,
  signal: AbortSignal,
  tick: () => void,
  onError: (err: unknown) => void,
): Promise<void> {
  const start = Date.now();
  let k = 0;
  while (!signal.aborted) {
    try {
      tick();
    } catch (err) {
      onError(err);
    }
    k = Math.max(k + 1, Math.ceil((Date.now() - start) / intervalMs));
    const wait = start + k * intervalMs - Date.now();
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, wait));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
