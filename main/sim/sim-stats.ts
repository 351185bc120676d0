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
  loads: number;
  loadsByModel: Record<string, number>;
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
  begin(path: string): SimLogEntry;
  end(entry: SimLogEntry, outcome: SimLogEntry['outcome']): void;
  snapshot(): SimStats;
  reset(): void;
}

export function createStatsRecorder(): StatsRecorder {
  let stats = fresh();
  const open = new Set<SimLogEntry>();

  function fresh(): SimStats {
    return { loads: 0, loadsByModel: {}, requests: 0, completed: 0, aborted: 0, inFlight: 0, log: [] };
  }

  return {
    recordLoad(model) {
      stats.loads++;
      stats.loadsByModel[model] = (stats.loadsByModel[model] ?? 0) + 1;
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
    snapshot: () => structuredClone(stats),
    reset() {
      // Requests still running stay in flight, but their outcome belongs to the old period.
      stats = fresh();
      stats.inFlight = open.size;
    },
  };
}
