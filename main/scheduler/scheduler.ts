/**
 * Owns time, lanes and concurrency: admits jobs into lanes, starts them in drain-by-model order,
 * and hands each a slot that must be released when its Ollama request ends.
 */
import { Lane, pickLane, switchCandidates, type JobClass, type Waiting } from './lanes.js';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface SchedulerOptions {
  /** Requests in flight to Ollama at once, all for one model. @default 1 */
  concurrency?: number;
  /** Starvation bound: a job waiting this long gets its lane served at the next job boundary. @default 30000 */
  maxWaitMs?: number;
  /**
   * Waiting interactive (passthrough) jobs beyond this are refused (Ollama's 503). Background /jobs
   * are durable and already accepted, so they never count against it. @default 512
   */
  maxQueue?: number;
  clock?: Clock;
  /** Normalised names of the models Ollama holds; asked before a switch that has a real choice. */
  residentModels?: () => Promise<readonly string[]>;
  /** How long an `/api/ps` answer is trusted. @default 1000 */
  residentTtlMs?: number;
  onDispatch?: (event: DispatchEvent) => void;
}

export interface Admission {
  id: string;
  lane: string;
  cls: JobClass;
  priority?: number;
}

export interface DispatchEvent {
  id: string;
  lane: string;
  cls: JobClass;
  /** True when this start changes the model being served (a load, unless Ollama already holds it). */
  switched: boolean;
  waitedMs: number;
}

export interface Slot {
  readonly switched: boolean;
  release(): void;
}

export interface Ticket {
  /** Resolves when the job may run, or with null if it was canceled while waiting. */
  readonly slot: Promise<Slot | null>;
  /** Removes the job if it is still waiting; true if it was. */
  cancel(): boolean;
}

export class QueueFullError extends Error {
  constructor() {
    super('queue full');
  }
}

interface Pending {
  job: Waiting;
  resolve: (slot: Slot | null) => void;
}

export interface SchedulerSnapshot {
  current: string | null;
  running: number;
  paused: boolean;
  lanes: { name: string; waiting: Waiting[] }[];
}

export type Scheduler = ReturnType<typeof createScheduler>;

export function createScheduler(options: SchedulerOptions = {}) {
  const concurrency = options.concurrency ?? 1;
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const maxQueue = options.maxQueue ?? 512;
  const clock = options.clock ?? systemClock;
  const residentTtlMs = options.residentTtlMs ?? 1000;

  const lanes = new Map<string, Lane>();
  const pending = new Map<string, Pending>();
  let current: string | null = null;
  let running = 0;
  let paused = false;
  let seq = 0;
  let interactiveWaiting = 0;
  let resident: ReadonlySet<string> = new Set();
  let residentAt = -Infinity;
  let refreshing = false;
  let idleWaiters: (() => void)[] = [];

  function needsResidentRefresh(): boolean {
    if (!options.residentModels || refreshing || running > 0) return false;
    const cur = current === null ? undefined : lanes.get(current);
    if (cur && cur.size > 0) return false;
    return switchCandidates(lanes) > 1 && clock.now() - residentAt >= residentTtlMs;
  }

  function refreshResident(): void {
    refreshing = true;
    options.residentModels!()
      .then((names) => { resident = new Set(names); })
      // Without /api/ps the choice falls back to the oldest waiter; never stall the queue on it.
      .catch(() => { resident = new Set(); })
      .finally(() => {
        residentAt = clock.now();
        refreshing = false;
        pump();
      });
  }

  /** Empty lanes go away, except the current one: it keeps its claim to be served next. */
  function dropIfEmpty(name: string): void {
    if (name !== current && lanes.get(name)?.size === 0) lanes.delete(name);
  }

  function pump(): void {
    while (!paused && !refreshing) {
      if (needsResidentRefresh()) return refreshResident();
      const name = pickLane({ now: clock.now(), lanes, current, running, concurrency, maxWaitMs, resident });
      if (name === null) return;
      const lane = lanes.get(name) as Lane;
      const job = lane.shift() as Waiting;
      const entry = pending.get(job.id) as Pending;
      pending.delete(job.id);
      if (job.cls === 0) interactiveWaiting--;
      const switched = name !== current;
      const previous = current;
      current = name;
      if (previous !== null) dropIfEmpty(previous);
      running++;
      let released = false;
      const slot: Slot = {
        switched,
        release() {
          if (released) return;
          released = true;
          running--;
          if (running === 0 && idleWaiters.length) {
            for (const wake of idleWaiters) wake();
            idleWaiters = [];
          }
          pump();
        },
      };
      options.onDispatch?.({ id: job.id, lane: name, cls: job.cls, switched, waitedMs: clock.now() - job.enqueuedAt });
      entry.resolve(slot);
    }
  }

  return {
    enqueue(admission: Admission): Ticket {
      if (admission.cls === 0 && interactiveWaiting >= maxQueue) throw new QueueFullError();
      const job: Waiting = {
        id: admission.id,
        lane: admission.lane,
        cls: admission.cls,
        priority: admission.priority ?? 0,
        enqueuedAt: clock.now(),
        seq: seq++,
      };
      let lane = lanes.get(job.lane);
      if (!lane) lanes.set(job.lane, (lane = new Lane(job.lane)));
      let resolve!: (slot: Slot | null) => void;
      const slot = new Promise<Slot | null>((r) => (resolve = r));
      pending.set(job.id, { job, resolve });
      if (job.cls === 0) interactiveWaiting++;
      lane.add(job);
      pump();
      return {
        slot,
        cancel() {
          const entry = pending.get(job.id);
          if (!entry) return false;
          pending.delete(job.id);
          if (job.cls === 0) interactiveWaiting--;
          lanes.get(job.lane)?.remove(job.id);
          dropIfEmpty(job.lane);
          entry.resolve(null);
          pump();
          return true;
        },
      };
    },

    /** Jobs waiting (not yet started). */
    get waiting(): number {
      return pending.size;
    },

    /** Passthrough requests waiting; the number `maxQueue` bounds. */
    get waitingInteractive(): number {
      return interactiveWaiting;
    },

    get running(): number {
      return running;
    },

    get maxQueue(): number {
      return maxQueue;
    },

    /** Resolves once nothing is in flight. */
    whenIdle(): Promise<void> {
      if (running === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },

    pause(): void {
      paused = true;
    },

    resume(): void {
      paused = false;
      pump();
    },

    snapshot(): SchedulerSnapshot {
      return {
        current,
        running,
        paused,
        lanes: [...lanes.values()].map((l) => ({ name: l.name, waiting: [...l.jobs()] })),
      };
    },
  };
}
