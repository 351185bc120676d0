/**
 * Whether a host gets work: a pure state machine fed by probe answers and request failures.
 * up → suspect (one failure) → down (`failuresToDown` in a row); a down host is probed again after a
 * backoff that doubles up to `maxBackoffMs`, and one probe that passes brings it back up (a circuit
 * breaker: half-open on the probe, closed on success).
 */

export type HealthState = 'up' | 'suspect' | 'down';

export interface Health {
  state: HealthState;
  /** Failures in a row. */
  failures: number;
  /** When a down host is probed next (ms since the epoch). */
  retryAt: number;
  backoffMs: number;
  /** Why it last failed. */
  reason: string | null;
  since: number;
}

export interface HealthPolicy {
  /** @default 2 */
  failuresToDown: number;
  /** @default 500 */
  minBackoffMs: number;
  /** @default 30000 */
  maxBackoffMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { failuresToDown: 2, minBackoffMs: 500, maxBackoffMs: 30_000 };

export type HealthEvent = { kind: 'ok' } | { kind: 'failed'; reason: string };

export function initialHealth(now: number): Health {
  return { state: 'up', failures: 0, retryAt: now, backoffMs: 0, reason: null, since: now };
}

export function nextHealth(h: Health, event: HealthEvent, now: number, policy: HealthPolicy = DEFAULT_HEALTH_POLICY): Health {
  if (event.kind === 'ok')
    return h.state === 'up' && h.failures === 0 ? h : { ...initialHealth(now), since: h.state === 'up' ? h.since : now };
  const failures = h.failures + 1;
  if (failures < policy.failuresToDown) return { ...h, state: 'suspect', failures, reason: event.reason };
  const backoffMs =
    h.state === 'down' ? Math.min(policy.maxBackoffMs, Math.max(policy.minBackoffMs, h.backoffMs * 2)) : policy.minBackoffMs;
  return { state: 'down', failures, backoffMs, retryAt: now + backoffMs, reason: event.reason, since: h.state === 'down' ? h.since : now };
}

/** A host that is up or suspect is probed on the interval; a down one when its backoff expires. */
export function probeDue(h: Health, now: number, lastProbeAt: number, intervalMs: number): boolean {
  return h.state === 'down' ? now >= h.retryAt : now - lastProbeAt >= intervalMs;
}

/** Whether the host may take new work. */
export function takesWork(h: Health): boolean {
  return h.state !== 'down';
}
