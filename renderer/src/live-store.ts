/**
 * The window's live state: the queue snapshot, kept current by the one event stream. Snapshot first,
 * then events. Events are applied in batches (one per FLUSH_MS), so a burst of thousands costs a few
 * renders; components read the state through `useSyncExternalStore`.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { ForemanEvent, QueueSnapshot } from '../../shared/api.js';
import { TERMINAL_STATES } from '../../shared/types.js';
import { getQueue, errorText } from './api.js';
import { openEventStream } from './event-stream.js';
import { applyEvents, eventsAfter } from './snapshot-reducer.js';
import { appendTokens, noteJobTokens, notifyTokens } from './token-buffers.js';

export type Connection = 'connecting' | 'live' | 'reconnecting';

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

const FLUSH_MS = 40;
const LOG_MAX = 20_000;
/** Routine snapshot refreshes: at least this far apart, or 5× the last fetch's duration. */
const ROUTINE_GAP_MS = 1500;

let state: LiveState = { connection: 'connecting', snapshot: null, error: null, generation: 0, evalMean: {} };
const stateListeners = new Set<() => void>();
const eventListeners = new Set<(e: ForemanEvent) => void>();
let pending: { id: string; event: ForemanEvent }[] = [];
let flushTimer: ReturnType<typeof setTimeout> | null = null;
/** Events since the last snapshot, replayed over the next one where it does not include them. */
let log: { id: string; event: ForemanEvent }[] = [];
let skew = 0;
let started = false;
let fetching = false;
let fetchAgain = false;
let resyncPending = false;
let lastFetchMs = 0;
let lastRoutineAt = 0;
/** Times by which a routine refresh should have happened (merged when close). */
let wanted: number[] = [];
let routineTimer: ReturnType<typeof setTimeout> | null = null;

function setState(next: Partial<LiveState>): void {
  state = { ...state, ...next };
  for (const l of stateListeners) l();
}

/** The server's clock, as far as the last snapshot told (ages are measured against server times). */
export function serverNow(): number {
  return Date.now() + skew;
}

/**
 * Fetch the snapshot and replay over it the logged events it does not include. A resync also bumps
 * `generation`; routine refreshes only pick up what no event carries (lane speeds and load times,
 * residency from Ollama's `/api/ps`).
 */
async function refreshSnapshot(resync: boolean): Promise<void> {
  resyncPending ||= resync;
  if (fetching) {
    fetchAgain = true;
    return;
  }
  fetching = true;
  const bump = resyncPending;
  resyncPending = false;
  const t0 = performance.now();
  try {
    const snap = await getQueue();
    lastFetchMs = performance.now() - t0;
    flush(); // everything received so far is in the log before the replay
    skew = snap.now - Date.now();
    const next = applyEvents(
      snap,
      eventsAfter(log, snap.event_id).map((e) => e.event),
    );
    log = [];
    const generation = state.snapshot && bump ? state.generation + 1 : state.generation;
    setState({ snapshot: next, error: null, generation });
  } catch (err) {
    resyncPending ||= bump;
    setState({ error: errorText(err) });
  } finally {
    fetching = false;
    if (fetchAgain) {
      fetchAgain = false;
      void refreshSnapshot(false);
    }
  }
}

/** Ask for a routine refresh within `ms` (throttled; requests close together are merged). */
function refreshWithin(ms: number): void {
  const due = Date.now() + ms;
  if (wanted.some((w) => Math.abs(w - due) < 500)) return;
  wanted.push(due);
  armRoutine();
}

function armRoutine(): void {
  if (routineTimer || wanted.length === 0) return;
  const at = Math.max(Math.min(...wanted), lastRoutineAt + Math.max(ROUTINE_GAP_MS, lastFetchMs * 5));
  routineTimer = setTimeout(() => {
    routineTimer = null;
    lastRoutineAt = Date.now();
    wanted = wanted.filter((w) => w > lastRoutineAt);
    void refreshSnapshot(false);
    armRoutine();
  }, at - Date.now());
}

function noteJob(e: Extract<ForemanEvent, { type: 'job' }>): void {
  const job = e.job;
  noteJobTokens(job);
  if (!TERMINAL_STATES.includes(job.state)) return;
  refreshWithin(700);
  if (job.state === 'succeeded' && job.eval_count) {
    const old = state.evalMean[job.lane];
    const mean = old === undefined ? job.eval_count : old * 0.8 + job.eval_count * 0.2;
    state = { ...state, evalMean: { ...state.evalMean, [job.lane]: mean } };
  }
}

/** Apply everything received since the last flush, then tell listeners once. */
function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = null;
  if (pending.length === 0) return;
  const batch = pending;
  pending = [];
  const forSnapshot: ForemanEvent[] = [];
  let tokens = false;
  let resync = false;
  for (const { id, event } of batch) {
    if (event.type === 'tokens') {
      appendTokens(event.id, event.content, event.thinking, event.count);
      tokens = true;
    } else if (event.type === 'resync') resync = true;
    else {
      if (event.type === 'job') noteJob(event);
      // Residency comes from the server's look at Ollama every few seconds: ask after it looked.
      if (event.type === 'model') refreshWithin(3500);
      log.push({ id, event });
      forSnapshot.push(event);
    }
  }
  if (log.length > LOG_MAX) log = log.slice(-LOG_MAX / 2);
  if (state.snapshot && forSnapshot.length > 0) setState({ snapshot: applyEvents(state.snapshot, forSnapshot) });
  if (tokens) notifyTokens();
  for (const { event } of batch) for (const l of eventListeners) l(event);
  if (resync) void refreshSnapshot(true);
}

function onEvent(id: string, event: ForemanEvent): void {
  pending.push({ id, event });
  flushTimer ??= setTimeout(flush, FLUSH_MS);
}

/** Open the event stream; the first snapshot is fetched once it is open. Idempotent. */
export function startLive(): void {
  if (started) return;
  started = true;
  openEventStream('/foreman/events', {
    onEvent,
    onOpen() {
      setState({ connection: 'live' });
      // On every (re)connect: whatever the server replayed, the snapshot plus the log is the truth.
      void refreshSnapshot(true);
    },
    onDown() {
      setState({ connection: state.snapshot ? 'reconnecting' : 'connecting' });
      // Without a stream yet, still show the queue (or why it cannot be fetched).
      if (!state.snapshot) void refreshSnapshot(false);
    },
  });
}

function subscribeState(l: () => void): () => void {
  stateListeners.add(l);
  return () => stateListeners.delete(l);
}
const getState = () => state;

export function useLive(): LiveState {
  return useSyncExternalStore(subscribeState, getState);
}

/**
 * Call `handler` for every event, after the store applied it. Events come in batches, one task per
 * batch, so the state updates a handler makes are rendered once per batch. The latest handler is used.
 */
export function useForemanEvent(handler: (e: ForemanEvent) => void): void {
  const ref = useRef(handler);
  useEffect(() => {
    ref.current = handler;
  });
  useEffect(() => {
    const l = (e: ForemanEvent) => ref.current(e);
    eventListeners.add(l);
    return () => {
      eventListeners.delete(l);
    };
  }, []);
}

/** After pause/resume or cancel: apply the answer now rather than wait for its event. */
export function patchSnapshot(change: (s: QueueSnapshot) => QueueSnapshot): void {
  if (state.snapshot) setState({ snapshot: change(state.snapshot) });
}
