// Runs a tick on a fixed cadence (start + k * interval), skipping ticks that were missed rather
// than bunching them, until the signal aborts. A throwing tick is reported and the loop goes on.
// One plain timer per tick: no promise or abort listener is made per tick, as waking Node up
// is a fixed cost paid 10 times a second.
export function runLoop(
  intervalMs: number,
  signal: AbortSignal,
  tick: () => void,
  onError: (err: unknown) => void,
): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const start = Date.now();
    let k = 0;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const step = (): void => {
      try {
        tick();
      } catch (err) {
        onError(err);
      }
      if (signal.aborted) return; // onAbort has resolved (the tick may have aborted)
      k = Math.max(k + 1, Math.ceil((Date.now() - start) / intervalMs));
      timer = setTimeout(step, Math.max(0, start + k * intervalMs - Date.now()));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    step();
  });
}
