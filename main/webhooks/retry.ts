/** The retry schedule: configured delays with jitter, stretched by a receiver's Retry-After. */

/** The longest Retry-After honoured, so one receiver cannot park a job's later events for months. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/** A Retry-After value (delay-seconds or HTTP-date) as milliseconds from `now`; null if absent or malformed. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  const v = value?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.min(Math.max(at - now, 0), MAX_RETRY_AFTER_MS);
}

export interface RetrySchedule {
  /** Delay before attempt 2, 3, …; attempts in all = length + 1. */
  retriesMs: readonly number[];
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
  random: () => number;
}

export function checkSchedule(s: RetrySchedule): void {
  if (!s.retriesMs.every((ms) => Number.isFinite(ms) && ms >= 0))
    throw new RangeError('webhook retry delays must be finite and non-negative');
  if (!(s.jitter >= 0 && s.jitter < 1)) throw new RangeError('webhook retry jitter must be in [0, 1)');
}

/**
 * When the attempt after attempt number `attempt` (1-based) is due, given it failed at `now`; null
 * when that was the last one. A Retry-After only ever lengthens the wait.
 */
export function nextAttemptAt(attempt: number, now: number, s: RetrySchedule, retryAfterMs: number | null = null): number | null {
  const base = s.retriesMs[attempt - 1];
  if (base === undefined) return null;
  // Jitter spreads the retries of many deliveries that failed together (receiver outage).
  const jittered = Math.round(base * (1 + s.jitter * (2 * s.random() - 1)));
  return now + Math.max(jittered, retryAfterMs ?? 0);
}
