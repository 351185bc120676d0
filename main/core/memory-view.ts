/**
 * The memory strip as the window and `/foreman/queue` show it, and its live updates: at most one
 * event per `intervalMs` however many jobs start and end, the last state always sent.
 */
import type { HostRow, MemorySnapshot } from '../../shared/api.js';
import type { Scheduler, SchedulerSnapshot } from '../scheduler/scheduler.js';
import type { Health } from '../hosts/host-health.js';
import type { EventHub } from './event-hub.js';

/** What the window needs of a host besides the scheduler's view: its address and health. */
export interface HostStatus {
  id: string;
  url: string;
  health: Health;
}

export function memoryView(snap: Pick<SchedulerSnapshot, 'memory' | 'runners'>): MemorySnapshot {
  return {
    budget_bytes: snap.memory.budget,
    budget_source: snap.memory.source,
    max_loaded: snap.memory.maxLoaded,
    runners: snap.runners.map((r) => ({ lane: r.key, model: r.model, bytes: r.bytes, in_flight: r.inFlight })),
  };
}

/** Every host as a row of the queue view: health from its monitor, runners and budget from the scheduler. */
export function hostRows(snap: SchedulerSnapshot, statuses: readonly HostStatus[]): HostRow[] {
  return statuses.map((status) => {
    const h = snap.hosts.find((x) => x.id === status.id) ?? snap.hosts[0]!;
    return {
      id: status.id,
      url: status.url,
      state: status.health.state,
      reason: status.health.state === 'up' ? null : status.health.reason,
      since: status.health.since,
      running: h.runners.reduce((n, r) => n + r.inFlight, 0),
      memory: memoryView(h),
    };
  });
}

export function createMemoryFeed(options: {
  scheduler: Scheduler;
  hub: EventHub;
  hosts: () => readonly HostStatus[];
  intervalMs?: number;
}) {
  const { scheduler, hub } = options;
  const intervalMs = options.intervalMs ?? 200;
  let timer: NodeJS.Timeout | null = null;
  let last = '';
  function send(): void {
    timer = null;
    const snap = scheduler.snapshot();
    const memory = memoryView(snap);
    const hosts = hostRows(snap, options.hosts());
    const text = JSON.stringify(hosts);
    if (text === last) return;
    last = text;
    hub.publish({ type: 'memory', memory, hosts });
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
