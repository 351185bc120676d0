/**
 * The window's live state: the queue snapshot, kept current by the one event stream. The decisions
 * are `step` (live-sync.ts); this store feeds it the stream, timers and fetch answers and carries out
 * what it asks. Components read the state through `useSyncExternalStore`.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { ForemanEvent, QueueSnapshot } from '../../shared/api.js';
import { getQueue, errorText } from './api.js';
import { openEventStream, type StreamHandlers } from './event-stream.js';
import { initialSync, step, type LiveState, type SyncCommand, type SyncInput, type TimerName } from './live-sync.js';
import { appendTokens, noteJobTokens, notifyTokens } from './token-buffers.js';

export type { Connection, LiveState } from './live-sync.js';

export interface LiveStoreDeps {
  fetchQueue: () => Promise<QueueSnapshot>;
  /** Opens the event stream; returns a function that closes it. */
  openStream: (handlers: StreamHandlers) => () => void;
  /** Where token deltas and job rows go (live text and speed). */
  tokens: { append: typeof appendTokens; noteJob: typeof noteJobTokens; notify: () => void };
  /** @default Date.now */
  now?: () => number;
}

export function createLiveStore(deps: LiveStoreDeps) {
  const now = deps.now ?? Date.now;
  let sync = initialSync();
  const stateListeners = new Set<() => void>();
  const eventListeners = new Set<(e: ForemanEvent) => void>();
  const timers = new Map<TimerName, ReturnType<typeof setTimeout>>();
  let close: (() => void) | null = null;

  function dispatch(input: SyncInput): void {
    const before = sync.view;
    const [next, commands] = step(sync, input);
    sync = next;
    if (sync.view !== before) for (const l of stateListeners) l();
    for (const c of commands) run(c);
  }

  function run(c: SyncCommand): void {
    switch (c.type) {
      case 'fetch': {
        const t0 = performance.now();
        deps.fetchQueue().then(
          (snapshot) => dispatch({ type: 'fetched', snapshot, now: now(), tookMs: performance.now() - t0 }),
          (err: unknown) => dispatch({ type: 'fetch-failed', error: errorText(err) }),
        );
        break;
      }
      case 'timer': {
        const old = timers.get(c.name);
        if (old !== undefined) clearTimeout(old);
        timers.delete(c.name);
        if (c.ms !== null) {
          const name = c.name;
          timers.set(
            name,
            setTimeout(() => {
              timers.delete(name);
              dispatch({ type: name, now: now() });
            }, c.ms),
          );
        }
        break;
      }
      case 'tokens':
        for (const e of c.events) {
          if (e.type === 'tokens') deps.tokens.append(e.id, e.content, e.thinking, e.count);
          else if (e.type === 'job') deps.tokens.noteJob(e.job);
        }
        deps.tokens.notify();
        break;
      case 'emit':
        for (const e of c.events) for (const l of eventListeners) l(e);
        break;
    }
  }

  return {
    /** Open the event stream; the first snapshot is fetched once it is open. Idempotent. */
    start(): void {
      close ??= deps.openStream({
        onEvent: (id, event) => dispatch({ type: 'event', id, event }),
        onOpen: () => dispatch({ type: 'open' }),
        onDown: () => dispatch({ type: 'down' }),
      });
    },
    stop(): void {
      close?.();
      close = null;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
    getState: (): LiveState => sync.view,
    subscribe(l: () => void): () => void {
      stateListeners.add(l);
      return () => stateListeners.delete(l);
    },
    /** Every event, after the store applied it, one batch at a time. */
    onEvent(l: (e: ForemanEvent) => void): () => void {
      eventListeners.add(l);
      return () => eventListeners.delete(l);
    },
    patch(change: (s: QueueSnapshot) => QueueSnapshot): void {
      dispatch({ type: 'patch', change });
    },
    /** The server's clock, as far as the last snapshot told (ages are measured against server times). */
    serverNow: (): number => now() + sync.skew,
  };
}

export type LiveStore = ReturnType<typeof createLiveStore>;

const live = createLiveStore({
  fetchQueue: () => getQueue(),
  openStream: (handlers) => openEventStream('/foreman/events', handlers),
  tokens: { append: appendTokens, noteJob: noteJobTokens, notify: notifyTokens },
});

export const startLive = live.start;
export const serverNow = live.serverNow;
/** After pause/resume or cancel: apply the answer now rather than wait for its event. */
export const patchSnapshot = live.patch;

export function useLive(): LiveState {
  return useSyncExternalStore(live.subscribe, live.getState);
}

/**
 * Call `handler` for every event, after the store applied it. Events come in batches, one task per
 * batch, so the state updates a handler makes are rendered once per batch. The latest handler is used.
 */
export function useForemanEvent(handler: (e: ForemanEvent) => void): void {
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => live.onEvent((e) => ref.current(e)), []);
}
