/** One shared ticking clock for ages, waits and rates: one timer per interval, however many readers. */
import { useSyncExternalStore } from 'react';

interface Ticker {
  now: number;
  subscribe: (l: () => void) => () => void;
  read: () => number;
}
const tickers = new Map<number, Ticker>();

function tickerFor(ms: number): Ticker {
  const existing = tickers.get(ms);
  if (existing) return existing;
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | null = null;
  // Stable functions: a new subscribe per render would restart the interval on every render.
  const t: Ticker = {
    now: Date.now(),
    subscribe(l) {
      listeners.add(l);
      if (!timer) {
        t.now = Date.now();
        timer = setInterval(() => {
          t.now = Date.now();
          for (const fn of listeners) fn();
        }, ms);
      }
      return () => {
        listeners.delete(l);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
    read: () => t.now,
  };
  tickers.set(ms, t);
  return t;
}

/** `Date.now()`, re-rendering the caller every `intervalMs` while it is mounted. */
export function useNow(intervalMs = 1000): number {
  const t = tickerFor(intervalMs);
  return useSyncExternalStore(t.subscribe, t.read);
}
