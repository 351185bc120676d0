/**
 * Measured speed per lane for the ETA: moving averages of load time and of tokens per second, learned
 * from the jobs that succeeded.
 */
import type { JobRow, LaneSnapshot } from '../../shared/api.js';

/** A `load_duration` (ns) above this is a real model load; a warm request reports a few ms. */
export const REAL_LOAD_NS = 50e6;

/** Weight of the newest sample in each exponential moving average. */
const EMA = 0.3;

export function createLaneStats() {
  const stats = new Map<string, { loadMs: number | null; tokensPerS: number | null }>();

  return {
    learn(row: JobRow): void {
      if (row.state !== 'succeeded') return;
      const s = stats.get(row.lane) ?? { loadMs: null, tokensPerS: null };
      // Only real loads teach the ETA what a load costs.
      if (row.load_duration !== undefined && row.load_duration > REAL_LOAD_NS) {
        const ms = row.load_duration / 1e6;
        s.loadMs = s.loadMs === null ? ms : s.loadMs + EMA * (ms - s.loadMs);
      }
      if (row.eval_count && row.eval_duration) {
        const tps = row.eval_count / (row.eval_duration / 1e9);
        s.tokensPerS = s.tokensPerS === null ? tps : s.tokensPerS + EMA * (tps - s.tokensPerS);
      }
      stats.set(row.lane, s);
    },

    of(lane: string): Pick<LaneSnapshot, 'load_ms' | 'tokens_per_s'> {
      const s = stats.get(lane);
      return { load_ms: s?.loadMs ?? null, tokens_per_s: s?.tokensPerS ?? null };
    },
  };
}

export type LaneStats = ReturnType<typeof createLaneStats>;
