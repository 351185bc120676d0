/**
 * Sends the webhook outbox. The store decides what is due (including per-job order); this loop owns
 * time and concurrency: it wakes on kick() and at the next due time, sends, and records every attempt
 * with the delivery's new state in one transaction. A row stays pending until its attempt is recorded,
 * so a crash mid-send means the same webhook-id goes out again after restart (at least once).
 */
import type { Dispatcher } from 'undici';
import { performance } from 'node:perf_hooks';
import type { AttemptOutcome, AttemptRecord, Delivery, DeliveryStore } from '../store/deliveries.js';
import { systemClock, type Clock } from '../scheduler/scheduler.js';
import { createWebhookAgent, postWebhook, type WebhookResponse } from '../ollama/webhook-http.js';
import { secretKey, webhookHeaders } from './signature.js';
import { checkWebhookUrl, createGuardedLookup, DEFAULT_ADDRESS_POLICY, type AddressPolicy } from './url-policy.js';
import { classifyError, classifyStatus, type ErrorClass } from './classify.js';
import { checkSchedule, nextAttemptAt, parseRetryAfter, type RetrySchedule } from './retry.js';

export interface AttemptEvent {
  /** As it was before this attempt. */
  delivery: Delivery;
  attempt: AttemptRecord;
  outcome: AttemptOutcome;
  /** The receiver's response headers (the delivery log keeps status and body only). */
  responseHeaders: Record<string, string> | null;
}

export interface WebhookDispatcherOptions {
  deliveries: DeliveryStore;
  /** `whsec_…`; several while rotating, and every attempt is signed with each. */
  secret: string | readonly string[];
  /** Delay before attempt 2, 3, …; attempts in all = length + 1. */
  retriesMs: readonly number[];
  clock?: Clock;
  /** Cap on one attempt, connect to the last response byte read. @default 15000 */
  timeoutMs?: number;
  /** @default 8 */
  concurrency?: number;
  /** Retry delays are scaled by a random factor in [1 - jitter, 1 + jitter]. @default 0.1 */
  jitter?: number;
  /** Response body bytes kept in the delivery log. @default 4096 */
  responseCap?: number;
  /** Which networks receivers may be on. @default DEFAULT_ADDRESS_POLICY (loopback yes, private LAN no) */
  addressPolicy?: AddressPolicy;
  /** HTTP dispatcher; the default resolves and checks every receiver address before connecting. */
  agent?: Dispatcher;
  onAttempt?: (event: AttemptEvent) => void;
  /** Store or callback failures; the loop carries on after each. */
  onError?: (err: unknown) => void;
  /** @default Math.random */
  random?: () => number;
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

const USER_AGENT = 'foreman-webhooks';
// setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;
// After a store failure, look again this much later rather than spin on a database that is busy or gone.
const STORE_RETRY_MS = 1000;

interface Flight {
  done: Promise<void>;
  abort: AbortController;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions) {
  const { deliveries } = options;
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const concurrency = options.concurrency ?? 8;
  const responseCap = options.responseCap ?? 4096;
  const policy = options.addressPolicy ?? DEFAULT_ADDRESS_POLICY;
  const schedule: RetrySchedule = { retriesMs: options.retriesMs, jitter: options.jitter ?? 0.1, random: options.random ?? Math.random };
  checkSchedule(schedule);
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError('webhook concurrency must be a positive integer');
  const keys = (typeof options.secret === 'string' ? [options.secret] : options.secret).map(secretKey);
  if (keys.length === 0 || keys.some((k) => k.length === 0)) throw new Error('webhook secret must be whsec_ followed by base64 key bytes');
  const agent = options.agent ?? createWebhookAgent({ lookup: createGuardedLookup({ policy }), connectTimeoutMs: timeoutMs });

  const flights = new Map<string, Flight>();
  // Deliveries whose attempt could not be recorded: held back a while so a receiver is not hammered.
  const held = new Map<string, number>();
  let started = false;
  let stopping = false;
  let abandoned = false;
  let kickQueued = false;
  let timer: NodeJS.Timeout | null = null;

  function report(err: unknown): void {
    try {
      options.onError?.(err);
    } catch {}
  }

  function arm(at: number | null): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (at === null || stopping) return;
    timer = setTimeout(
      () => {
        timer = null;
        pump();
      },
      Math.min(Math.max(at - clock.now(), 0), MAX_TIMER_MS),
    );
    timer.unref();
  }

  const busy = (id: string, now: number): boolean => flights.has(id) || (held.get(id) ?? -Infinity) > now;

  /**
   * The earliest time a delivery that is not in flight could go. Not nextDueAt(): that also counts
   * events held back by per-job order, whose due time may have long passed, and a timer on it would spin.
   */
  function nextWake(now: number): number | null {
    for (const [id, until] of held) if (until <= now) held.delete(id);
    if (deliveries.nextDueAt() === null) return null;
    const next = deliveries.due(Number.MAX_SAFE_INTEGER, flights.size + held.size + 1).find((d) => !busy(d.id, now));
    const times = [...held.values(), ...(next?.next_attempt_at != null ? [next.next_attempt_at] : [])];
    return times.length ? Math.min(...times) : null;
  }

  function pump(): void {
    if (!started || stopping) return;
    try {
      const now = clock.now();
      const free = concurrency - flights.size;
      if (free > 0) {
        for (const d of deliveries.due(now, free + flights.size + held.size)) {
          if (flights.size >= concurrency) break;
          if (!busy(d.id, now)) launch(d);
        }
      }
      // With every slot taken, the next completion pumps again.
      arm(flights.size >= concurrency ? null : nextWake(clock.now()));
    } catch (err) {
      report(err);
      arm(clock.now() + STORE_RETRY_MS);
    }
  }

  function launch(d: Delivery): void {
    const abort = new AbortController();
    const done = attempt(d, abort.signal)
      .catch((err: unknown) => {
        held.set(d.id, clock.now() + STORE_RETRY_MS);
        report(err);
      })
      .finally(() => {
        flights.delete(d.id);
        pump();
      });
    flights.set(d.id, { done, abort });
  }

  // A redelivery of a delivery that already used the whole schedule gets this one attempt, like GitHub's Redeliver.
  function retryOrExhaust(d: Delivery, at: number, retryAfterMs: number | null): AttemptOutcome {
    const next = nextAttemptAt(d.attempts + 1, at, schedule, retryAfterMs);
    return next === null ? { state: 'exhausted', at } : { state: 'pending', nextAttemptAt: next };
  }

  function record(d: Delivery, a: AttemptRecord, outcome: AttemptOutcome, responseHeaders: Record<string, string> | null): void {
    deliveries.recordAttempt(d, a, outcome);
    try {
      options.onAttempt?.({ delivery: d, attempt: a, outcome, responseHeaders });
    } catch (err) {
      report(err);
    }
  }

  async function attempt(d: Delivery, signal: AbortSignal): Promise<void> {
    const startedAt = clock.now();
    if (deliveries.isDisabled(d.url)) {
      const error = 'not sent: the endpoint answered 410 Gone before; redeliver to enable it again';
      const a: AttemptRecord = {
        startedAt,
        durationMs: 0,
        requestHeaders: {},
        status: null,
        errorClass: 'endpoint_disabled',
        error,
        responseBody: null,
      };
      return record(d, a, { state: 'disabled', at: startedAt }, null);
    }
    // The stored bytes, as signed: every attempt sends exactly these, under the same webhook-id.
    const body = Buffer.from(d.payload, 'utf8');
    const headers = { ...webhookHeaders(keys, d.id, Math.floor(startedAt / 1000), body), 'user-agent': USER_AGENT };
    const t0 = performance.now();
    let res: WebhookResponse | null = null;
    let errorClass: ErrorClass | null = null;
    let error: string | null = null;
    try {
      // IP-literal hosts never reach the resolver, so the address check runs here too, every attempt.
      checkWebhookUrl(d.url, policy);
      res = await postWebhook(agent, { url: d.url, headers, body, timeoutMs, responseCap, signal });
    } catch (err) {
      errorClass = classifyError(err);
      error = err instanceof Error ? err.message : String(err);
    }
    // stop() gave up on this attempt: the row stays pending and goes out again after the next start.
    if (abandoned) return;
    const at = clock.now();
    let outcome: AttemptOutcome;
    if (res) {
      errorClass = classifyStatus(res.status);
      if (errorClass === null) outcome = { state: 'delivered', at };
      else if (errorClass === 'gone') {
        error = 'receiver answered 410 Gone: endpoint disabled until a redeliver';
        outcome = { state: 'disabled', at };
      } else {
        const location = res.headers.location;
        error = `receiver answered ${res.status}${errorClass === 'redirect' ? ` (redirects are not followed${location ? `: ${location}` : ''})` : ''}`;
        const retryAfter = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers['retry-after'], at) : null;
        outcome = retryOrExhaust(d, at, retryAfter);
      }
    } else {
      // A refused address stays refused: retrying would only knock on it again.
      outcome = errorClass === 'forbidden_address' ? { state: 'exhausted', at } : retryOrExhaust(d, at, null);
    }
    const a: AttemptRecord = {
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      requestHeaders: headers,
      status: res?.status ?? null,
      errorClass,
      error,
      responseBody: res?.body ?? null,
    };
    record(d, a, outcome, res?.headers ?? null);
    if (errorClass === 'gone') deliveries.disableEndpoint(d.url, at, `410 Gone answering delivery ${d.id}`);
  }

  return {
    /** Begins sending; deliveries left pending by an earlier run go first. */
    start(): void {
      if (started || stopping) return;
      started = true;
      pump();
    },

    /**
     * New rows were committed: look now. Deferred to a microtask so a kick from inside a transaction
     * never reads rows before their commit, and a burst of kicks costs one look.
     */
    kick(): void {
      if (kickQueued || !started || stopping) return;
      kickQueued = true;
      queueMicrotask(() => {
        kickQueued = false;
        pump();
      });
    },

    /**
     * Stops taking deliveries and waits up to `graceMs` for attempts in flight to be recorded. Any still
     * running then are aborted unrecorded, so they stay pending for the next start. Final.
     */
    async stop(graceMs: number): Promise<void> {
      stopping = true;
      arm(null);
      if (flights.size > 0) {
        let graceTimer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)));
        await Promise.race([Promise.allSettled([...flights.values()].map((f) => f.done)), grace]);
        clearTimeout(graceTimer);
        if (flights.size > 0) {
          abandoned = true;
          for (const f of flights.values()) f.abort.abort(new Error('webhook dispatcher stopped'));
        }
      }
      if (!options.agent) await agent.destroy().catch(report);
    },

    /** Attempts being sent now. */
    get inFlight(): number {
      return flights.size;
    },
  };
}
