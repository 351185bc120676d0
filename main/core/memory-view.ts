/**
 * The memory strip as the window and `/foreman/queue` show it, and its live updates: at most one
 * event per `intervalMs` however many jobs start and end, the last state always sent.
 */
import type { MemorySnapshot } from '../../shared/api.js';
import type { Scheduler, SchedulerSnapshot } from '../scheduler/scheduler.js';
import type { EventHub } from './event-hub.js';

export function memoryView(snap: Pick<SchedulerSnapshot, 'memory' | 'runners'>): MemorySnapshot {
  return {
    budget_bytes: snap.memory.budget,
    budget_source: snap.memory.source,
    max_loaded: snap.memory.maxLoaded,
    runners: snap.runners.map((r) => ({ lane: r.key, model: r.model, bytes: r.bytes, in_flight: r.inFlight })),
  };
}

export function createMemoryFeed(options: { scheduler: Scheduler; hub: EventHub; intervalMs?: number }) {
  const { scheduler, hub } = options;
  const intervalMs = options.intervalMs ?? 200;
  let timer: NodeJS.Timeout | null = null;
  let last = '';
  function send(): void {
    timer = null;
    const memory = memoryView(scheduler.snapshot());
    const text = JSON.stringify(memory);
    if (text === last) return;
    last = text;
    hub.publish({ type: 'memory', memory });
  }
  return {
    /** Something that may change the strip happened. */
    changed(): void {
      if (timer || !hub.watched) return;
      timer = setTimeout(send, intervalMs);
      timer.unref();
    },
    stop(): void {
      if (timer) clearTimeout(timer);
    },
  };
}
