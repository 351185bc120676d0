/**
 * Owns time, lanes and slots: admits jobs into lanes (one per runner), asks `decide` which lane starts
 * next whenever something changes, and hands each started job a slot that must be released when its
 * Ollama request ends. What Ollama holds comes in as events (`observePs`); the queue never waits on one.
 */
import { Lane, type JobClass, type Waiting } from './lanes.js';
import { decide, type RunnerView } from './placement.js';
import { createGpuKnowledge, learnEviction, learnResident, shownBudget, type GpuKnowledge } from './gpu-knowledge.js';
import { modelOfLane } from './runner-key.js';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Ollama's default keep_alive (`OLLAMA_KEEP_ALIVE`): how long a runner stays after its last request. */
export const DEFAULT_KEEP_ALIVE_MS = 5 * 60_000;

export interface SchedulerOptions {
  /** Requests in flight per runner (Ollama's `OLLAMA_NUM_PARALLEL`). @default 1 */
  concurrency?: number;
  /** See `DecideInput.holdMs`: foreman passes the keep_alive it raises to (`HOLD_MS`). @default 0 */
  holdMs?: number;
  /** Starvation bound: a lane not served for this long goes next, at the next job boundary. @default 30000 */
  maxWaitMs?: number;
  /**
   * Waiting interactive (passthrough) jobs beyond this are refused (Ollama's 503). Background /jobs
   * are durable and already accepted, so they never count against it. @default 512
   */
  maxQueue?: number;
  /** The GPU memory Ollama may fill, in bytes; null learns bounds from `/api/ps`. @default null */
  gpuMemory?: number | null;
  /** Runners resident at once (Ollama's `OLLAMA_MAX_LOADED_MODELS`). @default 3 */
  maxLoaded?: number;
  clock?: Clock;
  onDispatch?: (event: DispatchEvent) => void;
  /** A job that made Ollama load its runner has ended: time to ask `/api/ps` what Ollama holds now. */
  onLoadReleased?: () => void;
}

export interface Admission {
  id: string;
  /** The runner key (`runnerOf(...).key`). */
  lane: string;
  cls: JobClass;
  priority?: number;
}

export interface DispatchEvent {
  id: string;
  lane: string;
  cls: JobClass;
  /** True when Ollama must load the runner for this start. */
  switched: boolean;
  /** Runners foreman expects Ollama to unload for it. */
  evicts: string[];
  waitedMs: number;
}

export interface Slot {
  readonly lane: string;
  /** Ollama must load the runner for this job. */
  readonly switched: boolean;
  /** More jobs of this lane were waiting when it started: a keep_alive that unloads must be raised. */
  readonly holdRunner: boolean;
  /** Models to unload before this job's request, so Ollama makes room by dropping those and no other. */
  readonly unloadFirst: readonly string[];
  /** The keep_alive this request sets on its runner (ms, Infinity = forever); Ollama's eviction order. */
  keepAlive(ms: number): void;
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

/** One runner as `/api/ps` shows it. */
export interface PsEntry {
  model: string;
  bytes: number;
}

interface Pending {
  job: Waiting;
  resolve: (slot: Slot | null) => void;
}

interface Runner extends RunnerView {
  /** Set by a load until an `/api/ps` answer shows the runner: what was resident when it started. */
  loadedBeside: { keys: string[]; bytes: number } | null;
}

export interface SchedulerSnapshot {
  current: string | null;
  running: number;
  paused: boolean;
  lanes: { name: string; model: string; waiting: Waiting[] }[];
  runners: { key: string; model: string; bytes: number | null; inFlight: number }[];
  memory: { budget: number | null; source: 'configured' | 'learned' | 'unknown'; lower: number; upper: number | null; maxLoaded: number };
}

export type Scheduler = ReturnType<typeof createScheduler>;

export function createScheduler(options: SchedulerOptions = {}) {
  const concurrency = options.concurrency ?? 1;
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const maxQueue = options.maxQueue ?? 512;
  const clock = options.clock ?? systemClock;
  const knowledge: GpuKnowledge = createGpuKnowledge({ budget: options.gpuMemory ?? null, maxLoaded: options.maxLoaded });

  const lanes = new Map<string, Lane>();
  const pending = new Map<string, Pending>();
  const runners = new Map<string, Runner>();
  const lastServed = new Map<string, number>();
  let current: string | null = null;
  let running = 0;
  let paused = false;
  let seq = 0;
  let interactiveWaiting = 0;
  /** Counts loads started: an `/api/ps` asked for before the latest load cannot speak for it. */
  let loadEpoch = 0;
  let idleWaiters: (() => void)[] = [];

  function dropIfEmpty(name: string): void {
    if (lanes.get(name)?.size === 0) lanes.delete(name);
  }

  function startLoad(key: string, evicts: readonly string[]): Runner {
    loadEpoch++;
    const model = modelOfLane(key);
    // What stood beside it, to learn from whether Ollama keeps it (another variant of the model never stays).
    const beside = [...evicts, ...runners.keys()].filter((k) => modelOfLane(k) !== model && k !== key);
    for (const victim of evicts) runners.delete(victim);
    const runner: Runner = {
      key,
      model,
      inFlight: 0,
      keepAliveMs: DEFAULT_KEEP_ALIVE_MS,
      lastUsedAt: clock.now(),
      loadedBeside: { keys: beside, bytes: beside.reduce((sum, k) => sum + (knowledge.footprints.get(k) ?? NaN), 0) },
    };
    runners.set(key, runner);
    return runner;
  }

  function release(runner: Runner): void {
    running--;
    runner.inFlight--;
    const now = clock.now();
    runner.lastUsedAt = now;
    lastServed.set(runner.key, now);
    // keep_alive 0: Ollama unloads the runner as soon as it is idle.
    if (runner.inFlight === 0 && runner.keepAliveMs <= 0 && runners.get(runner.key) === runner) runners.delete(runner.key);
    if (running === 0 && idleWaiters.length) {
      for (const wake of idleWaiters) wake();
      idleWaiters = [];
    }
    pump();
  }

  function pump(): void {
    while (!paused) {
      const now = clock.now();
      const d = decide({ now, lanes, runners, knowledge, concurrency, holdMs: options.holdMs ?? 0, maxWaitMs, lastServed });
      if (d === null) return;
      const lane = lanes.get(d.lane) as Lane;
      const job = lane.shift() as Waiting;
      const entry = pending.get(job.id) as Pending;
      pending.delete(job.id);
      if (job.cls === 0) interactiveWaiting--;
      const runner = d.load ? startLoad(d.lane, d.evicts) : (runners.get(d.lane) as Runner);
      runner.inFlight++;
      runner.lastUsedAt = now;
      running++;
      lastServed.set(d.lane, now);
      current = d.lane;
      const holdRunner = lane.size > 0;
      dropIfEmpty(d.lane);
      let released = false;
      const slot: Slot = {
        lane: d.lane,
        switched: d.load,
        holdRunner,
        unloadFirst: d.unload,
        keepAlive(ms) {
          runner.keepAliveMs = ms;
        },
        release() {
          if (released) return;
          released = true;
          release(runner);
          if (d.load) options.onLoadReleased?.();
        },
      };
      options.onDispatch?.({ id: job.id, lane: d.lane, cls: job.cls, switched: d.load, evicts: d.evicts, waitedMs: now - job.enqueuedAt });
      entry.resolve(slot);
    }
  }

  /** The runner key Ollama's entry for `model` stands for: the variant foreman last ran, else the bare model. */
  function keyForModel(model: string): string {
    for (const r of runners.values()) if (r.model === model) return r.key;
    return model;
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

    /** Loads started so far; pass the value read before asking `/api/ps` to `observePs`. */
    get loadEpoch(): number {
      return loadEpoch;
    },

    /**
     * An `/api/ps` answer (normalised model names and their `size`). Ignored if a load started after it
     * was asked for (it cannot show that load yet); returns whether it was taken.
     */
    observePs(entries: readonly PsEntry[], askedAtEpoch: number): boolean {
      if (askedAtEpoch !== loadEpoch) return false;
      const seen = new Map<string, PsEntry>();
      for (const e of entries) seen.set(keyForModel(e.model), e);
      for (const r of runners.values()) {
        const e = seen.get(r.key);
        if (e && r.loadedBeside) {
          const gone = r.loadedBeside.keys.filter((k) => !seen.has(k));
          if (gone.length > 0 && !Number.isNaN(r.loadedBeside.bytes)) learnEviction(knowledge, r.loadedBeside.bytes, e.bytes, r.loadedBeside.keys.length);
          r.loadedBeside = null;
        }
        // Gone from Ollama (expired, evicted, unloaded by someone else), unless foreman is using it.
        if (!e && r.inFlight === 0) runners.delete(r.key);
      }
      const now = clock.now();
      for (const [key, e] of seen) {
        if (!runners.has(key)) {
          runners.set(key, { key, model: e.model, inFlight: 0, keepAliveMs: DEFAULT_KEEP_ALIVE_MS, lastUsedAt: now, loadedBeside: null });
        }
      }
      learnResident(knowledge, [...seen].map(([key, e]) => ({ key, bytes: e.bytes })));
      pump();
      return true;
    },

    /** Model file sizes from `/api/tags`: the estimate for runners never seen loaded. */
    observeFileSizes(sizes: ReadonlyMap<string, number>): void {
      for (const [model, bytes] of sizes) knowledge.fileSizes.set(model, bytes);
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

    /** The starvation bound is checked at job boundaries and on every event; a timer can ask too. */
    poke(): void {
      pump();
    },

    snapshot(): SchedulerSnapshot {
      const budget = shownBudget(knowledge);
      return {
        current,
        running,
        paused,
        lanes: [...lanes.values()].map((l) => ({ name: l.name, model: l.model, waiting: [...l.jobs()] })),
        runners: [...runners.values()].map((r) => ({ key: r.key, model: r.model, bytes: knowledge.footprints.get(r.key) ?? null, inFlight: r.inFlight })),
        memory: {
          budget: budget.bytes,
          source: budget.source,
          lower: knowledge.lower,
          upper: Number.isFinite(knowledge.upper) ? knowledge.upper : null,
          maxLoaded: knowledge.maxLoaded,
        },
      };
    },
  };
}
