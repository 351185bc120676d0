/**
 * The window's live sync as one pure step: state and an input (the stream opened or dropped, an event,
 * a timer, a fetched snapshot) in, the next state and commands (fetch, arm a timer, feed tokens, tell
 * listeners) out. Snapshot first, then events: events are applied in batches (one per FLUSH_MS) and
 * logged, so a snapshot that arrives is brought up to date by replaying what it does not include.
 */
import type { ForemanEvent, LaneSnapshot, QueueSnapshot } from '../../shared/api.js';
import { TERMINAL_STATES } from '../../shared/types.js';
import { applyEvents, eventsAfter } from './snapshot-reducer.js';

export type Connection = 'connecting' | 'live' | 'reconnecting';

/** What the views read. */
export interface LiveState {
  connection: Connection;
  snapshot: QueueSnapshot | null;
  /** Why the last snapshot fetch failed, while it keeps failing. */
  error: string | null;
  /** Bumped on each resync (reconnect, server restart, gap): views holding fetched data refetch. */
  generation: number;
  /** Mean eval tokens of recently finished jobs per lane, for ETAs. */
  evalMean: Readonly<Record<string, number>>;
}

interface Logged {
  id: string;
  event: ForemanEvent;
}

type LaneStats = Pick<LaneSnapshot, 'load_ms' | 'tokens_per_s'>;

export interface SyncState {
  view: LiveState;
  /** The server's clock minus ours, as of the last snapshot (ages are measured against server times). */
  skew: number;
  /** Received and not applied yet. */
  pending: Logged[];
  flushArmed: boolean;
  /** Events applied since the last snapshot, replayed over the next one where it does not include them. */
  log: Logged[];
  fetching: boolean;
  /** Whether the fetch in flight is a resync (it bumps `generation`). */
  fetchIsResync: boolean;
  fetchAgain: boolean;
  resyncPending: boolean;
  lastFetchMs: number;
  lastRoutineAt: number;
  /** Times by which a routine refresh should have happened (merged when close). */
  wanted: number[];
  routineArmed: boolean;
  /** Each lane's load time and speed as last fetched: a lane that reappears shows them at once. */
  laneStats: Readonly<Record<string, LaneStats>>;
}

export type SyncInput =
  | { type: 'open' }
  | { type: 'down' }
  | { type: 'event'; id: string; event: ForemanEvent }
  | { type: 'flush'; now: number }
  | { type: 'routine'; now: number }
  | { type: 'fetched'; snapshot: QueueSnapshot; now: number; tookMs: number }
  | { type: 'fetch-failed'; error: string }
  /** Apply an answer now (pause, cancel) rather than wait for its event. */
  | { type: 'patch'; change: (s: QueueSnapshot) => QueueSnapshot };

export type TimerName = 'flush' | 'routine';

export type SyncCommand =
  | { type: 'fetch' }
  /** Arm the named timer to fire in `ms` (replacing it), or clear it (`null`). */
  | { type: 'timer'; name: TimerName; ms: number | null }
  /** Token deltas and job rows, in order, for the token buffers (live text and speed). */
  | { type: 'tokens'; events: ForemanEvent[] }
  /** Every event of a batch, after the state has it. */
  | { type: 'emit'; events: ForemanEvent[] };

export const FLUSH_MS = 40;
const LOG_MAX = 20_000;
/** Routine snapshot refreshes: at least this far apart, or 5× the last fetch's duration. */
const ROUTINE_GAP_MS = 1500;
/** Wanted refresh times this close are one refresh. */
const MERGE_MS = 500;
/** After a job ends: the lane's new figures. After a model event: the server's next look at Ollama. */
const AFTER_JOB_MS = 700;
const AFTER_MODEL_MS = 3500;

export function initialSync(): SyncState {
  return {
    view: { connection: 'connecting', snapshot: null, error: null, generation: 0, evalMean: {} },
    skew: 0,
    pending: [],
    flushArmed: false,
    log: [],
    fetching: false,
    fetchIsResync: false,
    fetchAgain: false,
    resyncPending: false,
    lastFetchMs: 0,
    lastRoutineAt: 0,
    wanted: [],
    routineArmed: false,
    laneStats: {},
  };
}

/** One step. `s` is not changed; the commands are to be carried out in order. */
export function step(s0: SyncState, input: SyncInput): [SyncState, SyncCommand[]] {
  const s: SyncState = { ...s0 };
  const out: SyncCommand[] = [];
  switch (input.type) {
    case 'open':
      s.view = { ...s.view, connection: 'live' };
      // On every (re)connect: whatever the server replayed, the snapshot plus the log is the truth.
      fetchSnapshot(s, out, true);
      break;
    case 'down':
      s.view = { ...s.view, connection: s.view.snapshot ? 'reconnecting' : 'connecting' };
      // Without a stream yet, still show the queue (or why it cannot be fetched).
      if (!s.view.snapshot) fetchSnapshot(s, out, false);
      break;
    case 'event':
      s.pending = [...s.pending, { id: input.id, event: input.event }];
      if (!s.flushArmed) {
        s.flushArmed = true;
        out.push({ type: 'timer', name: 'flush', ms: FLUSH_MS });
      }
      break;
    case 'flush':
      s.flushArmed = false; // it fired
      flush(s, out, input.now);
      break;
    case 'routine':
      s.routineArmed = false;
      s.lastRoutineAt = input.now;
      s.wanted = s.wanted.filter((w) => w > input.now);
      fetchSnapshot(s, out, false);
      armRoutine(s, out, input.now);
      break;
    case 'fetched':
      fetched(s, out, input.snapshot, input.now, input.tookMs);
      break;
    case 'fetch-failed':
      s.resyncPending ||= s.fetchIsResync;
      s.view = { ...s.view, error: input.error };
      fetchDone(s, out);
      break;
    case 'patch':
      if (s.view.snapshot) s.view = { ...s.view, snapshot: input.change(s.view.snapshot) };
      break;
  }
  return [s, out];
}

/** Fetch the snapshot now, or once more after the fetch in flight. A resync also bumps `generation`. */
function fetchSnapshot(s: SyncState, out: SyncCommand[], resync: boolean): void {
  s.resyncPending ||= resync;
  if (s.fetching) {
    s.fetchAgain = true;
    return;
  }
  s.fetching = true;
  s.fetchIsResync = s.resyncPending;
  s.resyncPending = false;
  out.push({ type: 'fetch' });
}

function fetchDone(s: SyncState, out: SyncCommand[]): void {
  s.fetching = false;
  if (s.fetchAgain) {
    s.fetchAgain = false;
    fetchSnapshot(s, out, false);
  }
}

/** The snapshot, with the logged events it does not include replayed over it. */
function fetched(s: SyncState, out: SyncCommand[], snap: QueueSnapshot, now: number, tookMs: number): void {
  s.lastFetchMs = tookMs;
  flush(s, out, now, false); // everything received so far is in the log before the replay
  s.skew = snap.now - now;
  const laneStats = { ...s.laneStats };
  for (const l of snap.lanes)
    if (l.load_ms !== null || l.tokens_per_s !== null) laneStats[l.model] = { load_ms: l.load_ms, tokens_per_s: l.tokens_per_s };
  s.laneStats = laneStats;
  const next = applyEvents(
    snap,
    eventsAfter(s.log, snap.event_id).map((e) => e.event),
  );
  s.log = [];
  const generation = s.view.snapshot && s.fetchIsResync ? s.view.generation + 1 : s.view.generation;
  s.view = { ...s.view, snapshot: fillNewLanes(next, snap, s.laneStats).snapshot, error: null, generation };
  fetchDone(s, out);
}

/** Routine refreshes pick up what no event carries (lane speeds and load times, residency from `/api/ps`). */
function refreshWithin(s: SyncState, out: SyncCommand[], now: number, ms: number): void {
  const due = now + ms;
  if (s.wanted.some((w) => Math.abs(w - due) < MERGE_MS)) return;
  s.wanted = [...s.wanted, due];
  armRoutine(s, out, now);
}

function armRoutine(s: SyncState, out: SyncCommand[], now: number): void {
  if (s.routineArmed || s.wanted.length === 0) return;
  const at = Math.max(Math.min(...s.wanted), s.lastRoutineAt + Math.max(ROUTINE_GAP_MS, s.lastFetchMs * 5));
  s.routineArmed = true;
  out.push({ type: 'timer', name: 'routine', ms: Math.max(0, at - now) });
}

/**
 * Lanes of `next` that `base` lacks were created by events and carry no figures: fill in those last
 * fetched for them. `unknown` says whether one is still without any (only the server has them).
 */
function fillNewLanes(
  next: QueueSnapshot,
  base: QueueSnapshot,
  known: SyncState['laneStats'],
): { snapshot: QueueSnapshot; unknown: boolean } {
  let unknown = false;
  const lanes = next.lanes.map((l) => {
    if (l.load_ms !== null || l.tokens_per_s !== null || base.lanes.some((b) => b.model === l.model)) return l;
    const k = known[l.model];
    if (k) return { ...l, ...k };
    unknown = true;
    return l;
  });
  return { snapshot: lanes.some((l, i) => l !== next.lanes[i]) ? { ...next, lanes } : next, unknown };
}

/** Apply everything received since the last flush; `askNewLanes`: fetch figures for lanes new here. */
function flush(s: SyncState, out: SyncCommand[], now: number, askNewLanes = true): void {
  if (s.flushArmed) {
    s.flushArmed = false;
    out.push({ type: 'timer', name: 'flush', ms: null });
  }
  if (s.pending.length === 0) return;
  const batch = s.pending;
  s.pending = [];
  const forSnapshot: ForemanEvent[] = [];
  const tokens: ForemanEvent[] = [];
  const log = [...s.log];
  let resync = false;
  for (const { id, event } of batch) {
    if (event.type === 'tokens') tokens.push(event);
    else if (event.type === 'resync') resync = true;
    else {
      if (event.type === 'job') {
        tokens.push(event);
        noteFinished(s, out, event.job, now);
      }
      // Residency comes from the server's look at Ollama every few seconds: ask after it looked.
      if (event.type === 'model') refreshWithin(s, out, now, AFTER_MODEL_MS);
      log.push({ id, event });
      forSnapshot.push(event);
    }
  }
  s.log = log.length > LOG_MAX ? log.slice(-LOG_MAX / 2) : log;
  const before = s.view.snapshot;
  if (before && forSnapshot.length > 0) {
    const { snapshot, unknown } = fillNewLanes(applyEvents(before, forSnapshot), before, s.laneStats);
    s.view = { ...s.view, snapshot };
    // A lane whose figures only the server has: ask for them now, not at the next routine look.
    if (unknown && askNewLanes) fetchSnapshot(s, out, false);
  }
  if (tokens.length > 0) out.push({ type: 'tokens', events: tokens });
  out.push({ type: 'emit', events: batch.map((b) => b.event) });
  if (resync) fetchSnapshot(s, out, true);
}

/** A job ended: its lane's figures change; a success teaches the lane's typical answer length. */
function noteFinished(s: SyncState, out: SyncCommand[], job: Extract<ForemanEvent, { type: 'job' }>['job'], now: number): void {
  if (!TERMINAL_STATES.includes(job.state)) return;
  refreshWithin(s, out, now, AFTER_JOB_MS);
  if (job.state === 'succeeded' && job.eval_count) {
    const old = s.view.evalMean[job.lane];
    const mean = old === undefined ? job.eval_count : old * 0.8 + job.eval_count * 0.2;
    s.view = { ...s.view, evalMean: { ...s.view.evalMean, [job.lane]: mean } };
  }
}
