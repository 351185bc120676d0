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
  /** See `DecideInput.sendAhead`. @default false */
  sendAhead?: boolean;
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
  /**
   * The Ollama hosts, each with its own budget (`gpuMemory`/`maxLoaded` above are the defaults).
   * @default one host, `local`
   */
  hosts?: readonly HostOptions[];
  /** A lane loaded on one host loads on another only with this many jobs waiting. @default 4 */
  spreadMin?: number;
  clock?: Clock;
  onDispatch?: (event: DispatchEvent) => void;
  /** A job that made a host load its runner has ended: time to ask its `/api/ps` what it holds now. */
  onLoadReleased?: (host: string) => void;
}

export interface HostOptions {
  id: string;
  gpuMemory?: number | null;
  maxLoaded?: number;
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
  host: string;
  cls: JobClass;
  /** True when Ollama must load the runner for this start. */
  switched: boolean;
  /** Runners foreman expects Ollama to unload for it. */
  evicts: string[];
  waitedMs: number;
}

export interface Slot {
  readonly lane: string;
  /** The host the job runs on. */
  readonly host: string;
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

export interface HostSnapshot {
  id: string;
  up: boolean;
  runners: { key: string; model: string; bytes: number | null; inFlight: number }[];
  memory: { budget: number | null; source: 'configured' | 'learned' | 'unknown'; lower: number; upper: number | null; maxLoaded: number };
}

export interface SchedulerSnapshot extends Omit<HostSnapshot, 'id' | 'up'> {
  current: string | null;
  running: number;
  paused: boolean;
  lanes: { name: string; model: string; waiting: Waiting[] }[];
  /** Every host; `runners` and `memory` above are the first host's. */
  hosts: HostSnapshot[];
}

interface HostState {
  id: string;
  up: boolean;
  runners: Map<string, Runner>;
  knowledge: GpuKnowledge;
  /** Counts loads started: an `/api/ps` asked for before the latest load cannot speak for it. */
  loadEpoch: number;
}

export type Scheduler = ReturnType<typeof createScheduler>;

export function createScheduler(options: SchedulerOptions = {}) {
  const concurrency = options.concurrency ?? 1;
  const maxWaitMs = options.maxWaitMs ?? 30_000;
  const maxQueue = options.maxQueue ?? 512;
  const clock = options.clock ?? systemClock;
  const hosts = new Map<string, HostState>();
  for (const h of options.hosts ?? [{ id: 'local' }]) {
    const knowledge = createGpuKnowledge({ budget: h.gpuMemory ?? options.gpuMemory ?? null, maxLoaded: h.maxLoaded ?? options.maxLoaded });
    hosts.set(h.id, { id: h.id, up: true, runners: new Map(), knowledge, loadEpoch: 0 });
  }
  const firstHost = hosts.values().next().value as HostState;
  const hostOf = (id: string | undefined): HostState => (id === undefined ? firstHost : (hosts.get(id) ?? firstHost));

  const lanes = new Map<string, Lane>();
  const pending = new Map<string, Pending>();
  const lastServed = new Map<string, number>();
  let current: string | null = null;
  let running = 0;
  let paused = false;
  let seq = 0;
  let interactiveWaiting = 0;
  let idleWaiters: (() => void)[] = [];

  function dropIfEmpty(name: string): void {
    if (lanes.get(name)?.size === 0) lanes.delete(name);
  }

  function startLoad(host: HostState, key: string, evicts: readonly string[]): Runner {
    const { runners, knowledge } = host;
    host.loadEpoch++;
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

  function release(host: HostState, runner: Runner): void {
    running--;
    runner.inFlight--;
    const now = clock.now();
    runner.lastUsedAt = now;
    runner.loaded = true;
    lastServed.set(runner.key, now);
    // keep_alive 0: Ollama unloads the runner as soon as it is idle.
    if (runner.inFlight === 0 && runner.keepAliveMs <= 0 && host.runners.get(runner.key) === runner) host.runners.delete(runner.key);
    if (running === 0 && idleWaiters.length) {
      for (const wake of idleWaiters) wake();
      idleWaiters = [];
    }
    pump();
  }

  function pump(): void {
    // Nothing waits (the usual case once a job was started, and after every release): nothing to decide.
    while (!paused && pending.size > 0) {
      const now = clock.now();
      const up = [...hosts.values()].filter((h) => h.up);
      const d = decide({
        now,
        lanes,
        hosts: up,
        concurrency,
        holdMs: options.holdMs ?? 0,
        sendAhead: options.sendAhead,
        maxWaitMs,
        lastServed,
        spreadMin: options.spreadMin,
      });
      if (d === null) return;
      const lane = lanes.get(d.lane) as Lane;
      // A lane that had gone unserved for the bound begins a new turn now.
      const newTurn = now - Math.max(lane.oldest(), lastServed.get(d.lane) ?? -Infinity) >= maxWaitMs;
      const job = lane.shift() as Waiting;
      const entry = pending.get(job.id) as Pending;
      pending.delete(job.id);
      if (job.cls === 0) interactiveWaiting--;
      const host = hosts.get(d.host) as HostState;
      const runner = d.load ? startLoad(host, d.lane, d.evicts) : (host.runners.get(d.lane) as Runner);
      if (d.load || newTurn || runner.turnStartedAt === undefined) runner.turnStartedAt = now;
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
        host: d.host,
        switched: d.load,
        holdRunner,
        unloadFirst: d.unload,
        keepAlive(ms) {
          runner.keepAliveMs = ms;
        },
        release() {
          if (released) return;
          released = true;
          release(host, runner);
          if (d.load) options.onLoadReleased?.(d.host);
        },
      };
      options.onDispatch?.({
        id: job.id,
        lane: d.lane,
        host: d.host,
        cls: job.cls,
        switched: d.load,
        evicts: d.evicts,
        waitedMs: now - job.enqueuedAt,
      });
      entry.resolve(slot);
    }
  }

  /** The runner key Ollama's entry for `model` stands for: the variant foreman last ran, else the bare model. */
  function keyForModel(runners: ReadonlyMap<string, Runner>, model: string): string {
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

    /** Loads started on a host so far; pass the value read before asking its `/api/ps` to `observePs`. */
    loadEpoch(hostId?: string): number {
      return hostOf(hostId).loadEpoch;
    },

    /**
     * An `/api/ps` answer of a host (normalised model names and their `size`). Ignored if a load started
     * there after it was asked for (it cannot show that load yet); returns whether it was taken.
     */
    observePs(entries: readonly PsEntry[], askedAtEpoch: number, hostId?: string): boolean {
      const host = hostOf(hostId);
      const { runners, knowledge } = host;
      if (askedAtEpoch !== host.loadEpoch) return false;
      const seen = new Map<string, PsEntry>();
      for (const e of entries) seen.set(keyForModel(runners, e.model), e);
      for (const r of runners.values()) {
        const e = seen.get(r.key);
        if (e && r.loadedBeside) {
          const gone = r.loadedBeside.keys.filter((k) => !seen.has(k));
          if (gone.length > 0 && !Number.isNaN(r.loadedBeside.bytes))
            learnEviction(knowledge, r.loadedBeside.bytes, e.bytes, r.loadedBeside.keys.length);
          r.loadedBeside = null;
        }
        // Gone from Ollama (expired, evicted, unloaded by someone else), unless foreman is using it.
        if (!e && r.inFlight === 0) runners.delete(r.key);
      }
      const now = clock.now();
      for (const [key, e] of seen) {
        if (!runners.has(key)) {
          runners.set(key, {
            key,
            model: e.model,
            inFlight: 0,
            keepAliveMs: DEFAULT_KEEP_ALIVE_MS,
            lastUsedAt: now,
            loadedBeside: null,
            loaded: true,
          });
        }
      }
      learnResident(
        knowledge,
        [...seen].map(([key, e]) => ({ key, bytes: e.bytes })),
      );
      pump();
      return true;
    },

    /**
     * A host went down (no new work goes there; what it held is forgotten) or came back up. Jobs in
     * flight there are the caller's to end or retry.
     */
    setHostUp(hostId: string, isUp: boolean): void {
      const host = hosts.get(hostId);
      if (!host || host.up === isUp) return;
      host.up = isUp;
      if (!isUp) for (const r of [...host.runners.values()]) if (r.inFlight === 0) host.runners.delete(r.key);
      pump();
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
      const hostSnaps = [...hosts.values()].map((h): HostSnapshot => {
        const budget = shownBudget(h.knowledge);
        return {
          id: h.id,
          up: h.up,
          runners: [...h.runners.values()].map((r) => ({
            key: r.key,
            model: r.model,
            bytes: h.knowledge.footprints.get(r.key) ?? null,
            inFlight: r.inFlight,
          })),
          memory: {
            budget: budget.bytes,
            source: budget.source,
            lower: h.knowledge.lower,
            upper: Number.isFinite(h.knowledge.upper) ? h.knowledge.upper : null,
            maxLoaded: h.knowledge.maxLoaded,
          },
        };
      });
      const first = hostSnaps[0] as HostSnapshot;
      return {
        current,
        running,
        paused,
        lanes: [...lanes.values()].map((l) => ({ name: l.name, model: l.model, waiting: [...l.jobs()] })),
        runners: first.runners,
        memory: first.memory,
        hosts: hostSnaps,
      };
    },
  };
}
