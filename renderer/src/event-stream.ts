/**
 * The one EventSource on `/foreman/events`. The browser reconnects by itself after a dropped
 * connection (sending `Last-Event-ID`); a refused or failed response closes it for good, so then a new
 * one is opened, backing off.
 */
import type { ForemanEvent, ForemanEventType } from '../../shared/api.js';

// A record, so a new event type that is not listened for fails the type check.
const LISTENED: Record<ForemanEventType, true> = {
  job: true,
  tokens: true,
  model: true,
  delivery: true,
  queue: true,
  upstream: true,
  resident: true,
  memory: true,
  ollama: true,
  resync: true,
};
const EVENT_TYPES = Object.keys(LISTENED) as ForemanEventType[];
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

export interface StreamHandlers {
  onEvent: (id: string, event: ForemanEvent) => void;
  /** Connected (first time or again). */
  onOpen: () => void;
  /** Disconnected; reconnecting. */
  onDown: () => void;
}

export function openEventStream(url: string, handlers: StreamHandlers): () => void {
  let source: EventSource | null = null;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const handle = (msg: MessageEvent<string>) => {
    let event: ForemanEvent;
    try {
      event = JSON.parse(msg.data) as ForemanEvent;
    } catch {
      return; // not ours to show; the next snapshot corrects anything missed
    }
    handlers.onEvent(msg.lastEventId, event);
  };

  function connect(): void {
    const es = new EventSource(url);
    source = es;
    for (const type of EVENT_TYPES) es.addEventListener(type, handle);
    es.onmessage = handle;
    es.onopen = () => {
      retryMs = RETRY_MIN_MS;
      handlers.onOpen();
    };
    es.onerror = () => {
      handlers.onDown();
      if (es.readyState !== EventSource.CLOSED || closed) return;
      es.close();
      retryTimer = setTimeout(() => {
        retryTimer = null;
        if (!closed && source === es) connect();
      }, retryMs);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    };
  }

  connect();
  return () => {
    closed = true;
    if (retryTimer) clearTimeout(retryTimer);
    source?.close();
  };
}
