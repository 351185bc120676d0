/**
 * Runs async /jobs: admits them into the scheduler as background work, runs each against Ollama when
 * its turn comes, and records every transition through the async job store (with its outbox rows).
 * Failures are data: a job that fails ends `failed` with Ollama's message; nothing throws out.
 */
import { createHash } from 'node:crypto';
import type { Store, JobRecord } from '../store/store.js';
import type { AsyncJobStore, NewAsyncJob, SubmitResult } from '../store/async-jobs.js';
import type { Clock, Scheduler, Slot } from '../scheduler/scheduler.js';
import type { Upstreams } from '../hosts/upstreams-runtime.js';
import type { JobApi } from '../../shared/types.js';
import { runnerOf } from '../scheduler/runner-key.js';
import { chooseKeepAlive } from '../scheduler/keep-alive-hold.js';
import { answeredOutcome, callUpstream, formatDuration } from '../core/upstream-call.js';
import { newJobId } from '../core/ids.js';
import { toJobRow } from '../core/job-row.js';
import type { JobBoard } from '../core/job-board.js';

export const JOB_ROUTES: Record<Exclude<JobApi, 'embeddings'>, string> = {
  chat: '/api/chat',
  generate: '/api/generate',
  embed: '/api/embed',
};

export interface SubmitInput {
  api: keyof typeof JOB_ROUTES;
  request: Record<string, unknown> & { model: string };
  webhookUrl: string | null;
  metadata: unknown;
  priority: number;
  idempotencyKey: string | null;
  client: string | null;
}

export interface JobRunnerOptions {
  store: Store;
  jobs: AsyncJobStore;
  scheduler: Scheduler;
  /** The hosts: a job's request goes to the one its slot names. */
  upstreams: Upstreams;
  clock: Clock;
  /** Starts a job may have before a crash-looping job is failed instead of re-queued. @default 3 */
  maxAttempts?: number;
  /** Called after every committed transition that may have written outbox rows. */
  onTransition?: () => void;
  /** Where live jobs are shown; the runner keeps their rows and answer bytes there. */
  board: JobBoard;
  /** How a job that got no answer from Ollama is tried again. @default DEFAULT_RETRY */
  retry?: Partial<RetryPolicy>;
  /** For the backoff's jitter. @default Math.random */
  random?: () => number;
}

/**
 * A job that got no complete answer from Ollama (refused, reset, `--upstream-timeout`, broke off) waits
 * `firstMs` doubling to `maxMs` (±20% jitter), then runs again once Ollama answers; it ends `failed`
 * once the next wait would end more than `windowMs` after its first failure.
 */
export interface RetryPolicy {
  firstMs: number;
  maxMs: number;
  windowMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { firstMs: 1000, maxMs: 60_000, windowMs: 600_000 };

const SHUTDOWN = 'shutdown';

export function createJobRunner(options: JobRunnerOptions) {
  const { store, jobs, scheduler, upstreams, clock, board } = options;
  const maxAttempts = options.maxAttempts ?? 3;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const random = options.random ?? Math.random;
  const tickets = new Map<string, { cancel(): boolean }>();
  const working = new Map<string, AbortController>();
  /** Jobs waiting out a retry's backoff, off the scheduler: the timer, and how many waits so far. */
  const waiting = new Map<string, { timer: NodeJS.Timeout; waits: number }>();
  let probe: Promise<boolean> | null = null;
  let stopped = false;
  const notify = () => options.onTransition?.();
  let batch: { job: NewAsyncJob; resolve: (r: SubmitResult) => void; reject: (e: Error) => void }[] = [];

  function commitBatch(): void {
    const taken = batch;
    batch = [];
    let results: (SubmitResult | Error)[];
    try {
      results = jobs.submitMany(taken.map((b) => b.job));
    } catch (err) {
      for (const b of taken) b.reject(err as Error);
      return;
    }
    let created = false;
    results.forEach((r, i) => {
      const b = taken[i]!;
      if (r instanceof Error) return b.reject(r);
      if ('job' in r && r.created) {
        created = true;
        admit(r.job);
      }
      b.resolve(r);
    });
    if (created) notify();
  }

  /** Shows the job's stored state on the board; a terminal state takes it off. */
  function show(id: string): void {
    const job = store.getJob(id);
    if (!job) return;
    const row = toJobRow(job);
    if (job.state === 'queued' || job.state === 'working') board.update(id, row);
    else board.finish(id, row);
  }

  function admit(job: JobRecord): void {
    board.add(toJobRow(job), 'native', () => cancel(job.id));
    const ticket = scheduler.enqueue({ id: job.id, lane: job.lane, cls: 1, priority: job.priority });
    tickets.set(job.id, ticket);
    void ticket.slot.then((slot) => {
      tickets.delete(job.id);
      if (slot) void run(job.id, slot);
    });
  }

  /**
   * The upstream body: the caller's request, streamed internally (live tokens) for chat and generate,
   * with the keep_alive that holds the runner while its lane has more work.
   */
  function upstreamBody(job: JobRecord, slot: Slot): Buffer {
    const request = JSON.parse(job.request) as Record<string, unknown>;
    if (job.api !== 'embed') request.stream = true;
    const keep = chooseKeepAlive(request.keep_alive, slot.holdRunner);
    slot.keepAlive(keep.ms);
    if (keep.sent) {
      request.keep_alive = keep.sent;
      store.noteKeepAliveSent(job.id, keep.sent);
    }
    return Buffer.from(JSON.stringify(request));
  }

  async function run(id: string, slot: Slot): Promise<void> {
    const controller = new AbortController();
    try {
      if (!jobs.start(id, clock.now())) return;
      notify();
      show(id);
      working.set(id, controller);
      store.noteHost(id, slot.host);
      const job = store.getJob(id) as JobRecord;
      const outcome = await callUpstream({
        ollama: upstreams.client(slot.host),
        path: job.route,
        headers: { 'content-type': 'application/json', 'user-agent': 'foreman-jobs' },
        body: upstreamBody(job, slot),
        signal: controller.signal,
        onChunk: (chunk) => board.chunk(id, chunk),
        unloadFirst: slot.unloadFirst,
      });
      const finishedAt = clock.now();
      // Stopped: canceled (already recorded) or abandoned at shutdown (re-queued at the next start).
      if (outcome.kind === 'stopped') return;
      // No complete answer from Ollama: nobody has seen a byte of it, so the job waits and runs again.
      if (outcome.kind === 'unreachable' || outcome.kind === 'broke') {
        upstreams.failed(slot.host, outcome.message);
        // Another host is up: it takes the job at once; with none, the job waits out a backoff.
        return retryLater(id, outcome.status, outcome.message, finishedAt, upstreams.canFailOver(slot.host));
      }
      jobs.finish(id, answeredOutcome(outcome.upstream, job.api, 'native', board.bytes(id), finishedAt));
      // Ollama answers: jobs waiting to retry need not wait any longer.
      wakeAll();
    } finally {
      working.delete(id);
      slot.release();
      show(id);
      notify();
    }
  }

  function backoffMs(n: number): number {
    return Math.round(Math.min(policy.firstMs * 2 ** n, policy.maxMs) * (0.8 + 0.4 * random()));
  }

  /** Ends a job that kept getting no answer, naming the last reason and how long it was tried. */
  function giveUp(id: string, status: number, message: string, now: number, retryUntil: number, attempts: number): void {
    const tried = formatDuration(Math.max(0, Math.round((now - (retryUntil - policy.windowMs)) / 1000) * 1000));
    jobs.finish(id, {
      state: 'failed',
      finishedAt: now,
      statusCode: status,
      error: `${message} (gave up after ${attempts} attempts over ${tried})`,
    });
  }

  /** After an attempt with no complete answer: back to the queue after a backoff, or `failed` once out of time. */
  function retryLater(id: string, status: number, message: string, now: number, elsewhere = false): void {
    const r = jobs.retryOf(id);
    if (!r) return;
    const retryUntil = r.retryUntil ?? now + policy.windowMs;
    const delay = elsewhere ? 0 : backoffMs(r.retries);
    if (now + delay > retryUntil) return giveUp(id, status, message, now, retryUntil, r.retries + 1);
    if (jobs.requeue(id, { now, status, error: message, notBefore: now + delay, retryUntil })) waitThenRun(id, now + delay, 0);
  }

  /** Off the scheduler until `at`; then, if Ollama answers, back through `scheduler.enqueue`. */
  function waitThenRun(id: string, at: number, waits: number): void {
    const timer = setTimeout(() => void wake(id, waits), Math.max(0, at - clock.now()));
    timer.unref();
    waiting.set(id, { timer, waits });
  }

  /** Is Ollama answering? One `GET /` at a time, shared by every waiting job. */
  function ollamaAnswers(): Promise<boolean> {
    probe ??= upstreams.anyUp().finally(() => (probe = null));
    return probe;
  }

  async function wake(id: string, waits: number): Promise<void> {
    const up = await ollamaAnswers();
    if (stopped || !waiting.has(id)) return;
    const job = store.getJob(id);
    if (!job || job.state !== 'queued') return void waiting.delete(id);
    if (up) return wakeAll();
    // Still no Ollama: wait longer without a state change (no webhook), or give up once out of time.
    const r = jobs.retryOf(id);
    const now = clock.now();
    const retryUntil = r?.retryUntil ?? now;
    const delay = backoffMs((r?.retries ?? 0) + waits);
    if (now + delay > retryUntil) {
      waiting.delete(id);
      giveUp(id, job.status_code ?? 502, job.error ?? 'Ollama did not answer', now, retryUntil, (r?.retries ?? 0) + waits + 1);
      show(id);
      notify();
      return;
    }
    waitThenRun(id, now + delay, waits + 1);
  }

  /** Ollama answers again: every job waiting out a backoff goes back in line now. */
  function wakeAll(): void {
    if (stopped) return;
    for (const [id, w] of waiting) {
      clearTimeout(w.timer);
      waiting.delete(id);
      const job = store.getJob(id);
      if (job?.state === 'queued') admit(job);
    }
  }

  function cancel(id: string): JobRecord | undefined {
    const job = store.getJob(id);
    if (!job || job.source !== 'jobs') return undefined;
    if (jobs.finish(id, { state: 'canceled', finishedAt: clock.now(), error: 'canceled by request' })) {
      tickets.get(id)?.cancel();
      working.get(id)?.abort();
      clearTimeout(waiting.get(id)?.timer);
      waiting.delete(id);
      show(id);
      notify();
    }
    return store.getJob(id);
  }

  return {
    /**
     * Commits the job and its `job.queued` event, then queues it; an idempotent replay queues nothing.
     * Submits arriving in the same turn of the event loop share one commit (group commit): the 202
     * still goes out only after the job is on disk.
     */
    submit(input: SubmitInput): Promise<SubmitResult> {
      const now = clock.now();
      const request = JSON.stringify(input.request);
      const job: NewAsyncJob = {
        id: newJobId(now),
        route: JOB_ROUTES[input.api],
        api: input.api,
        model: input.request.model,
        lane: runnerOf(input.request.model, input.request.options).key,
        client: input.client,
        priority: input.priority,
        createdAt: now,
        request,
        webhookUrl: input.webhookUrl,
        metadata: input.metadata === undefined || input.metadata === null ? null : JSON.stringify(input.metadata),
        idempotencyKey: input.idempotencyKey,
        requestHash: input.idempotencyKey
          ? createHash('sha256')
              .update(JSON.stringify([input.api, request, input.webhookUrl, input.metadata ?? null, input.priority]))
              .digest('hex')
          : null,
      };
      return new Promise((resolve, reject) => {
        batch.push({ job, resolve, reject });
        if (batch.length === 1) setImmediate(commitBatch);
      });
    },

    /**
     * Cancels a queued job at once, or aborts a working job's Ollama request. Returns the job as it is
     * afterwards, or undefined if there is no such job.
     */
    cancel,

    /** At start-up: re-queue (or fail) jobs interrupted by a crash, then queue every waiting job. */
    recover(): { requeued: number; failed: number; queued: number } {
      const now = clock.now();
      const r = jobs.recoverInterrupted(maxAttempts, now);
      const queued = jobs.queued();
      for (const { id, notBefore } of queued) {
        const job = store.getJob(id) as JobRecord;
        // A job that was waiting out a retry's backoff keeps waiting; it is shown as queued meanwhile.
        if (notBefore !== null && notBefore > now) {
          board.add(toJobRow(job), 'native', () => cancel(id));
          waitThenRun(id, notBefore, 0);
        } else admit(job);
      }
      if (r.failed) notify();
      return { ...r, queued: queued.length };
    },

    /** Shutdown: working jobs are abandoned (not canceled), so the next start re-queues them. */
    abandonWorking(): void {
      stopped = true;
      for (const w of waiting.values()) clearTimeout(w.timer);
      waiting.clear();
      for (const c of working.values()) c.abort(SHUTDOWN);
    },

    get working(): number {
      return working.size;
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
