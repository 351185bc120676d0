/**
 * What is queued and running now, in memory: a row per live job, the bytes of its answer so far, and a
 * way to cancel it. Every change is published on the event hub; the queue snapshot is read from here.
 * Passthrough requests and /jobs share it, so the window shows both alike.
 */
import { StringDecoder } from 'node:string_decoder';
import type { JobRow } from '../../shared/api.js';
import type { Flavor } from '../ollama/wire.js';
import type { EventHub } from './event-hub.js';

export interface LiveJob {
  row: JobRow;
  flavor: Flavor;
  chunks: Buffer[];
  kept: number;
  cancel: (() => void) | null;
  decoder: StringDecoder | null;
  rest: string;
}

/** The fields of a streamed chunk that carry text (native NDJSON, or a /v1 SSE `data:` object). */
interface StreamedChunk {
  message?: { content?: string; thinking?: string };
  response?: string;
  content?: string;
  thinking?: string;
  choices?: { delta?: { content?: string | null; reasoning?: string }; text?: string }[];
}

interface LaneStats {
  loadMs: number | null;
  tokensPerS: number | null;
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

const EMA = 0.3;

export function createJobBoard(options: JobBoardOptions) {
  const { hub } = options;
  const cap = options.transcriptCap ?? 16 * 1024 * 1024;
  const flushMs = options.tokenFlushMs ?? 50;
  const live = new Map<string, LiveJob>();
  const stats = new Map<string, LaneStats>();
  const pendingTokens = new Map<string, { content: string; thinking: string; count: number }>();
  let flushTimer: NodeJS.Timeout | null = null;

  function flushTokens(): void {
    flushTimer = null;
    for (const [id, t] of pendingTokens) hub.publish({ type: 'tokens', id, ...t });
    pendingTokens.clear();
  }

  function addTokens(id: string, content: string, thinking: string): void {
    if (!content && !thinking) return;
    const t = pendingTokens.get(id);
    if (t) {
      t.content += content;
      t.thinking += thinking;
      t.count++;
    } else pendingTokens.set(id, { content, thinking, count: 1 });
    if (!flushTimer) {
      flushTimer = setTimeout(flushTokens, flushMs);
      flushTimer.unref();
    }
  }

  /** Token deltas from complete lines (NDJSON, or `data:` lines of the /v1 SSE). */
  function parseLines(job: LiveJob, chunk: Buffer): void {
    job.decoder ??= new StringDecoder('utf8');
    const text = job.rest + job.decoder.write(chunk);
    const lines = text.split('\n');
    job.rest = lines.pop() ?? '';
    for (let line of lines) {
      if (job.flavor === 'openai') {
        if (!line.startsWith('data: {')) continue;
        line = line.slice(6);
      }
      let o: StreamedChunk;
      try {
        o = JSON.parse(line) as StreamedChunk;
      } catch {
        continue; // the first line after someone started watching may be cut
      }
      if (job.flavor === 'openai') {
        const c = o.choices?.[0];
        addTokens(job.row.id, String(c?.delta?.content ?? c?.text ?? ''), String(c?.delta?.reasoning ?? ''));
      } else {
        const part = o.message ?? o;
        addTokens(job.row.id, String(part.content ?? o.response ?? ''), String(part.thinking ?? ''));
      }
    }
  }

  function learn(row: JobRow): void {
    if (row.state !== 'succeeded') return;
    const s = stats.get(row.lane) ?? { loadMs: null, tokensPerS: null };
    // A warm request reports a load time of a few ms; only real loads teach the ETA what a load costs.
    if (row.load_duration !== undefined && row.load_duration > 50e6) {
      const ms = row.load_duration / 1e6;
      s.loadMs = s.loadMs === null ? ms : s.loadMs + EMA * (ms - s.loadMs);
    }
    if (row.eval_count && row.eval_duration) {
      const tps = row.eval_count / (row.eval_duration / 1e9);
      s.tokensPerS = s.tokensPerS === null ? tps : s.tokensPerS + EMA * (tps - s.tokensPerS);
    }
    stats.set(row.lane, s);
  }

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
      job.row = { ...job.row, ...patch };
      hub.publish({ type: 'job', job: job.row });
    },

    /** The per-chunk path: keep the bytes (up to the cap); parse tokens only if someone watches. */
    chunk(id: string, chunk: Buffer): void {
      const job = live.get(id);
      if (!job) return;
      if (job.kept < cap) {
        job.chunks.push(chunk);
        job.kept += chunk.length;
      }
      if (hub.watched) parseLines(job, chunk);
    },

    /** The bytes of the answer so far (up to the cap). */
    bytes(id: string): Buffer {
      const job = live.get(id);
      return job ? Buffer.concat(job.chunks) : Buffer.alloc(0);
    },

    /** Removes a finished job and announces its final row. */
    finish(id: string, patch: Partial<JobRow>): void {
      const job = live.get(id);
      if (!job) return;
      live.delete(id);
      if (pendingTokens.has(id)) {
        const t = pendingTokens.get(id)!;
        pendingTokens.delete(id);
        hub.publish({ type: 'tokens', id, ...t });
      }
      job.row = { ...job.row, ...patch };
      learn(job.row);
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

    laneStats(lane: string): { load_ms: number | null; tokens_per_s: number | null } {
      const s = stats.get(lane);
      return { load_ms: s?.loadMs ?? null, tokens_per_s: s?.tokensPerS ?? null };
    },
  };
}

export type JobBoard = ReturnType<typeof createJobBoard>;
