/**
 * What foreman knows about the GPU behind one Ollama: the memory it may fill (configured, or bounded by
 * what it has seen) and each runner's footprint (from `/api/ps`). Pure data and pure functions; the
 * scheduler feeds observations in.
 *
 * Without `--gpu-memory` a set of runners fits only if foreman has seen Ollama hold that much at once
 * (the lower bound): a guess too high costs a reload of work that was waiting, a guess too low only a
 * drain-first turn, after which Ollama's own keeping of both teaches the bound.
 */

export interface GpuKnowledge {
  /** Configured budget in bytes (`--gpu-memory`), or null to learn. */
  readonly budget: number | null;
  /** Models resident at once (Ollama's `OLLAMA_MAX_LOADED_MODELS`). */
  readonly maxLoaded: number;
  /** Bytes seen resident together at once: that much certainly fits. */
  lower: number;
  /** Bytes that did not fit: a load that made Ollama evict shows the budget is below this. */
  upper: number;
  /** Footprint per runner key, from `/api/ps` `size`; a runner never seen loaded has none yet. */
  readonly footprints: Map<string, number>;
}

export function createGpuKnowledge(options: { budget?: number | null; maxLoaded?: number } = {}): GpuKnowledge {
  return {
    budget: options.budget ?? null,
    maxLoaded: Math.max(1, options.maxLoaded ?? 3),
    lower: 0,
    upper: Infinity,
    footprints: new Map(),
  };
}

export interface Holding {
  key: string;
  model: string;
}

export type FitVerdict = 'fits' | 'does-not-fit' | 'unknown';

/**
 * Whether these runners can be resident together: certainly, certainly not, or not known yet. One
 * runner alone always fits (Ollama offloads what the GPU cannot hold).
 */
export function fitVerdict(k: GpuKnowledge, runners: readonly Holding[]): FitVerdict {
  if (runners.length <= 1) return 'fits';
  if (runners.length > k.maxLoaded) return 'does-not-fit';
  let total = 0;
  for (const r of runners) {
    const bytes = k.footprints.get(r.key);
    if (bytes === undefined) return 'unknown';
    total += bytes;
  }
  if (k.budget !== null) return total <= k.budget ? 'fits' : 'does-not-fit';
  if (total <= k.lower && total < k.upper) return 'fits';
  return total >= k.upper ? 'does-not-fit' : 'unknown';
}

/** Only a certain fit counts: a wrong guess would cost a reload of work that was waiting. */
export function fitsTogether(k: GpuKnowledge, runners: readonly Holding[]): boolean {
  return fitVerdict(k, runners) === 'fits';
}

/** The budget to show: configured, else the learned lower bound (0 while nothing is known). */
export function shownBudget(k: GpuKnowledge): { bytes: number | null; source: 'configured' | 'learned' | 'unknown' } {
  if (k.budget !== null) return { bytes: k.budget, source: 'configured' };
  if (k.lower > 0) return { bytes: k.lower, source: 'learned' };
  return { bytes: null, source: 'unknown' };
}

/** An `/api/ps` answer: what was resident together, and each runner's footprint. */
export function learnResident(k: GpuKnowledge, entries: readonly { key: string; bytes: number }[]): void {
  let total = 0;
  for (const e of entries) {
    k.footprints.set(e.key, e.bytes);
    total += e.bytes;
  }
  if (total > k.lower) k.lower = total;
  // Seen together beats an earlier inference that it could not be (the GPU was busier then).
  if (k.upper <= k.lower) k.upper = Infinity;
}

/** A load of `bytes` beside `others` made Ollama evict: the budget is below their sum. */
export function learnEviction(k: GpuKnowledge, residentBytes: number, loadedBytes: number, residentCount: number): void {
  // With as many runners as Ollama allows, the eviction was for the count, not for memory.
  if (residentCount + 1 > k.maxLoaded) return;
  const bound = residentBytes + loadedBytes;
  if (bound > k.lower && bound < k.upper) k.upper = bound;
}
