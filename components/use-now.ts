'use client';
// Wall-clock time that ticks, for ages ("4 s ago") and staleness. Starts from the server's time so
// the first client render matches the server-rendered HTML.
import { startTransition, useEffect, useState } from 'react';

export function useNow(initial: number, everyMs = 1000): number {
  const [now, setNow] = useState(initial);
  useEffect(() => {
    // A transition: the clock never holds up input or a live frame, and a big view's re-render
    // is split into short tasks.
    const t = setInterval(() => startTransition(() => setNow(Date.now())), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
