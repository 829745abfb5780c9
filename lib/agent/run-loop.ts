// Runs a tick on a fixed cadence (start + k * interval), skipping ticks that were missed rather
// than bunching them, until the signal aborts. A throwing (or rejecting) tick is reported and the
// loop goes on. A tick may return a promise (the agent's grace for a re-pin in progress): the
// next one is scheduled once it settles. One plain timer per tick and no promise when the tick
// returns none, as waking Node up is a fixed cost paid 10 times a second.
export function runLoop(
  intervalMs: number,
  signal: AbortSignal,
  tick: () => void | Promise<void>,
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
    const schedule = (): void => {
      if (signal.aborted) return; // onAbort has resolved (the tick may have aborted)
      k = Math.max(k + 1, Math.ceil((Date.now() - start) / intervalMs));
      timer = setTimeout(step, Math.max(0, start + k * intervalMs - Date.now()));
    };
    const step = (): void => {
      let pending: void | Promise<void> = undefined;
      try {
        pending = tick();
      } catch (err) {
        onError(err);
      }
      if (pending instanceof Promise) {
        pending.catch(onError).finally(schedule);
        return;
      }
      schedule();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    step();
  });
}
