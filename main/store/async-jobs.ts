/**
 * Async /jobs state changes. Each one is a conditional UPDATE and its webhook outbox row, committed in
 * one transaction (ADR-0005): a crash loses neither, and only the transition that wins the race writes
 * an event, so a job has exactly one terminal state and one terminal webhook.
 */
import type Database from 'better-sqlite3';
import { FIGURE_KEYS, type JobFigures, type JobState } from '../../shared/types.js';
import type { DeliveryStore, OutboxPayload } from './deliveries.js';
import type { JobRecord, NewJob } from './store.js';
import { isStorageError } from './storage-errors.js';
import { jobFilter } from './job-filter.js';

export type JobEventType = 'job.queued' | 'job.working' | 'job.succeeded' | 'job.failed' | 'job.canceled';

export interface NewAsyncJob extends Omit<NewJob, 'source' | 'stream'> {
  webhookUrl: string | null;
  metadata: string | null;
  idempotencyKey: string | null;
  requestHash: string | null;
}

export interface AsyncOutcome extends JobFigures {
  state: 'succeeded' | 'failed' | 'canceled';
  finishedAt: number;
  statusCode?: number | null;
  error?: string | null;
  response?: string | null;
}

export interface AsyncJobQuery {
  state?: JobState;
  lane?: string;
  limit?: number;
  /** Jobs created before this id. */
  before?: string;
}

export type SubmitResult = { job: JobRecord; created: boolean } | { conflict: JobRecord };

export interface AsyncJobStoreOptions {
  /** The exact webhook body for an event (the store signs nothing; the body is stored as sent, or without the job's metadata). */
  eventBody(job: JobRecord, type: JobEventType, now: number): string | OutboxPayload;
  getJob(id: string): JobRecord | undefined;
}

export function createAsyncJobStore(db: Database.Database, deliveries: DeliveryStore, options: AsyncJobStoreOptions) {
  const insert = db.prepare(`INSERT INTO jobs (id, source, route, api, model, lane, client, state, priority, stream, created_at,
      request, webhook_url, metadata, idempotency_key, request_hash, event_seq)
      VALUES (@id, 'jobs', @route, @api, @model, @lane, @client, 'queued', @priority, 0, @createdAt, @request, @webhookUrl,
      @metadata, @idempotencyKey, @requestHash, @eventSeq)`);
  const byKey = db.prepare(`SELECT id FROM jobs WHERE idempotency_key = ?`).pluck();
  const toWorking = db.prepare(`UPDATE jobs SET state = 'working', started_at = ?, attempts = attempts + 1
      WHERE id = ? AND state = 'queued'`);
  const toTerminal = db.prepare(`UPDATE jobs SET state = @state, finished_at = @finishedAt, status_code = @statusCode, error = @error,
      response = @response, ${FIGURE_KEYS.map((f) => `${f} = @${f}`).join(', ')} WHERE id = @id AND state IN ('queued', 'working')`);
  const bumpSeq = db.prepare(`UPDATE jobs SET event_seq = event_seq + 1 WHERE id = ? RETURNING event_seq`).pluck();
  // A start that ended in a retry (`retries`) was not interrupted: only the rest count against a crash loop.
  const interrupted = db.prepare(`SELECT id, attempts - retries AS attempts FROM jobs WHERE source = 'jobs' AND state = 'working'`);
  const toRetry =
    db.prepare(`UPDATE jobs SET state = 'queued', started_at = NULL, status_code = @status, error = @error, retries = retries + 1,
      not_before = @notBefore, retry_until = COALESCE(retry_until, @retryUntil) WHERE id = @id AND state = 'working'`);
  const retryOf = db.prepare(`SELECT retries, not_before AS notBefore, retry_until AS retryUntil FROM jobs WHERE id = ?`);
  const waitingRetry = db.prepare(`SELECT id, not_before AS notBefore FROM jobs WHERE source = 'jobs' AND state = 'queued' ORDER BY id`);
  const requeue = db.prepare(`UPDATE jobs SET state = 'queued', started_at = NULL WHERE id = ? AND state = 'working'`);
  const queuedIds = db.prepare(`SELECT id FROM jobs WHERE source = 'jobs' AND state = 'queued' ORDER BY id`).pluck();
  const getJob = (id: string) => options.getJob(id) as JobRecord;

  function emit(id: string, type: JobEventType, now: number): void {
    const job = getJob(id);
    if (!job.webhook_url) return;
    const sequence = bumpSeq.get(id) as number;
    deliveries.enqueue(id, sequence, type, job.webhook_url, options.eventBody({ ...job, event_seq: sequence }, type, now), now);
  }

  const finish = db.transaction((id: string, o: AsyncOutcome): boolean => {
    const params: Record<string, unknown> = {
      id,
      state: o.state,
      finishedAt: o.finishedAt,
      statusCode: o.statusCode ?? null,
      error: o.error ?? null,
      response: o.response ?? null,
    };
    for (const f of FIGURE_KEYS) params[f] = o[f] ?? null;
    if (toTerminal.run(params).changes !== 1) return false;
    emit(id, `job.${o.state}`, o.finishedAt);
    return true;
  });

  /** Inserts a queued job and its `job.queued` event; an idempotency key already used returns that job. */
  const submit = db.transaction((job: NewAsyncJob): SubmitResult => {
    if (job.idempotencyKey) {
      const existing = byKey.get(job.idempotencyKey) as string | undefined;
      if (existing) {
        const found = getJob(existing);
        return found.request_hash === job.requestHash ? { job: found, created: false } : { conflict: found };
      }
    }
    // The submit path is the hot one (bench/submits.ts): the new row is known, so it is not read back.
    const eventSeq = job.webhookUrl ? 1 : 0;
    insert.run({ ...job, eventSeq });
    const record: JobRecord = {
      id: job.id,
      source: 'jobs',
      route: job.route,
      api: job.api,
      model: job.model,
      lane: job.lane,
      client: job.client,
      state: 'queued',
      priority: job.priority,
      stream: false,
      created_at: job.createdAt,
      started_at: null,
      finished_at: null,
      status_code: null,
      error: null,
      request: job.request,
      response: null,
      webhook_url: job.webhookUrl,
      metadata: job.metadata,
      idempotency_key: job.idempotencyKey,
      request_hash: job.requestHash,
      attempts: 0,
      event_seq: eventSeq,
    };
    if (job.webhookUrl) {
      deliveries.enqueue(job.id, 1, 'job.queued', job.webhookUrl, options.eventBody(record, 'job.queued', job.createdAt), job.createdAt);
    }
    return { job: record, created: true };
  });

  return {
    submit,

    /**
     * Several submits in one commit (group commit): each runs in its own savepoint, so one that fails
     * leaves the others, and the batch pays for one commit instead of one each. A storage error (disk
     * full, I/O) fails the whole batch: SQLite may already have rolled the transaction back.
     */
    submitMany: db.transaction((list: readonly NewAsyncJob[]): (SubmitResult | Error)[] =>
      list.map((job) => {
        try {
          return submit(job);
        } catch (err) {
          if (isStorageError(err)) throw err;
          return err instanceof Error ? err : new Error(String(err));
        }
      }),
    ),

    /** queued → working and its `job.working` event; false if the job is no longer queued. */
    start: db.transaction((id: string, now: number): boolean => {
      if (toWorking.run(now, id).changes !== 1) return false;
      emit(id, 'job.working', now);
      return true;
    }),

    /** queued|working → terminal and its event; false if another transition already ended the job. */
    finish,

    /**
     * working → queued after an attempt that got no complete answer from Ollama (unreachable, timed out,
     * broke off), with its `job.queued` event: the job's `error` (and `status_code`, 502 or 504) says why, and it runs again from
     * `notBefore`. `retryUntil` is kept from the first retry. False if the job is no longer working.
     */
    requeue: db.transaction(
      (id: string, r: { now: number; status: number; error: string; notBefore: number; retryUntil: number }): boolean => {
        if (toRetry.run({ id, status: r.status, error: r.error, notBefore: r.notBefore, retryUntil: r.retryUntil }).changes !== 1)
          return false;
        emit(id, 'job.queued', r.now);
        return true;
      },
    ),

    /** How often a job went back to the queue for lack of an answer, and until when it may. */
    retryOf(id: string): { retries: number; notBefore: number | null; retryUntil: number | null } | undefined {
      return retryOf.get(id) as { retries: number; notBefore: number | null; retryUntil: number | null } | undefined;
    },

    /** Queued jobs in order, with the time before which each must not run (a retry's backoff). */
    queued(): { id: string; notBefore: number | null }[] {
      return waitingRetry.all() as { id: string; notBefore: number | null }[];
    },

    /**
     * At start-up: jobs that were working when the process died go back to the queue, or fail once they
     * have started `maxAttempts` times (a job that keeps killing foreman must not loop forever).
     */
    recoverInterrupted: db.transaction((maxAttempts: number, now: number): { requeued: number; failed: number } => {
      let requeued = 0;
      let failed = 0;
      for (const { id, attempts } of interrupted.all() as { id: string; attempts: number }[]) {
        if (attempts >= maxAttempts) {
          finish(id, {
            state: 'failed',
            finishedAt: now,
            error: `interrupted: foreman stopped while the job was working, ${attempts} times`,
          });
          failed++;
        } else {
          requeue.run(id);
          requeued++;
        }
      }
      return { requeued, failed };
    }),

    queuedIds(): string[] {
      return queuedIds.all() as string[];
    },

    list(query: AsyncJobQuery = {}): JobRecord[] {
      const { where, params } = jobFilter({ ...query, source: 'jobs' });
      params.push(Math.min(Math.max(query.limit ?? 50, 1), 500));
      const ids = db
        .prepare(`SELECT id FROM jobs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`)
        .pluck()
        .all(...params) as string[];
      return ids.map(getJob);
    },
  };
}

export type AsyncJobStore = ReturnType<typeof createAsyncJobStore>;
