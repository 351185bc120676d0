/** Counters and a per-request log, so tests and benchmarks can see what the fake upstream went through. */

export interface SimLogEntry {
  path: string;
  model: string;
  receivedAt: number;
  startedAt?: number;
  endedAt?: number;
  outcome: 'ok' | 'error' | 'aborted';
}

export interface SimStats {
  /** Runners that finished loading, reloads for other runner options included. */
  loads: number;
  loadsByModel: Record<string, number>;
  /** Loaded runners that left memory for any reason: keep-alive expiry, `keep_alive: 0`, or eviction. */
  unloads: number;
  unloadsByModel: Record<string, number>;
  /** The unloads the scheduler forced: to make room (GPU memory, maxLoaded) or to reload with other runner options. */
  evictions: number;
  evictionsByModel: Record<string, number>;
  /** Requests waiting for a model load right now (queued, or waiting for an eviction or the load). */
  pendingLoads: number;
  /** Inference requests received. */
  requests: number;
  completed: number;
  /** Inference requests whose client disconnected before the end. */
  aborted: number;
  inFlight: number;
  log: SimLogEntry[];
}

export interface StatsRecorder {
  recordLoad(model: string): void;
  recordUnload(model: string, evicted: boolean): void;
  begin(path: string): SimLogEntry;
  end(entry: SimLogEntry, outcome: SimLogEntry['outcome']): void;
  snapshot(): SimStats;
  reset(): void;
}

/** `pendingLoads` reads the scheduler's queue when a snapshot is taken. */
export function createStatsRecorder(pendingLoads: () => number = () => 0): StatsRecorder {
  let stats = fresh();
  const open = new Set<SimLogEntry>();

  function fresh(): SimStats {
    return {
      loads: 0,
      loadsByModel: {},
      unloads: 0,
      unloadsByModel: {},
      evictions: 0,
      evictionsByModel: {},
      pendingLoads: 0,
      requests: 0,
      completed: 0,
      aborted: 0,
      inFlight: 0,
      log: [],
    };
  }

  const count = (byModel: Record<string, number>, model: string) => {
    byModel[model] = (byModel[model] ?? 0) + 1;
  };

  return {
    recordLoad(model) {
      stats.loads++;
      count(stats.loadsByModel, model);
    },
    recordUnload(model, evicted) {
      stats.unloads++;
      count(stats.unloadsByModel, model);
      if (!evicted) return;
      stats.evictions++;
      count(stats.evictionsByModel, model);
    },
    begin(path) {
      const entry: SimLogEntry = { path, model: '', receivedAt: Date.now(), outcome: 'ok' };
      stats.requests++;
      stats.inFlight++;
      stats.log.push(entry);
      open.add(entry);
      return entry;
    },
    end(entry, outcome) {
      if (!open.delete(entry)) return;
      // Re-inserted so the JSON reads in time order: received, started, ended, outcome.
      delete (entry as Partial<SimLogEntry>).outcome;
      entry.endedAt = Date.now();
      entry.outcome = outcome;
      stats.inFlight--;
      if (!stats.log.includes(entry)) return; // received before the last reset: not this period's business
      if (outcome === 'ok') stats.completed++;
      if (outcome === 'aborted') stats.aborted++;
    },
    snapshot: () => structuredClone({ ...stats, pendingLoads: pendingLoads() }),
    reset() {
      // Requests still running stay in flight, but their outcome belongs to the old period.
      stats = fresh();
      stats.inFlight = open.size;
    },
  };
}
