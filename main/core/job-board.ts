/**
 * What is queued and running now, in memory: a row per live job, the bytes of its answer so far, and a
 * way to cancel it. Every change is published on the event hub; the queue snapshot is read from here.
 * Passthrough requests and /jobs share it, so the window shows both alike.
 */
import type { JobRow, LaneSnapshot } from '../../shared/api.js';
import type { Flavor } from '../ollama/wire.js';
import { answerBytes, keepChunk, type AnswerBytes } from './answer-bytes.js';
import type { EventHub } from './event-hub.js';
import { createLaneStats } from './lane-stats.js';
import { createTokenBatcher, parseTokens, type TokenLines } from './token-stream.js';

/** Flat: the per-chunk path reaches the kept bytes and the stream state with no further lookup. */
export interface LiveJob extends AnswerBytes, TokenLines {
  row: JobRow;
  cancel: (() => void) | null;
}

export interface JobBoardOptions {
  hub: EventHub;
  /** Bytes of one answer kept for its transcript. @default 16 MiB */
  transcriptCap?: number;
  /** How often token deltas go out, batched per job. @default 50 */
  tokenFlushMs?: number;
  /** Every job that leaves the board, with its final row (metrics, load announcements). */
  onFinished?: (row: JobRow) => void;
}

/**
 * A new row (published rows stay as they were: the event ring replays them). `Object.assign` onto a
 * fresh object, not `{ ...row, ...patch }`: once the patch adds Ollama's figures, V8 builds the spread
 * on a slow path, about 5 µs per finished job against under 1 (bench/request-parts.ts). The copy may
 * end in dictionary mode, which costs nothing here: rows are only copied, read and serialised.
 */
function withPatch(row: JobRow, patch: Partial<JobRow>): JobRow {
  return Object.assign({}, row, patch);
}

export function createJobBoard(options: JobBoardOptions) {
  const { hub } = options;
  const cap = options.transcriptCap ?? 16 * 1024 * 1024;
  const live = new Map<string, LiveJob>();
  const tokens = createTokenBatcher({ hub, flushMs: options.tokenFlushMs ?? 50 });
  const stats = createLaneStats();

  return {
    add(row: JobRow, flavor: Flavor, cancel: (() => void) | null = null): void {
      live.set(row.id, { row, flavor, chunks: [], kept: 0, cancel, decoder: null, rest: '' });
      hub.publish({ type: 'job', job: row });
    },

    /** Replaces the cancel action (it differs while queued and while working). */
    onCancel(id: string, cancel: () => void): void {
      const job = live.get(id);
      if (job) job.cancel = cancel;
    },

    update(id: string, patch: Partial<JobRow>): void {
      const job = live.get(id);
      if (!job) return;
      job.row = withPatch(job.row, patch);
      hub.publish({ type: 'job', job: job.row });
    },

    /** The per-chunk path: keep the bytes (up to the cap); parse tokens only if someone watches. */
    chunk(id: string, chunk: Buffer): void {
      const job = live.get(id);
      if (!job) return;
      keepChunk(job, chunk, cap);
      if (hub.watched) parseTokens(job.row.id, job, chunk, tokens);
    },

    /** The bytes of the answer so far (up to the cap). */
    bytes(id: string): Buffer {
      return answerBytes(live.get(id));
    },

    /** Removes a finished job and announces its final row. */
    finish(id: string, patch: Partial<JobRow>): void {
      const job = live.get(id);
      if (!job) return;
      live.delete(id);
      tokens.flush(id);
      job.row = withPatch(job.row, patch);
      stats.learn(job.row);
      hub.publish({ type: 'job', job: job.row });
      options.onFinished?.(job.row);
    },

    get(id: string): LiveJob | undefined {
      return live.get(id);
    },

    rows(): JobRow[] {
      return [...live.values()].map((j) => j.row);
    },

    /** Cancels a live job (queued: dropped; working: its Ollama request aborted). */
    cancel(id: string): boolean {
      const job = live.get(id);
      if (!job?.cancel) return false;
      job.cancel();
      return true;
    },

    laneStats(lane: string): Pick<LaneSnapshot, 'load_ms' | 'tokens_per_s'> {
      return stats.of(lane);
    },
  };
}

export type JobBoard = ReturnType<typeof createJobBoard>;
