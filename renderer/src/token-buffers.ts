/**
 * The text streaming into working jobs, as token deltas arrive, and their live speed. Kept apart from
 * the queue snapshot: tokens come many times a second, and only a transcript or a running row reads them.
 */
import { useSyncExternalStore } from 'react';
import type { JobRow } from '../../shared/api.js';
import { getJob, listJobs } from './api.js';
import { responseAnswer } from './job-answer.js';

export interface TokenText {
  content: string;
  thinking: string;
}

const RATE_WINDOW_MS = 5000;
const BUFFERS_MAX = 64;
/** How long a finished job's streamed text stays (a transcript open on it swaps to the stored answer). */
const KEEP_FINISHED_MS = 30_000;
const DEFAULT_CHARS_PER_TOKEN = 4;

const texts = new Map<string, TokenText>();
/** Per job: when its first delta came, and (time, tokens) of the recent ones. */
const samples = new Map<string, { first: number; recent: [number, number][] }>();
/** Jobs whose whole stream this window saw (it was open when they started): their text calibrates. */
const sawStart = new Set<string>();
/**
 * Characters per token, per lane and under '' across lanes. The server batches deltas (an event per
 * ~50 ms, not per token), so speed is estimated from streamed characters, calibrated by eval_count.
 */
const charsPerToken = new Map<string, number>();
const calibrating = new Set<string>();
const listeners = new Set<() => void>();

function drop(id: string): void {
  texts.delete(id);
  samples.delete(id);
  sawStart.delete(id);
}

/**
 * Append a delta (listeners are told later, by `notifyTokens`, once per batch of events). `count` is
 * the number of streamed tokens the server merged into it; without it, tokens are estimated from
 * characters.
 */
export function appendTokens(id: string, content: string, thinking: string, count?: number, lane = '', now = Date.now()): void {
  const old = texts.get(id);
  texts.delete(id); // re-insert: the Map's order is recency, so the stalest buffer goes first
  texts.set(id, { content: (old?.content ?? '') + content, thinking: (old?.thinking ?? '') + thinking });
  if (texts.size > BUFFERS_MAX) {
    const stalest = texts.keys().next().value;
    if (stalest !== undefined) drop(stalest);
  }
  const s = samples.get(id) ?? { first: now, recent: [] };
  const ratio = charsPerToken.get(lane) ?? charsPerToken.get('') ?? DEFAULT_CHARS_PER_TOKEN;
  s.recent.push([now, count ?? (content.length + thinking.length) / ratio]);
  while (s.recent.length > 0 && s.recent[0]![0] < now - RATE_WINDOW_MS) s.recent.shift();
  samples.set(id, s);
}

/** A job changed state: note starts (for calibration), calibrate on finish, forget later. */
export function noteJobTokens(job: JobRow): void {
  if (job.state === 'working' && !texts.has(job.id)) sawStart.add(job.id);
  if (job.state === 'working' || job.state === 'queued') return;
  const text = texts.get(job.id);
  if (sawStart.delete(job.id) && text && job.eval_count) calibrate(job.lane, text.content.length + text.thinking.length, job.eval_count);
  if (text || samples.has(job.id)) {
    setTimeout(() => {
      drop(job.id);
      notifyTokens();
    }, KEEP_FINISHED_MS);
  }
}

function calibrate(lane: string, chars: number, evalCount: number): void {
  const ratio = chars / evalCount;
  if (!(ratio > 0.5 && ratio < 20)) return;
  for (const key of [lane, '']) {
    const old = charsPerToken.get(key);
    charsPerToken.set(key, old === undefined ? ratio : old * 0.7 + ratio * 0.3);
  }
}

/** Before this window has seen a job of `lane` finish: calibrate from its latest answer in history. */
export function calibrateFromHistory(lane: string): void {
  if (calibrating.has(lane) || charsPerToken.has(lane)) return;
  calibrating.add(lane);
  void (async () => {
    const { jobs } = await listJobs({ model: lane, state: 'succeeded', limit: 5 });
    const last = jobs.find((j) => (j.api === 'chat' || j.api === 'generate') && j.eval_count);
    if (!last?.eval_count) return;
    const answer = responseAnswer((await getJob(last.id)).response);
    if (answer && !charsPerToken.has(lane)) calibrate(lane, answer.content.length + answer.thinking.length, last.eval_count);
  })().catch(() => calibrating.delete(lane));
}

export function notifyTokens(): void {
  for (const l of listeners) l();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** The text streamed into job `id` since this window started listening (deltas appended). */
export function useTokens(id: string): TokenText | undefined {
  return useSyncExternalStore(subscribe, () => texts.get(id));
}

export function peekTokens(id: string): TokenText | undefined {
  return texts.get(id);
}

/** Whether job `id` has streamed anything yet (so its model is loaded). */
export function hasTokens(id: string): boolean {
  return samples.has(id);
}

/** Tokens per second for job `id` over the last few seconds, or null before its first delta. */
export function tokenRate(id: string, _lane: string, now = Date.now()): number | null {
  const s = samples.get(id);
  if (!s) return null;
  const from = Math.max(s.first, now - RATE_WINDOW_MS);
  let tokens = 0;
  for (const [at, n] of s.recent) if (at >= now - RATE_WINDOW_MS) tokens += n;
  return tokens / Math.max(1, (now - from) / 1000);
}
