'use client';
// An EventSource that always comes back. The browser retries by itself after a network error, but
// gives up for good when an answer is not an event stream (a server restarting behind a proxy, a
// 5xx); then this opens a new one with back-off. The status drives the connection indicator.
import { useEffect, useRef, useState } from 'react';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export type StreamHandlers = Readonly<Record<string, (data: string, lastEventId: string) => void>>;

const MAX_BACKOFF_MS = 30_000;

export function useEventStream(url: string | null, handlers: StreamHandlers): StreamStatus {
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  useEffect(() => {
    if (url === null) return;
    let es: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let backoff = 1000;
    let stopped = false;

    const open = () => {
      es = new EventSource(url);
      es.onopen = () => {
        backoff = 1000;
        setStatus('live');
      };
      es.onerror = () => {
        if (stopped || es === null) return;
        if (es.readyState === EventSource.CLOSED) {
          es.close();
          setStatus('reconnecting');
          timer = setTimeout(open, backoff);
          backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        } else {
          setStatus('reconnecting'); // the browser is retrying
        }
      };
      for (const name of Object.keys(handlersRef.current)) {
        es.addEventListener(name, (e: MessageEvent<string>) => handlersRef.current[name]?.(e.data, e.lastEventId));
      }
    };
    setStatus('connecting');
    open();
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      es?.close();
    };
  }, [url]);

  return url === null ? 'connecting' : status;
}
