'use client';
// An EventSource that always comes back. The browser retries by itself after a network error, but
// gives up for good when an answer is not an event stream (a server restarting behind a proxy, a
// 5xx); then this opens a new one with back-off. The status drives the connection indicator.
import { useEffect, useRef, useState } from 'react';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export type StreamHandlers = Readonly<Record<string, (data: string, lastEventId: string) => void>>;

const MAX_BACKOFF_MS = 30_000;

export interface StreamOptions {
  /** Longest wait between two attempts to open the stream (default 30 s). */
  readonly maxBackoffMs?: number;
  /**
   * Reopen the stream when no event came for this long (default: never). A connection that died
   * without a close (a network blip, a sleeping laptop) never errors; heartbeats are comments,
   * which an EventSource does not surface, so only events count.
   */
  readonly watchdogMs?: number;
}

export function useEventStream(url: string | null, handlers: StreamHandlers, options: StreamOptions = {}): StreamStatus {
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  const maxBackoff = options.maxBackoffMs ?? MAX_BACKOFF_MS;
  const watchdogMs = options.watchdogMs ?? null;

  useEffect(() => {
    if (url === null) return;
    let es: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let backoff = 1000;
    let stopped = false;
    let lastEvent = Date.now();
    const watchdog =
      watchdogMs === null
        ? null
        : setInterval(() => {
            if (stopped || es === null || es.readyState !== EventSource.OPEN || Date.now() - lastEvent < watchdogMs) return;
            es.close();
            setStatus('reconnecting');
            open();
          }, Math.max(1000, watchdogMs / 4));

    const open = () => {
      lastEvent = Date.now();
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
          backoff = Math.min(maxBackoff, backoff * 2);
        } else {
          setStatus('reconnecting'); // the browser is retrying
        }
      };
      for (const name of Object.keys(handlersRef.current)) {
        es.addEventListener(name, (e: MessageEvent<string>) => {
          lastEvent = Date.now();
          handlersRef.current[name]?.(e.data, e.lastEventId);
        });
      }
    };
    setStatus('connecting');
    open();
    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      if (watchdog !== null) clearInterval(watchdog);
      es?.close();
    };
  }, [url, maxBackoff, watchdogMs]);

  return url === null ? 'connecting' : status;
}
