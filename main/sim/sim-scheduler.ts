/**
 * Ollama's scheduler in miniature (server/sched.go): a request for a resident runner with the same
 * runner options attaches to it at once; anything else waits in a bounded pending-load queue that one
 * loop drains in FIFO order, loading one runner at a time. A runner loads beside others only when it
 * fits in the GPU memory they leave and fewer than `maxLoaded` are resident; otherwise runners are
 * evicted one at a time in Ollama's order (`findRunnerToUnload`): the first idle one by keep-alive,
 * shortest first, then by model path; with none idle, the shortest keep-alive is marked to unload when
 * its requests finish while the load waits. A runner that does not fit even alone loads alone, partly
 * on the GPU. Each runner has a FIFO semaphore of `parallel` slots with no limit on waiters, so
 * `maxQueue` only bounds load waits.
 */
import { BUSY_MESSAGE } from '../ollama/wire.js';
import { contextOf, DEFAULT_RUNNER_OPTIONS, footprintOf, optionsNeedReload, slotsOf, type RunnerOptions } from './sim-memory.js';
import type { SimModel } from './sim-models.js';
import { nowNs, rejectOnAbort, sleep } from './sim-time.js';

export class SchedulerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The runner's load was abandoned because its requester went away; attached requests re-queue. */
class LoadAbandoned extends Error {}

/** Go's `time.Duration(math.MaxInt64)`: what a negative keep_alive turns into (about 292 years). */
const FOREVER_NS = 9_223_372_036_854_775_807n;

export interface SchedulerOptions {
  loadMs: number;
  maxLoaded: number;
  parallel: number;
  maxQueue: number;
  keepAliveMs: number;
  /** GPU memory in bytes; `Infinity` for no limit. */
  vramBytes: number;
  onLoad?: (model: string) => void;
  /** A loaded runner left memory; `evicted` when the scheduler pushed it out to make room or to reload it. */
  onUnload?: (model: string, evicted: boolean) => void;
}

export interface AcquireRequest {
  model: SimModel;
  /** The request's keep_alive in ms (`Infinity` = forever); omitted leaves the runner's value. */
  keepAliveMs?: number;
  /** The request's runner options (see `runnerOptions`); omitted means the defaults. */
  options?: RunnerOptions;
  failLoad?: boolean;
  signal: AbortSignal;
}

interface Runner {
  model: SimModel;
  options: RunnerOptions;
  /** Bytes in memory, and the part of them on the GPU. */
  size: number;
  sizeVram: number;
  keepAliveMs: number;
  loading: boolean;
  ready: Promise<void>;
  settle: (err?: Error) => void;
  refCount: number;
  active: number;
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void; signal: AbortSignal }>;
  expiresAtNs?: bigint;
  timer?: NodeJS.Timeout;
  evicting: boolean;
  /** Finished loading, so its unload counts as one. */
  resident: boolean;
  gone: boolean;
  unloaded: Promise<void>;
  markUnloaded: () => void;
}

export interface Lease {
  /** Waits for one of the runner's parallel slots; the returned function frees it. */
  slot(signal: AbortSignal): Promise<() => void>;
  /** Drops this request's reference; the keep-alive timer starts when none are left. */
  release(): void;
}

/**
 * Holds a lease for the whole of `body` and always gives it back; a request whose client left ends
 * 'aborted' whatever was thrown. `inSlot` runs work in one of the model's parallel slots.
 */
export async function withLease<R>(lease: Lease, signal: AbortSignal, body: () => Promise<R>): Promise<R | 'aborted'> {
  try {
    return await body();
  } catch (err) {
    if (signal.aborted) return 'aborted';
    throw err;
  } finally {
    lease.release();
  }
}

export async function inSlot<R>(lease: Lease, signal: AbortSignal, trace: { startedAt?: number }, work: () => Promise<R>): Promise<R> {
  const freeSlot = await lease.slot(signal);
  try {
    trace.startedAt = Date.now();
    return await work();
  } finally {
    freeSlot();
  }
}

export interface RunnerSnapshot {
  model: SimModel;
  contextLength: number;
  size: number;
  sizeVram: number;
  expiresAtNs: bigint;
  loading: boolean;
}

export interface SimScheduler {
  acquire(req: AcquireRequest): Promise<Lease>;
  /** `keep_alive: 0` with an empty prompt: unload now if idle, else as soon as it is. */
  expire(model: SimModel): void;
  /** Resident runners, longest remaining keep-alive first (the `/api/ps` order). */
  snapshot(): RunnerSnapshot[];
  /** Requests waiting for a load: queued, or being served (waiting for an eviction or the load itself). */
  pendingLoads(): number;
  close(): void;
}

export function createSimScheduler(options: SchedulerOptions): SimScheduler {
  const runners = new Map<string, Runner>();
  const pending: Array<{ req: AcquireRequest; resolve: (l: Lease) => void; reject: (e: unknown) => void }> = [];
  let draining = false;
  let serving = false;
  let closed = false;

  const key = (m: SimModel) => m.name.toLowerCase();
  const ttlNs = (ms: number) => (ms === Infinity ? FOREVER_NS : BigInt(Math.round(ms * 1e6)));
  const optionsOf = (req: AcquireRequest) => req.options ?? DEFAULT_RUNNER_OPTIONS;
  const needsReload = (r: Runner, req: AcquireRequest) => req.failLoad === true || optionsNeedReload(r.options, optionsOf(req));
  const slotsFor = (r: Runner) => slotsOf(r.model, options.parallel);

  function unload(r: Runner): void {
    if (r.gone) return;
    r.gone = true;
    if (r.timer) clearTimeout(r.timer);
    if (runners.get(key(r.model)) === r) runners.delete(key(r.model));
    if (r.resident) options.onUnload?.(r.model.name, r.evicting);
    r.markUnloaded();
    void drain();
  }

  function onIdle(r: Runner): void {
    if (r.gone) return;
    if (r.evicting || r.keepAliveMs <= 0) return unload(r);
    const now = nowNs();
    r.expiresAtNs = now + ttlNs(r.keepAliveMs);
    if (r.keepAliveMs !== Infinity) {
      r.timer = setTimeout(() => r.refCount === 0 && unload(r), Math.min(r.keepAliveMs, 2 ** 31 - 1));
      r.timer.unref();
    }
  }

  function lease(r: Runner): Lease {
    let released = false;
    return {
      slot(signal) {
        if (r.active < slotsFor(r)) {
          r.active++;
          return Promise.resolve(releaseSlot(r));
        }
        return new Promise((resolve, reject) => {
          const waiter = { resolve: () => resolve(releaseSlot(r)), reject, signal };
          r.waiters.push(waiter);
          signal.addEventListener(
            'abort',
            () => {
              const i = r.waiters.indexOf(waiter);
              if (i >= 0) r.waiters.splice(i, 1);
              reject(signal.reason);
            },
            { once: true },
          );
        });
      },
      release() {
        if (released) return;
        released = true;
        r.refCount--;
        if (r.refCount === 0 && !r.loading) onIdle(r);
      },
    };
  }

  function releaseSlot(r: Runner): () => void {
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      r.active--;
      const next = r.waiters.shift();
      if (next) {
        r.active++;
        next.resolve();
      }
    };
  }

  async function attach(r: Runner, req: AcquireRequest): Promise<Lease> {
    r.refCount++;
    if (r.timer) clearTimeout(r.timer);
    r.timer = undefined;
    if (req.keepAliveMs !== undefined) r.keepAliveMs = req.keepAliveMs;
    const l = lease(r);
    try {
      await Promise.race([r.ready, rejectOnAbort(req.signal)]);
      return l;
    } catch (err) {
      l.release();
      if (err instanceof LoadAbandoned) return acquire(req);
      throw err;
    }
  }

  function acquire(req: AcquireRequest): Promise<Lease> {
    if (closed) return Promise.reject(new SchedulerError(500, 'server shutting down'));
    const r = runners.get(key(req.model));
    if (r && !needsReload(r, req)) return attach(r, req);
    // A buffered channel of maxQueue: an idle drain loop takes the request directly, like a receiver
    // blocked on the channel, so even maxQueue 0 serves one load at a time.
    const handOff = !draining && pending.length === 0;
    if (!handOff && pending.length >= options.maxQueue) return Promise.reject(new SchedulerError(503, BUSY_MESSAGE));
    return new Promise((resolve, reject) => {
      const item = { req, resolve, reject };
      pending.push(item);
      req.signal.addEventListener(
        'abort',
        () => {
          const i = pending.indexOf(item);
          if (i >= 0) pending.splice(i, 1);
          reject(req.signal.reason);
        },
        { once: true },
      );
      void drain();
    });
  }

  /** The single `processPending` loop: requests are served strictly one at a time. */
  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      for (let item = pending.shift(); item; item = pending.shift()) {
        if (item.req.signal.aborted) continue;
        serving = true;
        try {
          const l = await serve(item.req);
          // Its client left while it was being served: the caller is gone, so drop the reference here.
          if (item.req.signal.aborted) l.release();
          else item.resolve(l);
        } catch (err) {
          item.reject(err);
        } finally {
          serving = false;
        }
      }
    } finally {
      draining = false;
    }
  }

  /** One pass of `processPending` for a request: attach, load, or evict one runner and look again. */
  async function serve(req: AcquireRequest): Promise<Lease> {
    for (;;) {
      if (req.signal.aborted) throw req.signal.reason;
      const current = runners.get(key(req.model));
      let victim: Runner;
      if (current) {
        // Ollama keeps one runner per model: other runner options replace it.
        if (!needsReload(current, req)) return attach(current, req);
        victim = current;
      } else if (runners.size >= Math.max(1, options.maxLoaded)) victim = findRunnerToUnload();
      // The first runner loads whatever its size (partly on the GPU); later ones only if they fit.
      else if (runners.size === 0 || gpuNeed(req) <= freeVram()) return load(req);
      else victim = findRunnerToUnload();
      await evict(victim, req.signal);
    }
  }

  const sizeOf = (req: AcquireRequest) => footprintOf(req.model, optionsOf(req).numCtx, options.parallel);
  /** num_gpu 0 runs on the CPU and takes no GPU memory. */
  const gpuNeed = (req: AcquireRequest) => (optionsOf(req).numGpu === 0 ? 0 : sizeOf(req));
  const freeVram = () => options.vramBytes - [...runners.values()].reduce((sum, r) => sum + r.sizeVram, 0);

  /** `findRunnerToUnload`: by keep-alive (forever last), then model path; the first idle one, else the first. */
  function findRunnerToUnload(): Runner {
    const order = [...runners.values()].sort((a, b) => a.keepAliveMs - b.keepAliveMs || (a.model.digest < b.model.digest ? -1 : 1));
    return order.find((r) => r.refCount === 0 && !r.loading) ?? (order[0] as Runner);
  }

  /** Marks the runner to unload as soon as its in-flight requests finish, and waits for that. */
  async function evict(r: Runner, signal: AbortSignal): Promise<void> {
    r.evicting = true;
    r.keepAliveMs = 0; // Ollama zeroes the victim's session duration
    if (r.timer) clearTimeout(r.timer);
    if (r.refCount === 0 && !r.loading) unload(r);
    await Promise.race([r.unloaded, rejectOnAbort(signal)]);
  }

  async function load(req: AcquireRequest): Promise<Lease> {
    let settle!: (err?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    ready.catch(() => {});
    let markUnloaded!: () => void;
    const unloaded = new Promise<void>((resolve) => (markUnloaded = resolve));
    const size = sizeOf(req);
    const r: Runner = {
      model: req.model,
      options: optionsOf(req),
      size,
      sizeVram: Math.min(gpuNeed(req), Math.max(0, freeVram())),
      keepAliveMs: req.keepAliveMs ?? options.keepAliveMs,
      loading: true,
      ready,
      settle,
      refCount: 0,
      active: 0,
      waiters: [],
      evicting: false,
      resident: false,
      gone: false,
      unloaded,
      markUnloaded,
    };
    runners.set(key(req.model), r);
    const l = lease(r);
    r.refCount++;
    try {
      await sleep(options.loadMs, req.signal);
      if (req.failLoad) throw new SchedulerError(500, 'llama runner process has terminated: simulated load failure');
    } catch (err) {
      r.loading = false;
      unload(r);
      settle(req.signal.aborted ? new LoadAbandoned() : (err as Error));
      throw err;
    }
    r.loading = false;
    r.resident = true;
    options.onLoad?.(r.model.name);
    settle();
    return l;
  }

  return {
    acquire,
    expire(model) {
      const r = runners.get(key(model));
      if (!r) return;
      if (r.timer) clearTimeout(r.timer);
      r.keepAliveMs = 0;
      r.expiresAtNs = nowNs();
      if (r.refCount === 0 && !r.loading) unload(r);
    },
    snapshot() {
      const now = nowNs();
      return [...runners.values()]
        .map((r) => ({
          model: r.model,
          contextLength: contextOf(r.model, r.options.numCtx),
          size: r.size,
          sizeVram: r.sizeVram,
          loading: r.loading,
          // Like Ollama: the expiry set when the runner last went idle, or now + keep-alive before that.
          expiresAtNs: r.expiresAtNs ?? now + ttlNs(r.keepAliveMs),
        }))
        .sort((a, b) => cmp(b.expiresAtNs / 1_000_000_000n, a.expiresAtNs / 1_000_000_000n));
    },
    pendingLoads: () => pending.length + (serving ? 1 : 0),
    close() {
      closed = true;
      for (const r of runners.values()) if (r.timer) clearTimeout(r.timer);
      for (const item of pending.splice(0)) item.reject(new SchedulerError(500, 'server shutting down'));
    },
  };
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
