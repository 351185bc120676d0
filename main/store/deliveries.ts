/**
 * The webhook outbox and its delivery log. Rows are created inside the job transaction that causes
 * them (async-jobs.ts); the dispatcher only reads due rows and records attempts.
 */
import type Database from 'better-sqlite3';
import { randomHex } from '../core/ids.js';

export type DeliveryState = 'pending' | 'delivered' | 'exhausted' | 'disabled';

/**
 * An outbox body without its job's metadata: `null` stands at `metadataAt` (a character offset) where
 * the job's metadata JSON goes, so large metadata is stored once and not in every event of the job.
 */
export interface OutboxPayload {
  body: string;
  metadataAt: number | null;
}

export interface Delivery {
  id: string;
  job_id: string;
  sequence: number;
  type: string;
  url: string;
  payload: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: number | null;
  created_at: number;
  finished_at: number | null;
  last_status: number | null;
  last_error: string | null;
  redelivery: boolean;
}

export interface DeliveryAttempt {
  id: number;
  delivery_id: string;
  attempt: number;
  redelivery: boolean;
  started_at: number;
  duration_ms: number;
  request_headers: Record<string, string>;
  status: number | null;
  error_class: string | null;
  error: string | null;
  response_body: string | null;
  next_attempt_at: number | null;
}

export interface AttemptRecord {
  startedAt: number;
  durationMs: number;
  requestHeaders: Record<string, string>;
  status: number | null;
  errorClass: string | null;
  error: string | null;
  responseBody: string | null;
}

/** What happens to the delivery after an attempt. */
export type AttemptOutcome =
  { state: 'delivered'; at: number } | { state: 'pending'; nextAttemptAt: number } | { state: 'exhausted' | 'disabled'; at: number };

export interface DeliveryQuery {
  state?: DeliveryState;
  jobId?: string;
  /** Only deliveries whose last attempt failed (pending with attempts, exhausted, disabled). */
  failed?: boolean;
  since?: number;
  limit?: number;
  before?: string;
}

type Row = Record<string, unknown>;

/** The body as sent: the job's metadata put back in its place (the bytes are the same on every attempt). */
function whole(r: Row): string {
  const payload = r.payload as string;
  const at = r.metadata_at as number | null;
  const metadata = r.job_metadata as string | null;
  return at === null || metadata === null ? payload : payload.slice(0, at) + metadata + payload.slice(at + 4);
}

const toDelivery = (r: Row): Delivery => {
  const { metadata_at: _at, job_metadata: _m, ...rest } = r;
  return { ...(rest as unknown as Delivery), payload: whole(r), redelivery: r.redelivery === 1 };
};

// Every read of a delivery joins its job for the metadata its payload leaves out.
const SELECT = `SELECT d.*, j.metadata AS job_metadata FROM deliveries d LEFT JOIN jobs j ON j.id = d.job_id`;
const toAttempt = (r: Row): DeliveryAttempt => ({
  ...(r as unknown as DeliveryAttempt),
  redelivery: r.redelivery === 1,
  request_headers: JSON.parse(r.request_headers as string) as Record<string, string>,
});

/** Webhook ids sort by creation, like job ids. */
export function newDeliveryId(now: number): string {
  return `msg_${now.toString(36).padStart(9, '0')}${randomHex(8)}`;
}

export function createDeliveryStore(db: Database.Database) {
  const insert =
    db.prepare(`INSERT INTO deliveries (id, job_id, sequence, type, url, payload, metadata_at, state, next_attempt_at, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`);
  // Per-job order: a delivery waits while an earlier one of the same job is still pending.
  const due = db.prepare(`${SELECT} WHERE d.state = 'pending' AND d.next_attempt_at <= ?
      AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.job_id = d.job_id AND e.sequence < d.sequence AND e.state = 'pending')
      ORDER BY d.next_attempt_at, d.id LIMIT ?`);
  const nextDue = db.prepare(`SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE state = 'pending'`);
  const byId = db.prepare(`${SELECT} WHERE d.id = ?`);
  const insertAttempt = db.prepare(`INSERT INTO delivery_attempts (delivery_id, attempt, redelivery, started_at, duration_ms,
      request_headers, status, error_class, error, response_body, next_attempt_at)
      VALUES (@deliveryId, @attempt, @redelivery, @startedAt, @durationMs, @requestHeaders, @status, @errorClass, @error, @responseBody, @nextAttemptAt)`);
  const update = db.prepare(`UPDATE deliveries SET state = @state, attempts = @attempts, next_attempt_at = @nextAttemptAt,
      finished_at = @finishedAt, last_status = @status, last_error = @error WHERE id = @id AND state = 'pending'`);
  const disable = db.prepare(`INSERT OR REPLACE INTO disabled_endpoints (url, disabled_at, reason) VALUES (?, ?, ?)`);
  const disablePending = db.prepare(`UPDATE deliveries SET state = 'disabled', next_attempt_at = NULL, finished_at = ?,
      last_error = COALESCE(last_error, 'endpoint disabled') WHERE url = ? AND state = 'pending'`);
  const isDisabled = db.prepare(`SELECT 1 FROM disabled_endpoints WHERE url = ?`).pluck();
  const enable = db.prepare(`DELETE FROM disabled_endpoints WHERE url = ?`);
  const attemptsOf = db.prepare(`SELECT * FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt`);
  const redeliver = db.prepare(`UPDATE deliveries SET state = 'pending', next_attempt_at = ?, redelivery = 1, finished_at = NULL
      WHERE id = ? AND state <> 'pending'`);
  const retryNow = db.prepare(`UPDATE deliveries SET next_attempt_at = ? WHERE id = ? AND state = 'pending' AND next_attempt_at > ?`);
  const failedSince = db.prepare(`SELECT id, url FROM deliveries WHERE state IN ('exhausted', 'disabled') AND created_at >= ?`);
  const prune = db.prepare(`DELETE FROM deliveries WHERE state <> 'pending' AND created_at < ?`);

  const recordAttempt = db.transaction((d: Delivery, a: AttemptRecord, outcome: AttemptOutcome): boolean => {
    const attempt = d.attempts + 1;
    const nextAttemptAt = outcome.state === 'pending' ? outcome.nextAttemptAt : null;
    insertAttempt.run({
      deliveryId: d.id,
      attempt,
      redelivery: d.redelivery ? 1 : 0,
      startedAt: a.startedAt,
      durationMs: a.durationMs,
      requestHeaders: JSON.stringify(a.requestHeaders),
      status: a.status,
      errorClass: a.errorClass,
      error: a.error,
      responseBody: a.responseBody,
      nextAttemptAt,
    });
    return (
      update.run({
        id: d.id,
        state: outcome.state,
        attempts: attempt,
        nextAttemptAt,
        finishedAt: outcome.state === 'pending' ? null : outcome.at,
        status: a.status,
        error: a.error,
      }).changes === 1
    );
  });

  return {
    /** Adds the outbox row for one job event; call inside the job's transaction. */
    enqueue(jobId: string, sequence: number, type: string, url: string, payload: string | OutboxPayload, now: number): string {
      const id = newDeliveryId(now);
      const { body, metadataAt } = typeof payload === 'string' ? { body: payload, metadataAt: null } : payload;
      insert.run(id, jobId, sequence, type, url, body, metadataAt, now, now);
      return id;
    },

    due(now: number, limit: number): Delivery[] {
      return (due.all(now, limit) as Row[]).map(toDelivery);
    },

    /** When the earliest pending delivery is due, or null if none is pending. */
    nextDueAt(): number | null {
      return (nextDue.get() as { t: number | null }).t;
    },

    get(id: string): Delivery | undefined {
      const r = byId.get(id) as Row | undefined;
      return r && toDelivery(r);
    },

    attempts(id: string): DeliveryAttempt[] {
      return (attemptsOf.all(id) as Row[]).map(toAttempt);
    },

    /** Stores one attempt and the delivery's new state together. */
    recordAttempt,

    /** A 410 Gone: no more deliveries to this URL, until a redeliver re-enables it. */
    disableEndpoint: db.transaction((url: string, now: number, reason: string) => {
      disable.run(url, now, reason);
      disablePending.run(now, url);
    }),

    isDisabled(url: string): boolean {
      return isDisabled.get(url) === 1;
    },

    /** Queues a finished delivery again (same webhook-id, same body), re-enabling its endpoint. */
    redeliver: db.transaction((id: string, now: number): boolean => {
      const d = byId.get(id) as Row | undefined;
      if (!d) return false;
      enable.run(d.url);
      return redeliver.run(now, id).changes === 1;
    }),

    /** A pending delivery waiting for its next retry goes now instead (the receiver was fixed). */
    retryNow(id: string, now: number): boolean {
      return retryNow.run(now, id, now).changes === 1;
    },

    redeliverFailedSince: db.transaction((since: number, now: number): number => {
      let n = 0;
      for (const { id, url } of failedSince.all(since) as { id: string; url: string }[]) {
        enable.run(url);
        n += redeliver.run(now, id).changes;
      }
      return n;
    }),

    list(query: DeliveryQuery = {}): Delivery[] {
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.state) {
        where.push('d.state = ?');
        params.push(query.state);
      }
      if (query.jobId) {
        where.push('d.job_id = ?');
        params.push(query.jobId);
      }
      if (query.failed) where.push(`(d.state IN ('exhausted', 'disabled') OR (d.state = 'pending' AND d.attempts > 0))`);
      if (query.since !== undefined) {
        where.push('d.created_at >= ?');
        params.push(query.since);
      }
      if (query.before) {
        where.push('d.id < ?');
        params.push(query.before);
      }
      params.push(Math.min(Math.max(query.limit ?? 100, 1), 1000));
      const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.id DESC LIMIT ?`;
      return (db.prepare(sql).all(...params) as Row[]).map(toDelivery);
    },

    prune(olderThan: number): number {
      return prune.run(olderThan).changes;
    },
  };
}

export type DeliveryStore = ReturnType<typeof createDeliveryStore>;
